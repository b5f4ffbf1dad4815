/**
 * The convolution view: mountConvView(root) builds the controls, the arithmetic panel, the
 * sliding filter, the heatmaps, max-pool routing and the backward figures, and keeps them
 * in step with POST /api/conv. The page computes no maths: every shape, value and gradient
 * is the server's. Settings live in the URL hash (#conv&n=7&f=3...).
 */
import { getJSON, postJSON } from "../api.js";
import { el } from "../lib/dom.js";
import { writeHash as putHash } from "../lib/hash.js";
import { parseHash, toHash, requestBody, stateFromExample, inputLabel } from "./state.js";
import { createControls } from "./controls.js";
import { createArithmeticPanel } from "./arithmetic.js";
import { createSlide } from "./slide.js";
import { createPoolRouting } from "./pooling.js";
import { renderFigures } from "./figures.js";
import { readUpload } from "./images.js";
import { offeredExample } from "../handoff.js";
import { createConvQuiz } from "./quiz.js";

const FETCH_DELAY_MS = 120;  // let a dragged slider settle before asking the server

function section(title, testid, cls = "") {
  const body = el("div", { class: "conv-section-body" });
  const node = el("section", { class: `conv-section ${cls}`.trim(), testid }, [title ? el("h3", { text: title }) : null, body]);
  return { node, body };
}

/** The view's skeleton: the controls column (a drawer on a phone) and the main column. */
function buildLayout(root) {
  const parts = {
    controls: el("aside", { class: "conv-controls", id: "conv-controls", "aria-label": "layer settings" }),
    exampleNote: el("p", { class: "conv-example-note", hidden: true }),
    arith: section(null, "conv-arithmetic", "conv-arith"),
    inputNote: el("p", { class: "conv-input-note", testid: "conv-input-note" }),
    slide: section(null, "conv-slide", "conv-slide"),
    forward: section("Forward: the maps of each stage", "conv-maps"),
    routing: section("Max pool: routing the gradient back", "conv-pool-routing"),
    backward: section("Backward pass", "conv-backward"),
  };
  parts.routing.node.hidden = true;
  parts.main = el("div", { class: "conv-main" }, [el("div", { class: "conv-notes" }, [parts.exampleNote, parts.inputNote]), parts.arith.node,
    parts.slide.node, el("div", { class: "conv-figures" }, [parts.forward.node, parts.backward.node]), parts.routing.node]);
  parts.view = el("div", { class: "conv-view", testid: "conv-view" }, [parts.controls, parts.main]);
  root.replaceChildren(parts.view);
  return parts;
}

/** Settings from the hash, minus what a link cannot carry (an upload, example data). */
function initialState() {
  const state = parseHash(location.hash.startsWith("#conv") ? location.hash : "#conv");
  if (state.input === "upload") state.input = "random";
  if (!state.example && state.input === "example") state.input = "random";
  if (!state.example && state.weights === "example") state.weights = "random";
  return state;
}

/** Build the view inside `root` (an empty element) and render the layer from the hash. */
export function mountConvView(root) {
  let state = initialState();
  const data = { exampleInput: null, exampleWeights: null, exampleBias: null, upload: null };
  let examples = [];
  let timer = null;
  let requestId = 0;
  let lastHash = "";

  const { controls: controlsHost, exampleNote, arith, inputNote, slide, forward, routing, backward, main, view } = buildLayout(root);
  const controls = createControls(controlsHost, { onChange: change, onUpload: upload, onExample: applyExample });
  const arithmetic = createArithmeticPanel(arith.body, { onSuggest: change });
  const slider = createSlide(slide.body);
  const pool = createPoolRouting(routing.body);
  const quiz = createConvQuiz(main, {
    enabled: () => state.quiz, setEnabled: (on) => change({ quiz: on }), body: () => requestBody(state, data),
  });

  /** A control changed: update the settings and fetch after a short pause. */
  function change(patch) {
    // A number input also reports "change" when it loses focus; nothing new, nothing to do.
    if (Object.keys(patch).length && Object.entries(patch).every(([key, value]) => state[key] === value)) return;
    const touchesInput = ["height", "width", "depth"].some((name) => name in patch);
    const touchesFilters = ["filters", "size", "depth"].some((name) => name in patch);
    state = { ...state, ...patch, example: "" };
    if (touchesInput && state.input === "example") state.input = "random";
    if (touchesFilters && state.weights === "example") state.weights = "random";
    exampleNote.hidden = true;
    controls.sync(state);
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    document.body.dataset.state = "busy";
    timer = setTimeout(refresh, FETCH_DELAY_MS);
  }

  async function upload(file) {
    document.body.dataset.state = "busy";  // decoding comes before the fetch; tests wait on this
    try {
      data.upload = await readUpload(file);
    } catch {
      arithmetic.showMessage(`Could not read "${file.name}" as an image; the input is unchanged.`);
      document.body.dataset.state = "ready";
      return;
    }
    // Not change(): a second upload keeps input "upload" but is a new picture.
    state = { ...state, input: "upload", example: "" };
    controls.sync(state);
    schedule();
  }

  /** A lecture example, or a layer another view handed over (the network view's). */
  function findExample(id) {
    return examples.find((ex) => ex.id === id) || offeredExample(id);
  }

  function applyExample(id) {
    const example = findExample(id);
    if (!example) { change({}); return; }
    const made = stateFromExample(example);
    state = made.state;
    data.exampleInput = made.input;
    data.exampleWeights = made.weights;
    data.exampleBias = made.bias;
    exampleNote.textContent = example.explanation || "";
    exampleNote.hidden = !example.explanation;
    controls.sync(state);
    schedule();
  }

  function writeHash() {
    if (!location.hash.startsWith("#conv")) return;
    lastHash = toHash(state);
    putHash(lastHash);
  }

  /** Ask the server for the layer and draw it; stale answers (settings moved on) are dropped. */
  async function refresh() {
    const id = ++requestId;
    document.body.dataset.state = "busy";
    writeHash();
    let resp;
    // Marks for tests/perf/bench_conv_view.py: request sent, answer in, everything drawn.
    performance.mark("conv:request");
    try {
      resp = await postJSON("/api/conv", requestBody(state, data));
      performance.mark("conv:response");
    } catch (err) {
      if (id !== requestId) return;
      arithmetic.renderError(err);
      slider.disable();
      // Every kind of mistake looks the same: the last layer that worked stays, dimmed.
      for (const part of [forward, routing, backward]) part.node.classList.add("conv-dim");
      document.body.dataset.state = "ready";
      return;
    }
    if (id !== requestId) return;
    try {
      await draw(resp);
    } catch (err) {
      arithmetic.showMessage(`The page could not draw this layer: ${err.message}`);
    }
    if (id !== requestId) return;
    performance.mark("conv:drawn");
    document.body.dataset.state = "ready";
  }

  let lastResp = null;

  async function draw(resp) {
    lastResp = resp;
    slider.enable();
    for (const part of [forward, routing, backward]) part.node.classList.remove("conv-dim");
    quiz.layer(resp);
    arithmetic.render(resp);
    inputNote.textContent = `Input: ${inputLabel(state)}.`;
    const width = Math.max(300, slide.body.clientWidth || main.clientWidth - 34 || 1000);
    // The stage fills what is left of the screen below it, so input, filter, products and
    // maps are seen together without scrolling (and never less than a readable minimum).
    const top = slide.body.getBoundingClientRect().top - root.getBoundingClientRect().top + root.scrollTop;
    const height = Math.max(260, Math.min(620, root.clientHeight - top - 130));
    slider.render(resp, width, height);
    pool.render(resp);
    routing.node.hidden = !resp.pool;
    const figureWidth = forward.body.clientWidth || width;
    await renderFigures(forward.body, backward.body, resp, figureWidth);
  }

  // Canvas and Plotly do not read CSS: a new theme paints them again.
  window.addEventListener("themechange", () => {
    if (!lastResp || !view.isConnected) return;
    slider.repaint();
    renderFigures(forward.body, backward.body, lastResp, forward.body.clientWidth || 600);
  });

  /** Back/forward or an edited link: re-read the settings when the hash is not ours. */
  window.addEventListener("hashchange", () => {
    if (!location.hash.startsWith("#conv")) { slider.timeline.pause(); pool.timeline.pause(); return; }
    if (location.hash === "#conv") { writeHash(); return; }  // the tab was clicked: keep the layer
    if (location.hash === lastHash) return;
    state = parseHash(location.hash);
    if (state.example && findExample(state.example)) { applyExample(state.example); return; }
    controls.sync(state);
    schedule();
  });

  document.addEventListener("keydown", (event) => {
    if (!view.isConnected || view.offsetParent === null) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, button, summary")) return;
    slider.timeline.onKey(event);
  });

  controls.sync(state);
  getJSON("/api/examples").then((list) => {
    examples = list.filter((ex) => ex.kind === "conv" && ex.conv);
    controls.setExamples(examples);
    if (state.example && findExample(state.example)) applyExample(state.example);
    else controls.sync(state);
  }).catch(() => {
    // Without examples the view still works; the preset list stays empty.
  });
  schedule();
}
