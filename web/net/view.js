/**
 * The network view (#net): a small ConvNet on scikit-learn's digits, trained live by the
 * server's engine in a worker process and streamed here (Server-Sent Events). The page
 * draws what the server sends: the layer column (shapes, parameters, why a stack does not
 * fit), the loss and accuracy curves, the conv filters, and for one image every layer's
 * maps, gradients and the class probabilities. It computes no maths of its own.
 */
import { ApiError, postJSON } from "../api.js";
import { el } from "../lib/dom.js";
import { offerExample } from "../handoff.js";
import { encodeHash } from "../graph/state.js";
import { createCurves } from "./curves.js";
import { createDigitPicker } from "./digits.js";
import { gridCanvas, extent } from "./grid.js";
import { createLayerColumn } from "./layers.js";
import { renderMaps } from "./maps.js";

const INSPECT_EVERY_MS = 2000;
const DEFAULT_LR = { sgd: 0.05, adam: 0.01 };

function buildLayout(root) {
  const p = {
    column: el("section", { class: "net-column" }),
    optimizer: el("select", { testid: "train-optimizer", "aria-label": "optimizer" }, [
      el("option", { value: "sgd", text: "SGD, momentum 0.9" }), el("option", { value: "adam", text: "Adam" })]),
    lr: el("input", { type: "number", min: 0.00001, max: 1, step: 0.005, value: DEFAULT_LR.sgd, testid: "train-lr", "aria-label": "learning rate" }),
    batch: el("input", { type: "number", min: 1, max: 256, step: 1, value: 32, testid: "train-batch", "aria-label": "batch size" }),
    speed: el("select", { testid: "train-speed", "aria-label": "speed" }, [
      el("option", { value: "full", text: "as fast as it goes" }), el("option", { value: "slow", text: "slow: 4 batches a second" })]),
    start: el("button", { type: "button", class: "primary", testid: "train-start", text: "Start" }),
    pause: el("button", { type: "button", testid: "train-pause", text: "Pause", disabled: true }),
    step: el("button", { type: "button", testid: "train-step", text: "One batch" }),
    reset: el("button", { type: "button", testid: "train-reset", text: "Reset" }),
    status: el("p", { class: "net-status muted", testid: "train-status", text: "Starting a training run…" }),
    epoch: el("span", { testid: "train-epoch", text: "0" }),
    accuracy: el("span", { testid: "test-accuracy", text: "" }),
    loss: el("div", { class: "net-curve", testid: "loss-curve" }),
    acc: el("div", { class: "net-curve", testid: "accuracy-curve" }),
    filters: el("div", { class: "net-filters", testid: "net-filters" }),
    picker: el("section", { class: "net-picker" }),
    maps: el("section", { class: "net-maps", testid: "layer-maps" }),
  };
  const side = el("aside", { class: "net-side", id: "net-controls" }, [
    p.column,
    el("h3", { text: "Training" }),
    el("div", { class: "net-settings" }, [
      el("label", {}, ["optimizer", p.optimizer]), el("label", {}, ["learning rate", p.lr]),
      el("label", {}, ["batch size", p.batch]), el("label", {}, ["speed", p.speed])]),
    el("div", { class: "net-buttons" }, [p.start, p.pause, p.step, p.reset]),
    p.status,
  ]);
  const main = el("div", { class: "net-main" }, [
    el("div", { class: "net-stats" }, ["epoch ", p.epoch, " · test accuracy ", p.accuracy]),
    el("div", { class: "net-curves" }, [p.loss, p.acc]),
    el("h3", { text: "First conv layer's filters" }), p.filters,
    el("div", { class: "net-inside" }, [p.picker, p.maps]),
  ]);
  root.replaceChildren(el("div", { class: "net-view", testid: "net-view" }, [side, main]));
  return p;
}

/** Build the view inside `root` and start a (paused) training run. */
export function mountNetView(root) {
  const p = buildLayout(root);
  const curves = createCurves(p.loss, p.acc);
  let run = null;          // id of the server's run
  let runConfig = null;    // the settings it was started or last reset with
  let source = null;       // its event stream
  let running = false;
  let plan = null;
  let network = null;
  let lastInspect = 0;
  let inspecting = false;
  let inspectAgain = false;

  const column = createLayerColumn(p.column, { onChange: (layers, newPlan) => {
    network = layers;
    plan = newPlan;
    const ok = plan.fits;
    for (const b of [p.start, p.step, p.reset]) b.disabled = !ok;
    if (!ok) say("This stack does not fit; change the layer marked in red.");
    else if (run && !sameConfig(config(), runConfig)) say("Settings changed: Reset (or Start) trains the new network from scratch.");
    if (ok && !run) ensureRun().catch(showError);
  } });
  const picker = createDigitPicker(p.picker, { onPick: () => inspect() });

  function say(text) { p.status.textContent = text; }
  function showError(err) { say(err instanceof ApiError ? err.message : String(err)); }

  function config() {
    const lr = Number(p.lr.value);
    return { network: network || column.network(), optimizer: p.optimizer.value, lr: Number.isFinite(lr) ? lr : null, batch: Math.round(Number(p.batch.value)), seed: 0 };
  }

  function sameConfig(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function setRunning(on) {
    running = on;
    p.start.disabled = on || !(plan && plan.fits);
    p.pause.disabled = !on;
    p.step.disabled = on || !(plan && plan.fits);
    root.dataset.training = on ? "running" : "paused";
  }

  function addPoint(point) {
    if (point) addPoints([point]);
  }

  function addPoints(points) {
    if (!points.length) return;
    const last = points[points.length - 1];
    curves.add(...points);
    p.epoch.textContent = last.epochs_done.toFixed(2);
    p.accuracy.textContent = last.test_accuracy.toFixed(4);
    if (last.filters) drawFilters(last.filters);
  }

  // Streamed points wait for the next frame and are drawn together: a busy machine (or a
  // hidden tab) gets one redraw per frame, not one per event.
  let pending = [];
  let frame = 0;
  function queuePoint(point) {
    pending.push(point);
    if (!frame) frame = requestAnimationFrame(flushPoints);
  }
  function flushPoints() {
    frame = 0;
    const points = pending;
    pending = [];
    addPoints(points);
    const last = points[points.length - 1];
    if (last && running) say(`Training: ${last.batches} batches, epoch ${last.epoch + 1}.`);
    if (running && Date.now() - lastInspect > INSPECT_EVERY_MS) inspect();
  }

  function drawFilters(filters) {
    const first = filters[0];
    if (!first) { p.filters.replaceChildren(el("p", { class: "muted", text: "no conv layer" })); return; }
    const scale = extent(first.weights);
    p.filters.replaceChildren(...first.weights.map((w, k) => el("figure", { class: "net-filter" }, [
      ...w.map((channel, c) => gridCanvas(channel, 12, { scale, testid: `filter-${k}-${c}` })),
      el("figcaption", { class: "muted", text: `filter ${k + 1}` })])));
  }

  function listen() {
    source = new EventSource(`/api/net/runs/${run}/events`);
    const mine = source;
    source.addEventListener("progress", (ev) => queuePoint(JSON.parse(ev.data)));
    source.addEventListener("end", (ev) => {
      const reason = JSON.parse(ev.data).reason;
      ended(`The training run ended: ${reason}. Reset starts a new one.`, mine);
    });
    source.onerror = () => ended("The connection to the training run was lost. Reset starts a new one.", mine);
  }

  function ended(message, which) {
    if (which !== source) return;
    source.close();
    source = null;
    run = null;
    delete root.dataset.run;
    setRunning(false);
    say(message);
  }

  /** A run with the current settings: the one we have, reset if the settings changed. */
  let creating = null;
  async function ensureRun() {
    if (creating) return creating;
    const want = config();
    if (run && sameConfig(want, runConfig)) return;
    if (run) { await reset(); return; }
    creating = createRun(want).finally(() => { creating = null; });
    return creating;
  }

  async function createRun(want) {
    const status = await postJSON("/api/net/runs", want);
    run = status.run;
    root.dataset.run = run;
    runConfig = want;
    curves.reset();
    addPoint(status.point);
    listen();
    setRunning(false);
    say("Ready: press Start to train, or One batch to take a single step.");
    await inspect();
    document.body.dataset.state = "ready";
  }

  async function control(action, extra = {}) {
    return postJSON(`/api/net/runs/${run}/control`, { action, ...extra });
  }

  async function reset() {
    setRunning(false);
    if (!run) { await ensureRun(); return; }
    const want = config();
    const status = await control("reset", { config: want });
    runConfig = want;
    pending = [];
    curves.reset();
    addPoint(status.point);
    say("Reset: new random weights. Press Start.");
    await inspect();
  }

  /** Look inside the network for the chosen image; a request made while one is on its
   * way runs once that one is back (with the image chosen by then). */
  async function inspect() {
    if (inspecting) { inspectAgain = true; return; }
    const chosen = picker.selected();
    if (!run || !chosen) return;
    inspecting = true;
    lastInspect = Date.now();
    try {
      const result = await postJSON(`/api/net/runs/${run}/inspect`, { image: chosen.image });
      renderMaps(p.maps, result, plan, { onConv: openConv, onNeuron: openNeuron });
      p.maps.dataset.source = result.source;
    } catch (err) {
      showError(err);
    } finally {
      inspecting = false;
    }
    if (inspectAgain) { inspectAgain = false; await inspect(); }
  }

  async function openConv(layer) {
    const chosen = picker.selected();
    try {
      const example = await postJSON(`/api/net/runs/${run}/conv`, { image: chosen.image, layer });
      offerExample(example);
      location.hash = `#conv&ex=${encodeURIComponent(example.id)}&in=example&wt=example`;
    } catch (err) { showError(err); }
  }

  async function openNeuron(layer, unit) {
    const chosen = picker.selected();
    try {
      const body = await postJSON(`/api/net/runs/${run}/neuron`, { image: chosen.image, layer, unit });
      location.hash = encodeHash({ program: body.expression, inputs: body.inputs, output: body.output, upstream: null, step: 1_000_000, example: null });
    } catch (err) { showError(err); }
  }

  p.start.addEventListener("click", async () => {
    try {
      await ensureRun();
      await control("start", { speed: p.speed.value });
      setRunning(true);
      say("Training…");
    } catch (err) { showError(err); }
  });
  p.pause.addEventListener("click", async () => {
    try {
      const status = await control("pause");
      setRunning(false);
      if (frame) { cancelAnimationFrame(frame); flushPoints(); }
      say(`Paused after ${status.batches} batches (epoch ${status.epoch + 1}).`);
      inspect();
    } catch (err) { showError(err); }
  });
  p.step.addEventListener("click", async () => {
    try {
      await ensureRun();
      const status = await control("step");
      addPoint(status.point);
      say(`One batch: ${status.batches} so far.`);
      await inspect();
    } catch (err) { showError(err); }
  });
  p.reset.addEventListener("click", () => reset().catch(showError));
  p.speed.addEventListener("change", () => {
    if (running) control("start", { speed: p.speed.value }).catch(showError);
  });
  p.optimizer.addEventListener("change", () => {
    p.lr.value = DEFAULT_LR[p.optimizer.value];
    say("Settings changed: Reset (or Start) trains from scratch with them.");
  });
  for (const input of [p.lr, p.batch]) input.addEventListener("change", () => say("Settings changed: Reset (or Start) trains from scratch with them."));
  setRunning(false);
  window.addEventListener("pagehide", () => { if (source) source.close(); });
}
