/**
 * The graph view's conductor: runs the program through POST /api/graph, lays out and
 * draws the graph, and keeps the editor, timeline, explanation, inspector, tabs, share
 * menu and presenter mode in step with each other and with the URL hash.
 */
import { ApiError, getJSON, postJSON } from "../api.js";
import { decodeHash, emptyState, encodeHash, graphRequest } from "./state.js";
import { flushHash, scheduleHash } from "../lib/hash.js";
import { createTimeline } from "../lib/timeline.js";
import { resolveTokens, token } from "../lib/theme.js";
import { TIMING } from "../config.js";
import { createEditor } from "./editor.js";
import { explainStep, renderExplanation } from "./explain.js";
import { createGraphView } from "./graphview.js";
import { createInspector } from "./inspector.js";
import { layoutGraph } from "./layout.js";
import { createPanZoom } from "./panzoom.js";
import { createPresenter } from "./presenter.js";
import { copyLink, downloadTrace, exportPNG, exportSVG } from "./share.js";
import { buildSteps, foldedConstants, stepTitle } from "./steps.js";
import { allIntegers } from "../lib/format.js";
import { showCode } from "./codetab.js";
import { showGradcheck } from "./gradcheck.js";
import { createQuiz } from "./quiz.js";
import { foldTrace, initialFolds } from "./folding.js";

const PRESENTER_FIT = 2.6;
const NORMAL_FIT = 1.6;
// In presenter mode the drawing is shown at least twice its size, so its 14 px labels
// reach a projector at 28 px; a graph too wide for that is followed gate by gate.
const PRESENTER_MIN_SCALE = 2;

function setPageState(value) {
  document.body.dataset.state = value;
}

/** The graph examples of GET /api/examples (conv examples belong to the conv view). */
function graphExamples(doc) {
  const list = Array.isArray(doc) ? doc : doc && Array.isArray(doc.examples) ? doc.examples : [];
  return list.filter((e) => (e.kind || "graph") === "graph");
}

export function mountGraphView(root, chrome) {
  const q = (id) => root.querySelector(`[data-testid="${id}"]`) || chrome.querySelector(`[data-testid="${id}"]`);
  const svg = q("graph");
  const view = createGraphView(svg, { onSelect: select, onToggle: toggleGroup });
  const panzoom = createPanZoom(svg, view.viewport);
  const editor = createEditor(root.querySelector(".sidebar"), { onRun: runEditor, onExample: loadExample });
  const timeline = createTimeline(root.querySelector(".timeline"), {
    label: "graph steps", labelId: "step-label", speed: 1, rate: 1000 / TIMING.stepMs, smooth: false,
    speeds: [[0.5, "0.5×"], [1, "1×"], [2, "2×"], [4, "4×"]], onChange: showStep,
  });
  const explanation = q("explanation");
  const inspector = createInspector(q("inspector"));
  const presenter = createPresenter(q("presenter"), { onChange: onPresenter });
  const tabs = [...root.querySelectorAll(".panel-tabs [data-panel]")];
  const warnings = q("warnings");
  const quiz = createQuiz(root, chrome, {
    state: () => state, setQuiz, go: (s) => timeline.go(s), step: () => timeline.step(),
    last: () => timeline.last(), refresh: () => view.refresh(),
  });

  let state = emptyState();
  let trace = null;   // the API's answer
  let shown = null;   // the answer as drawn, with its folded groups folded (folding.js)
  let folded = new Set();
  let model = null;
  let selected = null;
  let runId = 0;
  let extras = {};  // option name -> Promise of the trace fetched with that option
  let examples = [];
  let symbols = {};  // op name -> plain symbol, from the registry (GET /api/ops)
  let registry = {};  // op name -> the registry's entry (the quiz's hints)
  let loaded = false;  // examples and symbols have arrived

  function showStep(s, { animate = false } = {}) {
    if (!model) return;
    view.show(s, { animate });
    const step = model.steps[s];
    if (step && step.node) {
      const at = view.position(step.node);
      if (at) panzoom.follow(at.x, at.y);
    }
    renderExplanation(explanation, explainStep(model, s));
    quiz.onStep(s);
    if (selected) inspector.show(model, selected, s);
    state = { ...state, step: s };
    scheduleHash(encodeHash(state));
    setPageState("ready");
  }

  function select(id) {
    selected = id;
    view.select(id);
    openPanel("inspector");
    inspector.show(model, id, timeline.step());
  }

  /**
   * A mistake, of whatever kind (a value the editor cannot read, a syntax error, a bad
   * input the server refused): its words under the editor, the old warnings gone, and the
   * last good graph kept but dimmed and inert, the same way every time.
   */
  function fail(message, line = null, col = null) {
    editor.showError(message, line, col);
    warnings.textContent = "";
    timeline.pause();
    root.classList.toggle("stale", view.hasGraph());
    setPageState("ready");
  }

  /** Evaluate a state on the server and draw it. */
  async function run(next, step = 0) {
    const mine = ++runId;
    setPageState("busy");
    editor.clearError();
    let answer;
    performance.mark("graph:request");
    try {
      // built-in composites come as groups of gates, shown folded as the lecture's one gate
      answer = await postJSON("/api/graph", graphRequest(next, next.quiz ? {} : { expand: true }));
    } catch (err) {
      if (mine !== runId) return;
      const api = err instanceof ApiError;
      fail(api ? err.message : String(err.message || err), api ? err.line : null, api ? err.col : null);
      return;
    }
    if (mine !== runId) return;
    performance.mark("graph:response");
    root.classList.remove("stale");
    trace = answer;
    state = { ...next, step };
    extras = {};
    const t0 = performance.now();
    folded = initialFolds(trace);
    draw();
    panzoom.initial(view.size());
    if (presenter.active()) fitView();
    selected = null;
    inspector.empty();
    refreshOpenTab();
    warnings.textContent = (trace.warnings || []).join(" ");
    quiz.attach(shown, model, state, registry);
    const at = Math.min(step, model.last);
    timeline.reset(model.last, { at, titleOf: (s) => stepTitle(model, s) });
    timeline.go(at);
    svg.dataset.renderMs = (performance.now() - t0).toFixed(1);
    performance.mark("graph:drawn");
    svg.dataset.nodes = String(trace.nodes.length);
  }

  /** Lay out and draw the answer with the groups of `folded` folded. */
  function draw() {
    shown = foldTrace(trace, folded, symbols);
    const hidden = foldedConstants(shown, symbols);
    model = buildSteps(shown, hidden);
    const integers = shown.nodes.every((n) => (n.value == null || allIntegers(n.value)) && (n.grad == null || allIntegers(n.grad)));
    const widths = new Map(shown.nodes.map((n) => [n.id, view.labelWidth(n, integers)]));
    const layout = layoutGraph(shown.nodes.filter((n) => !hidden.has(n.id)), { labelWidth: (id) => widths.get(id),
      view: panzoom.viewSize() });
    view.render(shown, layout, model);
    panzoom.minimap.draw(view.size(), view.overview());
  }

  /** Fold or unfold a group; the timeline stays at the same gate (or the group's step). */
  function toggleGroup(id) {
    if (!trace) return;
    const at = model.steps[timeline.step()] || {};
    if (folded.has(id)) folded.delete(id);
    else folded.add(id);
    draw();
    panzoom.refit(view.size());
    const same = model.steps.findIndex((st) => st.kind === at.kind && st.node === at.node);
    const owner = (trace.groups || []).find((g) => g.id === id);
    const step = same >= 0 ? same : Math.max(0, model.steps.findIndex((st) => st.kind === at.kind && owner && st.node === owner.output));
    const next = Math.min(step, model.last);
    timeline.reset(model.last, { at: next, titleOf: (s) => stepTitle(model, s) });
    timeline.go(next);
    const header = svg.querySelector(`[data-group-id="${id}"] .group-header`);
    if (header) header.focus();
  }

  function runEditor() {
    const read = editor.read();
    if (read.error) {
      fail(read.error);
      return;
    }
    const quizNow = state.quiz && read.program !== state.program ? { hide: state.quiz.hide } : state.quiz;
    document.dispatchEvent(new CustomEvent("chainrule:ran"));
    run({ ...read, quiz: quizNow, step: 0 });
  }

  function loadExample(ex) {
    const next = { program: ex.expression, inputs: ex.inputs || {}, output: ex.output || null,
      upstream: ex.upstream ?? null, example: ex.id, step: 0, quiz: state.quiz ? { hide: state.quiz.hide } : null };
    editor.load(next, ex);
    document.dispatchEvent(new CustomEvent("chainrule:ran"));
    run(next);
  }

  /** Fetch the trace again with one extra option (code, gradcheck), once per graph. */
  function withOption(option) {
    if (!extras[option]) extras[option] = postJSON("/api/graph", graphRequest(state, { [option]: true }));
    return extras[option];
  }

  /** Open a tab of the side panel; the open tab's button closes the panel again. */
  function openPanel(name, { toggle = false } = {}) {
    const side = root.querySelector(".side-right");
    const current = tabs.find((t) => t.classList.contains("active"));
    const collapse = toggle && !side.classList.contains("collapsed") && current && current.dataset.panel === name;
    setSideOpen(!collapse);
    for (const tab of tabs) {
      const on = tab.dataset.panel === name;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-pressed", String(on));
      root.querySelector(`[data-panel-body="${tab.dataset.panel}"]`).hidden = !on;
    }
    refreshOpenTab();
  }

  function setSideOpen(open) {
    const side = root.querySelector(".side-right");
    if (side.classList.contains("collapsed") !== open) return;
    side.classList.toggle("collapsed", !open);
    // the graph's box changed: refit unless the user has zoomed or panned on purpose
    requestAnimationFrame(() => panzoom.refit(view.size()));
  }

  function refreshOpenTab() {
    if (!trace) return;
    const open = tabs.find((t) => t.classList.contains("active"));
    const name = open ? open.dataset.panel : "inspector";
    if (name === "code") showCode(q("code-tab"), () => withOption("code"));
    if (name === "gradcheck") showGradcheck(q("gradcheck-tab"), () => withOption("gradcheck"));
  }

  function onPresenter(on) {
    panzoom.setMaxFitScale(on ? PRESENTER_FIT : NORMAL_FIT);
    requestAnimationFrame(() => fitView());
  }

  /** Fit the graph to its box; in presenter mode never below PRESENTER_MIN_SCALE. */
  function fitView() {
    panzoom.fit(view.size());
    if (!presenter.active() || !model || panzoom.scale() >= PRESENTER_MIN_SCALE) return;
    panzoom.zoomBy(PRESENTER_MIN_SCALE / panzoom.scale());
    const step = model.steps[timeline.step()];
    const at = view.position(step && step.node ? step.node : model.output.id);
    if (at) panzoom.follow(at.x, at.y);
  }

  function onKey(ev) {
    if (!root.isConnected || root.hidden) return;
    if (timeline.onKey(ev)) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ["INPUT", "TEXTAREA", "SELECT"].includes(ev.target.tagName)) return;
    const keys = {
      p: () => presenter.toggle(), P: () => presenter.toggle(), Escape: () => presenter.leave(),
      f: () => fitView(), "+": () => panzoom.zoomBy(1.25), "=": () => panzoom.zoomBy(1.25),
      "-": () => panzoom.zoomBy(0.8),
    };
    if (keys[ev.key]) {
      ev.preventDefault();
      keys[ev.key]();
    }
  }

  function wireChrome() {
    for (const tab of tabs) tab.addEventListener("click", () => openPanel(tab.dataset.panel, { toggle: true }));
    q("side-collapse").addEventListener("click", () => setSideOpen(false));
    q("zoom-in").addEventListener("click", () => panzoom.zoomBy(1.25));
    q("zoom-out").addEventListener("click", () => panzoom.zoomBy(0.8));
    q("zoom-fit").addEventListener("click", () => fitView());
    q("copy-link").addEventListener("click", () => {
      flushHash();
      copyLink(q("share-box"), q("share-link"), q("share-status"));
    });
    q("share-close").addEventListener("click", () => { q("share-box").hidden = true; });
    // Exports carry the current theme: its token values written into the file.
    const themed = () => resolveTokens(view.exportSVG()).replace("<style>", `<style>svg > rect { fill: ${token("--bg")}; } `);
    q("export-svg").addEventListener("click", () => view.hasGraph() && exportSVG(themed()));
    q("export-png").addEventListener("click", () => view.hasGraph() && exportPNG(themed(), view.size(), token("--bg")).catch(() => {}));
    q("export-trace").addEventListener("click", () => trace && downloadTrace(trace));
    const exportMenu = q("export-menu");
    exportMenu.addEventListener("click", (ev) => { if (ev.target.closest("button")) exportMenu.open = false; });
    document.addEventListener("pointerdown", (ev) => { if (!exportMenu.contains(ev.target)) exportMenu.open = false; });
    document.addEventListener("keydown", onKey);
    window.addEventListener("resize", () => fitView());
    // Plotly heatmaps in the inspector do not read CSS: draw them again in the new colours.
    window.addEventListener("themechange", () => { if (model && selected) inspector.show(model, selected, timeline.step(), { force: true }); });
    svg.addEventListener("click", () => { if (selected) { selected = null; view.select(null); } });
  }

  /** Quiz mode on (a quiz or exercise) or off: evaluate again, with or without the answers. */
  function setQuiz(quizState) {
    const next = { ...state, quiz: quizState, step: 0 };
    editor.load(next, examples.find((e) => e.id === next.example) || null);
    run(next);
  }

  /** A link (or a pasted hash) names a graph: load it unless it is the one shown. */
  function openHash() {
    if (!loaded) return false;  // start() opens the hash once the examples and ops are in
    const linked = decodeHash(location.hash);
    if (!linked) return false;
    const same = trace && linked.program === state.program &&
      JSON.stringify(linked.inputs) === JSON.stringify(state.inputs) &&
      linked.output === state.output && JSON.stringify(linked.upstream) === JSON.stringify(state.upstream) &&
      JSON.stringify(linked.quiz) === JSON.stringify(state.quiz);
    if (same) {
      timeline.go(linked.step);
      return true;
    }
    editor.load(linked, examples.find((e) => e.id === linked.example) || null);
    run(linked, linked.step);
    return true;
  }

  async function start() {
    setPageState("busy");
    wireChrome();
    const quizLink = Boolean(decodeHash(location.hash)?.quiz);  // a quiz link: no notes with answers
    const [exampleDoc, ops] = await Promise.allSettled([getJSON(quizLink ? "/api/examples?quiz=true" : "/api/examples"),
      getJSON("/api/ops")]);
    if (ops.status === "fulfilled" && Array.isArray(ops.value)) {
      for (const op of ops.value) {
        symbols[op.name] = op.symbol;
        registry[op.name] = op;
      }
    }
    examples = exampleDoc.status === "fulfilled" ? graphExamples(exampleDoc.value) : [];
    loaded = true;
    if (exampleDoc.status === "rejected") editor.showError(`Could not load the examples: ${exampleDoc.reason.message}`);
    editor.setExamples(examples);
    if (openHash()) return;
    if (examples.length) loadExample(examples[0]);
    else setPageState("ready");
  }

  start();
  return { openHash, fit: fitView };
}
