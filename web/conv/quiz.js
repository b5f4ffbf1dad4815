/**
 * The conv view's quiz: before the layer is shown, the student predicts the output size
 * (W2, H2, depth) and one activation (map 1, row 1, column 1: the filter on the top-left
 * window), and POST /api/conv/grade checks them. Until every prediction is right or
 * revealed, the sections that would show the answers (the arithmetic, the sliding filter,
 * the maps) are hidden. The window and the filter shown for the activation are numbers of
 * the layer's /api/conv answer, formatted, nothing computed.
 */
import { postJSON } from "../api.js";
import { el } from "../lib/dom.js";
import { fmt } from "../lib/format.js";

const SIZE_FIELDS = [["width", "W2"], ["height", "H2"], ["depth", "depth"]];
const MAX_SHOWN = 75;  // numbers of the window and filter written out for the activation

function readNumber(text) {
  const t = text.trim().replace(/\u2212/g, "-");
  if (!t) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/** A small table of numbers (rows of a 2-d list). */
function grid(rows, caption) {
  const table = el("table", { class: "conv-quiz-grid" }, [el("caption", { text: caption })]);
  for (const row of rows) table.append(el("tr", {}, row.map((v) => el("td", { text: fmt(v) }))));
  return table;
}

/**
 * @param main   the conv view's main column (the quiz goes first, the sections it hides follow)
 * @param host   {enabled(), setEnabled(on), body()}: the quiz flag in the view's state and
 *               the current POST /api/conv body
 */
export function createConvQuiz(main, host) {
  document.head.append(el("link", { rel: "stylesheet", href: new URL("./quiz.css", import.meta.url).href }));
  const toggle = el("input", { type: "checkbox", testid: "conv-quiz-toggle" });
  const fields = {};
  const rows = {};
  const sizeRow = el("div", { class: "conv-quiz-row" }, [el("span", { text: "Output size:" })]);
  for (const [name, label] of SIZE_FIELDS) {
    fields[name] = el("input", { type: "text", inputmode: "numeric", testid: `conv-quiz-${name}`, "aria-label": label });
    rows[name] = el("label", { class: "conv-quiz-field", dataset: { quizNode: name, quizKind: "value" } }, [`${label} `, fields[name]]);
    sizeRow.append(rows[name]);
  }
  fields.activation = el("input", { type: "text", testid: "conv-quiz-activation", "aria-label": "activation" });
  rows.activation = el("label", { class: "conv-quiz-field", dataset: { quizNode: "activation", quizKind: "value" } },
    ["activation map 1, row 1, column 1 = ", fields.activation]);
  const numbers = el("div", { class: "conv-quiz-numbers" });
  const messages = el("ul", { class: "conv-quiz-messages", testid: "conv-quiz-messages" });
  const score = el("span", { class: "conv-quiz-score", testid: "conv-quiz-score" });
  const check = el("button", { type: "button", testid: "conv-quiz-check", text: "Check" });
  const reveal = el("button", { type: "button", testid: "conv-quiz-reveal", text: "Reveal" });
  const form = el("div", { class: "conv-quiz-form" }, [
    el("p", { class: "conv-quiz-intro", text: "Predict before you look: how big is the output, and what is its first activation? " +
      "W2 = (W1 − F + 2P)/S + 1." }),
    sizeRow, el("div", { class: "conv-quiz-row" }, [rows.activation]), numbers,
    el("div", { class: "conv-quiz-row" }, [check, reveal, score]), messages]);
  const node = el("section", { class: "conv-section conv-quiz", testid: "conv-quiz" }, [
    el("label", { class: "conv-quiz-switch" }, [toggle, " Quiz: predict the output size and one activation first"]), form]);
  main.prepend(node);

  let done = {};  // name -> "right" | "revealed"

  function allDone() {
    return ["width", "height", "depth", "activation"].every((name) => done[name]);
  }

  function showState() {
    const on = host.enabled();
    toggle.checked = on;
    form.hidden = !on;
    main.classList.toggle("conv-quiz-pending", on && !allDone());
    const right = Object.values(done).filter((v) => v === "right").length;
    score.textContent = on ? `${right} of 4 right` : "";
    score.dataset.right = String(right);
  }

  /** A new layer arrived: new predictions. */
  function layer(resp) {
    done = {};
    messages.replaceChildren();
    for (const [name, input] of Object.entries(fields)) {
      input.value = "";
      input.disabled = false;
      delete rows[name].dataset.verdict;
      delete rows[name].dataset.revealed;
    }
    numbers.replaceChildren();
    const window = firstWindow(resp);
    if (window) numbers.append(...window);
    showState();
  }

  /** The top-left window of the (padded) input and filter 1, when they are small enough to read. */
  function firstWindow(resp) {
    if (!resp.size || !Array.isArray(resp.weights) || !resp.weights.length) return null;
    const [fh, fw] = resp.size;
    const channels = resp.padded_input.length;
    if (channels * fh * fw > MAX_SHOWN) return null;
    const tables = [];
    for (let c = 0; c < channels; c += 1) {
      const win = resp.padded_input[c].slice(0, fh).map((row) => row.slice(0, fw));
      tables.push(grid(win, `input window, channel ${c + 1}`), grid(resp.weights[0][c], `filter 1, channel ${c + 1}`));
    }
    tables.push(el("span", { class: "conv-quiz-bias", text: `bias ${fmt(resp.bias[0])}` }));
    return tables;
  }

  function answers() {
    const out = {};
    for (const [name] of SIZE_FIELDS) {
      const v = readNumber(fields[name].value);
      if (v !== null && !done[name]) out[name] = v;
    }
    const a = readNumber(fields.activation.value);
    if (a !== null && !done.activation) out.activation = { filter: 0, row: 0, col: 0, value: a };
    return out;
  }

  async function grade(reveal) {
    const asked = reveal ? revealAll() : answers();
    if (!Object.keys(asked).length) return;
    let result;
    try {
      result = await postJSON("/api/conv/grade", { ...host.body(), answers: asked, reveal });
    } catch (err) {
      messages.replaceChildren(el("li", { text: err.message }));
      return;
    }
    messages.replaceChildren();
    for (const [name, verdict] of Object.entries(result.results)) {
      const row = rows[name];
      if (reveal) {
        row.dataset.revealed = "true";
        fields[name].value = fmt(verdict.expected);
        done[name] = verdict.correct ? "right" : "revealed";
      } else {
        row.dataset.verdict = verdict.correct ? "right" : "wrong";
        if (verdict.correct) done[name] = "right";
      }
      fields[name].disabled = Boolean(done[name]);
      if (!verdict.correct && !reveal) messages.append(el("li", { text: `${name}: ${verdict.message}` }));
    }
    showState();
  }

  /** Reveal asks for every prediction not yet right (what was typed is graded as well). */
  function revealAll() {
    const typed = answers();
    const out = {};
    for (const [name] of SIZE_FIELDS) if (!done[name]) out[name] = name in typed ? typed[name] : -1;
    if (!done.activation) out.activation = typed.activation || { filter: 0, row: 0, col: 0, value: null };
    return out;
  }

  check.addEventListener("click", () => grade(false));
  reveal.addEventListener("click", () => grade(true));
  for (const input of Object.values(fields)) input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") grade(false); });
  toggle.addEventListener("change", () => host.setEnabled(toggle.checked));
  showState();
  return { layer, refresh: showState };
}
