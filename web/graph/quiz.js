/**
 * Quiz mode of the graph view: predict, then reveal. The graph comes from POST /api/graph
 * with `hide`, so the answers are not in the page; at each backward step the student types
 * the gradients of the gate's inputs (and, with "predict the forward pass", each gate's
 * value at its forward step). POST /api/grade checks an answer; a hint names the gate's
 * pattern and its local gradient (the op registry's words); a reveal asks /api/grade for
 * that one quantity. An answered or revealed quantity is written into the graph, and the
 * timeline moves on once every question of the step is done.
 *
 * An exercise (which quantities are asked, tolerances) travels in the link's state as
 * `quiz: {hide, ask?: {grad: [ids], value: [ids]}, rtol?, atol?}`; "Export for the
 * autograder" downloads the same exercise as a POST /api/grade/batch body without
 * submissions, which `chainrule grade` reads.
 */
import { postJSON } from "../api.js";
import { refName } from "./explain.js";
import { allIntegers, fmt, isScalar, shortValue } from "../lib/format.js";
import { edgeKey } from "./steps.js";

const ADVANCE_MS = 700;  // a moment to read "right" before the timeline moves on
const PATTERN_WORDS = {
  distributor: "an add gate distributes: each input gets the upstream gradient unchanged",
  swap: "a mul gate swaps: each input gets the other input's value times the upstream gradient",
  router: "a max gate routes: the larger input gets the upstream gradient, the other gets 0",
  adder: "a copy adds: a value used twice gets the sum of both gradients",
};

function make(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    node.setAttribute(key, value === true ? "" : String(value));
  }
  if (text != null) node.textContent = text;
  return node;
}

/** An answer as typed: JSON (a number or a nested list), else the text for the grader to refuse. */
function readAnswer(text) {
  const t = text.trim().replace(/\u2212/g, "-");
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = make("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The program part of a grading body for a graph state. */
function programBody(state) {
  const body = { expression: state.program, inputs: state.inputs };
  if (state.output) body.output = state.output;
  if (state.upstream != null) body.upstream = state.upstream;
  return body;
}

function tolerances(quiz) {
  const out = {};
  if (quiz && Number.isFinite(quiz.rtol)) out.rtol = quiz.rtol;
  if (quiz && Number.isFinite(quiz.atol)) out.atol = quiz.atol;
  return out;
}

/**
 * @param root    the graph view's element
 * @param chrome  the page header (the toggle goes next to "Copy link")
 * @param host    {state(), setQuiz(quiz|null), go(step), step(), last(), refresh()}
 */
export function createQuiz(root, chrome, host) {
  const stylesheet = make("link", { rel: "stylesheet", href: new URL("./quiz.css", import.meta.url).href });
  document.head.append(stylesheet);

  const toggle = make("button", { type: "button", "data-testid": "quiz-toggle", "aria-pressed": "false",
    title: "Quiz mode: gradients stay hidden until you answer" }, "Quiz");
  chrome.querySelector('[data-testid="copy-link"]').before(toggle);

  const panel = make("section", { class: "quiz-panel", "data-testid": "quiz-panel", hidden: true });
  const head = make("div", { class: "quiz-head" });
  const score = make("span", { class: "quiz-score", "data-testid": "quiz-score" });
  head.append(make("strong", {}, "Quiz"), score);
  const forwardBox = make("input", { type: "checkbox", "data-testid": "quiz-forward" });
  const forwardLabel = make("label", { class: "quiz-option" });
  forwardLabel.append(forwardBox, " predict the forward pass too");
  const intro = make("p", { class: "quiz-intro muted" });
  const list = make("div", { class: "quiz-list", "data-testid": "quiz-questions" });
  const builder = createBuilder();
  panel.append(head, forwardLabel, intro, list, builder.node);
  root.querySelector(".sidebar .warnings").after(panel);

  let questions = [];
  let model = null;
  let trace = null;
  let ops = null;  // op name -> registry entry (GET /api/ops), for hints
  let advanceTimer = 0;

  toggle.addEventListener("click", () => {
    const on = !host.state().quiz;
    host.setQuiz(on ? { hide: ["grad"] } : null);
  });
  forwardBox.addEventListener("change", () => {
    const quiz = host.state().quiz || {};
    host.setQuiz({ ...quiz, hide: forwardBox.checked ? ["grad", "value"] : ["grad"] });
  });

  /** A new graph has been drawn: build its questions (or leave quiz mode's panel closed). */
  function attach(newTrace, newModel, state, registry) {
    clearTimeout(advanceTimer);
    trace = newTrace;
    model = newModel;
    ops = registry;
    const on = Boolean(state.quiz && newTrace.hidden);
    toggle.setAttribute("aria-pressed", String(on));
    document.body.classList.toggle("quiz", on);
    panel.hidden = !on;
    list.replaceChildren();
    questions = [];
    if (!on) return;
    forwardBox.checked = newTrace.hidden.includes("value");
    questions = buildQuestions(state.quiz);
    intro.textContent = questions.length
      ? "Step through the graph; at each step, work out the quantities asked and press Enter."
      : "This exercise asks nothing of this program.";
    for (const q of questions) list.append(q.row);
    builder.fill(state);
    updateScore();
  }

  /** Questions in timeline order: values at their forward step, gradients once complete. */
  function buildQuestions(quiz) {
    const ask = quiz.ask || null;
    const hidden = trace.hidden;
    const out = [];
    const asks = (kind, id) => (ask ? (ask[kind] || []).includes(id) : true);
    for (const node of trace.nodes) {
      if (model.hidden.has(node.id)) continue;
      if (hidden.includes("value") && node.kind === "op" && asks("value", node.id)) {
        out.push(question(node, "value", model.valueStep.get(node.id)));
      }
      const gradStep = model.gradStep.get(node.id);
      const wanted = ask ? asks("grad", node.id) : node.kind !== "const";
      if (node.id !== model.output.id && gradStep != null && wanted) out.push(question(node, "grad", gradStep));
    }
    return out.sort((a, b) => a.step - b.step || a.order - b.order);
  }

  function question(node, kind, step) {
    const outName = model.output.name || "L";
    const name = refName(node, model.nodes);
    const text = kind === "grad" ? `∂${outName}/∂${name}` : `${name} =`;
    const row = make("div", { class: "quiz-q", "data-quiz-node": node.id, "data-quiz-kind": kind, hidden: true });
    const label = make("label", { class: "quiz-label" }, text);
    const input = make("input", { type: "text", spellcheck: "false", autocomplete: "off",
      "aria-label": kind === "grad" ? `gradient ${text}` : `value of ${name}` });
    const check = make("button", { type: "button", class: "small", "data-quiz-action": "check" }, "Check");
    const hint = make("button", { type: "button", class: "small", "data-quiz-action": "hint" }, "Hint");
    const reveal = make("button", { type: "button", class: "small", "data-quiz-action": "reveal", hidden: true }, "Reveal");
    const message = make("div", { class: "quiz-message", "data-quiz-message": "", "aria-live": "polite" });
    const hintBox = make("div", { class: "quiz-hint", hidden: true });
    label.append(input);
    row.append(label, check, hint, reveal, message, hintBox);
    const q = { node, kind, step, order: model.forwardIndex.get(node.id) ?? 0, row, input, message, hintBox,
      reveal, status: "open", tries: 0 };
    check.addEventListener("click", () => submit(q));
    input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") submit(q); });
    hint.addEventListener("click", () => showHint(q));
    reveal.addEventListener("click", () => revealAnswer(q));
    return q;
  }

  async function grade(q, extra) {
    const state = host.state();
    const body = { ...programBody(state), ...tolerances(state.quiz), ...extra };
    const answer = await postJSON("/api/grade", body);
    return answer.results[q.kind][q.node.id];
  }

  async function submit(q) {
    if (q.status !== "open" || !q.input.value.trim()) return;
    q.row.classList.add("busy");
    let verdict;
    try {
      verdict = await grade(q, { answers: { [q.kind]: { [q.node.id]: readAnswer(q.input.value) } } });
    } catch (err) {
      q.message.textContent = err.message;
      q.row.classList.remove("busy");
      return;
    }
    q.row.classList.remove("busy");
    q.tries += 1;
    q.row.dataset.verdict = verdict.correct ? "right" : "wrong";
    q.message.textContent = verdict.correct ? "right" : `wrong: ${verdict.message}`;
    q.reveal.hidden = verdict.correct;
    if (verdict.correct) settle(q, "right", verdict.given);
    updateScore();
  }

  function showHint(q) {
    const gateId = q.kind === "grad" ? model.steps[q.step].node : q.node.id;
    const gate = model.nodes.get(gateId);
    const entry = model.steps[q.step].entry;
    const lines = [];
    if (q.kind === "grad") {
      lines.push(`the ${gate.label} gate (${gate.op}) sends this gradient back`);
      if (gate.pattern && PATTERN_WORDS[gate.pattern]) lines.push(`pattern: ${PATTERN_WORDS[gate.pattern]}`);
      if (q.node.grad_parts && q.node.grad_parts.length > 1) lines.push(PATTERN_WORDS.adder);
      const formula = (entry && entry.formula) || (ops && ops[gate.op] && ops[gate.op].formula);
      if (formula) lines.push(`local gradient: ${[].concat(formula).filter(Boolean).join("; ")}`);
      lines.push("downstream = upstream × local gradient");
    } else {
      lines.push(`the ${gate.label} gate (${gate.op}) applied to its inputs`);
    }
    const info = ops && ops[gate.op];
    if (info && info.doc) lines.push(info.doc);
    q.hintBox.replaceChildren(...lines.map((l) => make("div", {}, l)));
    q.hintBox.hidden = false;
    q.reveal.hidden = q.status !== "open";
  }

  async function revealAnswer(q) {
    if (q.status !== "open") return;
    let verdict;
    try {
      verdict = await grade(q, { answers: {}, require: { [q.kind]: [q.node.id] }, reveal: true });
    } catch (err) {
      q.message.textContent = err.message;
      return;
    }
    q.row.dataset.revealed = "true";
    const integers = allIntegers(verdict.expected);
    q.message.textContent = `answer: ${isScalar(verdict.expected) ? fmt(verdict.expected, integers) : shortValue(verdict.expected, q.node.shape, integers)}`;
    settle(q, "revealed", verdict.expected);
    updateScore();
  }

  /** A quantity is known now: write it into the graph and maybe move the timeline on. */
  function settle(q, status, value) {
    q.status = status;
    q.input.disabled = true;
    q.row.dataset.status = status;
    if (q.kind === "value") q.node.value = value;
    else placeGradient(q.node, value);
    host.refresh();
    explainUnknowns(host.step());
    const step = host.step();
    if (q.step === step && questions.every((o) => o.step !== step || o.status !== "open") && step < host.last()) {
      clearTimeout(advanceTimer);
      advanceTimer = setTimeout(() => host.go(step + 1), ADVANCE_MS);
    }
  }

  /** The node's gradient, and the edge it travelled when it has one consumer. */
  function placeGradient(node, value) {
    node.grad = value;
    const users = [];
    for (const step of model.steps) {
      if (step.kind !== "backward") continue;
      step.entry.inputs.forEach((id, slot) => { if (id === node.id) users.push({ step, slot }); });
    }
    if (users.length !== 1) return;
    const { step, slot } = users[0];
    const key = edgeKey(node.id, step.node, slot);
    model.edgeGrad.set(key, value);
    model.edgeGradStep.set(key, model.backwardStep.get(step.node));
  }

  function updateScore() {
    const right = questions.filter((q) => q.status === "right").length;
    const revealed = questions.filter((q) => q.status === "revealed").length;
    score.dataset.right = String(right);
    score.dataset.total = String(questions.length);
    score.dataset.revealed = String(revealed);
    score.textContent = `${right} of ${questions.length} right` + (revealed ? `, ${revealed} revealed` : "");
  }

  /** "upstream × local = downstream" with the unknowns as "?", in place of the explanation's
   * lines (which would read a hidden gradient as "no gradient"). */
  function explainUnknowns(s) {
    const step = model.steps[s];
    const linesEl = root.querySelector('[data-testid="explanation"] .ex-lines');
    if (!linesEl || !step || (step.kind !== "backward" && step.kind !== "forward")) return;
    const gate = model.nodes.get(step.node);
    const known = (v) => (v == null ? "?" : shortValue(v, gate.shape, allIntegers(v)));
    const outName = model.output.name || "L";
    let lines;
    if (step.kind === "forward") {
      if (gate.value != null) return;
      lines = [`${refName(gate, model.nodes)} = ?`];
    } else {
      lines = [`upstream ∂${outName}/∂${refName(gate, model.nodes)} = ${known(gate.grad)}`];
      for (const id of step.entry.inputs) {
        const input = model.nodes.get(id);
        if (model.hidden.has(id) || input.kind === "const") continue;
        const value = input.grad == null ? "?" : shortValue(input.grad, input.shape, allIntegers(input.grad));
        lines.push(`∂${outName}/∂${refName(input, model.nodes)} = upstream × local gradient = ${value}`);
      }
    }
    if (questions.some((q) => q.step === s && q.status === "open")) lines.push("Your turn: answer in the Quiz panel (Hint, then Reveal, if you are stuck).");
    linesEl.replaceChildren(...lines.map((line) => make("li", {}, line)));
  }

  /** Show the questions up to step s; those of step s are the current ones. */
  function onStep(s) {
    if (panel.hidden) return;
    explainUnknowns(s);
    if (!questions.length) return;
    let first = null;
    for (const q of questions) {
      q.row.hidden = q.step > s;
      const current = q.step === s;
      q.row.classList.toggle("current", current);
      if (current && q.status === "open" && !first) first = q;
    }
    if (first) {
      first.row.scrollIntoView({ block: "nearest" });
      if (!["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName)) first.input.focus({ preventScroll: true });
    }
  }

  /** "Make an exercise": which quantities are asked, tolerances, a link and an export. */
  function createBuilder() {
    const node = make("details", { class: "quiz-builder", "data-testid": "exercise-builder" });
    node.append(make("summary", {}, "Make an exercise"));
    const table = make("div", { class: "quiz-ask" });
    const rtol = make("input", { type: "number", step: "any", min: "0", max: "1", value: "0.0001", "data-testid": "exercise-rtol" });
    const atol = make("input", { type: "number", step: "any", min: "0", value: "0.000001", "data-testid": "exercise-atol" });
    const tol = make("div", { class: "quiz-tol" });
    const rl = make("label", {}, "rtol ");
    rl.append(rtol);
    const al = make("label", {}, "atol ");
    al.append(atol);
    tol.append(rl, al);
    const open = make("button", { type: "button", "data-testid": "exercise-open" }, "Open as quiz (link)");
    const exportButton = make("button", { type: "button", "data-testid": "exercise-export" }, "Export for the autograder");
    const status = make("p", { class: "muted", "data-testid": "exercise-status" });
    node.append(make("p", { class: "muted" }, "Tick what the class must find, then open the exercise as a quiz (its link) or export it for `chainrule grade`."),
      table, tol, open, exportButton, status);

    function fill(state) {
      table.replaceChildren(make("span", {}, ""), make("span", {}, "value"), make("span", {}, "gradient"));
      const ask = state.quiz && state.quiz.ask;
      for (const n of trace.nodes) {
        if (model.hidden.has(n.id) || n.kind === "const") continue;
        const isOut = n.id === model.output.id;
        const valueBox = make("input", { type: "checkbox", "data-ask": "value", "data-node": n.id,
          disabled: n.kind !== "op", checked: ask ? (ask.value || []).includes(n.id) : false });
        const gradBox = make("input", { type: "checkbox", "data-ask": "grad", "data-node": n.id,
          disabled: isOut, checked: ask ? (ask.grad || []).includes(n.id) : !isOut });
        table.append(make("span", { class: "quiz-ask-name" }, refName(n, model.nodes)), valueBox, gradBox);
      }
      if (state.quiz && Number.isFinite(state.quiz.rtol)) rtol.value = String(state.quiz.rtol);
      if (state.quiz && Number.isFinite(state.quiz.atol)) atol.value = String(state.quiz.atol);
    }

    function exercise() {
      const asked = { grad: [], value: [] };
      for (const box of table.querySelectorAll("input[data-ask]:checked")) asked[box.dataset.ask].push(box.dataset.node);
      const r = Number(rtol.value);
      const a = Number(atol.value);
      return { ask: asked, rtol: Number.isFinite(r) && r >= 0 && r <= 1 ? r : 1e-4, atol: Number.isFinite(a) && a >= 0 ? a : 1e-6 };
    }

    open.addEventListener("click", () => {
      const ex = exercise();
      host.setQuiz({ hide: ex.ask.value.length ? ["grad", "value"] : ["grad"], ...ex });
      status.textContent = "The exercise is open as a quiz; Copy link shares it.";
    });
    exportButton.addEventListener("click", () => {
      const ex = exercise();
      const body = { ...programBody(host.state()), rtol: ex.rtol, atol: ex.atol, require: ex.ask };
      download("chainrule-exercise.json", JSON.stringify(body, null, 2));
      status.textContent = "Saved chainrule-exercise.json: grade a class with `chainrule grade chainrule-exercise.json answers.csv -o gradebook.csv`.";
    });
    return { node, fill };
  }

  return { attach, onStep, active: () => !panel.hidden };
}
