/**
 * The heatmap section of the conv view, one figure per stage of the API's typed answer
 * ("stages": conv -> ReLU -> max pool, each with its value and its gradient): forward,
 * the activation maps, after ReLU, max pooling (the map before pooling with every arg-max
 * outlined next to the pooled map); backward, the upstream gradient, the gradient at the
 * conv output, of the input and of every filter, and the bias gradients. Each group is
 * one figure of the page's one heatmap (lib/heatmap.js), sized to the width it has.
 */
import { el } from "../lib/dom.js";
import { allIntegers, fmt } from "../lib/format.js";
import { renderHeatmaps, setShapes } from "../lib/heatmap.js";
import { token } from "../lib/theme.js";
import { poolWindow } from "./pooling.js";

const MAX_PANELS = 12;
const BOX_COLORS = { window: () => token("--window"), argmax: () => token("--field") };

/** The stage of a kind ("conv", "relu", "pool") in the API's answer, or null. */
function stageOf(resp, kind) {
  return (resp.stages || []).find((s) => s.kind === kind) || null;
}

/**
 * Figures drawn last time, per host: test id -> {section, heading, note, plot}. A figure the
 * next layer also has is reused, so Plotly.react only updates it instead of building it anew.
 */
const drawn = new WeakMap();

function figure(host, title, note, testid) {
  const cache = drawn.get(host);
  let part = cache.get(testid);
  if (!part) {
    part = { heading: el("h4"), note: el("p", { class: "conv-explain" }), plot: el("div", { class: "conv-plot", testid }) };
    part.section = el("section", { class: "conv-figure" }, [part.heading, part.note, part.plot]);
    cache.set(testid, part);
  }
  part.heading.textContent = title;
  part.note.textContent = note ?? "";
  part.note.hidden = !note;
  part.used = true;
  host.append(part.section);
  return part.plot;
}

/** Panels for a (K, H, W) stack, at most MAX_PANELS of them, numbered from 0. */
function stack(values, name) {
  return values.slice(0, MAX_PANELS).map((z, k) => ({ z, title: `${name} ${k}` }));
}

/** Shapes for the pool figure: each arg-max (orange) and the chosen window (blue). */
function poolShapes(resp, shown, chosen, fig) {
  const shapes = [];
  for (let k = 0; k < shown; k++) {
    const winners = resp.pool.argmax[k].flat().map(([row, col]) => ({ row, col, rows: 1, cols: 1, color: BOX_COLORS.argmax(), width: 2 }));
    shapes.push(...fig.boxes(2 * k, winners));
    if (chosen && chosen.k === k) {
      const win = poolWindow(resp.pool, chosen.i, chosen.j);
      shapes.push(...fig.boxes(2 * k, [{ ...win, color: BOX_COLORS.window(), width: 3 }]));
      shapes.push(...fig.boxes(2 * k + 1, [{ row: chosen.i, col: chosen.j, rows: 1, cols: 1, color: BOX_COLORS.window(), width: 3 }]));
    }
  }
  return shapes;
}

/** Forward figures; resolves when Plotly has drawn them all. */
function renderForward(host, resp, poolOnly, width) {
  const jobs = [];
  const mapSize = Math.max(160, Math.min(220, 9 * resp.output[0].length));
  const conv = stageOf(resp, "conv");
  const relu = stageOf(resp, "relu");
  if (conv) {
    const plot = figure(host, `Activation maps (${conv.shape_text}), before any ReLU`, "Hover for each value.", "conv-heatmaps");
    jobs.push(renderHeatmaps(plot, stack(conv.value, "map"), { size: mapSize, width, label: "value" }));
  }
  if (relu) {
    const plot = figure(host, "After ReLU: max(0, x) on every cell", null, "conv-relu-heatmaps");
    jobs.push(renderHeatmaps(plot, stack(relu.value, "relu map"), { size: mapSize, width, label: "value" }));
  }
  if (resp.pool) {
    const before = relu ? relu.value : resp.output;
    const shown = Math.min(before.length, MAX_PANELS / 2);
    const plot = figure(host, `Max pool ${resp.pool.size.join("×")}, stride ${resp.pool.stride[0]}: ${resp.pool.shape_text}`,
      "Orange: the arg-max of each window. Click a pooled cell to outline its window (blue).", "conv-pool-heatmaps");
    const panels = [];
    for (let k = 0; k < shown; k++) {
      panels.push({ z: before[k], title: `${poolOnly ? "input" : "map"} ${k} before pooling` }, { z: resp.pool.output[k], title: `pooled ${k}` });
    }
    const size = Math.max(140, Math.min(200, 12 * before[0].length));
    const shapes = (fig) => poolShapes(resp, shown, { k: 0, i: 0, j: 0 }, fig);
    jobs.push(renderHeatmaps(plot, panels, { size, cols: 4, shapes, width, label: "value" }).then((fig) => {
      // A reused figure still has the last layer's click handler: replace it.
      if (plot.convClick) plot.removeListener("plotly_click", plot.convClick);
      plot.convClick = (event) => {
        const hit = fig.locate(event.points[0].x, event.points[0].y);
        if (hit && hit.panel % 2 === 1) {
          setShapes(plot, fig, poolShapes(resp, shown, { k: (hit.panel - 1) / 2, i: hit.row, j: hit.col }, fig));
        }
      };
      plot.on("plotly_click", plot.convClick);
    }));
  }
  return jobs;
}

/** Backward figures; resolves when Plotly has drawn them all. */
function renderBackward(host, resp, poolOnly, width) {
  const jobs = [];
  const up = resp.upstream;
  const size = Math.max(160, Math.min(220, 9 * up[0].length));
  const opts = (extra) => ({ width, label: "gradient", ...extra });
  let plot = figure(host, "Upstream gradient dL/d(output)", "What the layer above sends back (ones or random).", "conv-upstream-heatmaps");
  jobs.push(renderHeatmaps(plot, stack(up, "upstream"), opts({ size })));
  const conv = stageOf(resp, "conv");
  if (conv && (stageOf(resp, "relu") || resp.pool)) {
    plot = figure(host, "Gradient at the conv output (before any ReLU)", "After flowing back through the max pool (a router) and the ReLU (a gate that passes the gradient where its input was positive, else blocks it).", "conv-grad-output");
    jobs.push(renderHeatmaps(plot, stack(conv.grad, "dL/d map"), opts({ size: Math.max(160, Math.min(220, 9 * conv.grad[0].length)) })));
  }
  const gx = resp.grad_input;
  plot = figure(host, "Gradient of the input dL/dx", poolOnly ? null : "Every input cell collects weight × upstream from each window it was in.", "conv-grad-input");
  jobs.push(renderHeatmaps(plot, stack(gx, "channel").map((p, c) => ({ ...p, title: `dL/dx channel ${c}` })), opts({ size: Math.max(160, Math.min(220, 9 * gx[0].length)) })));
  if (!poolOnly) {
    const gw = resp.grad_weights;
    const panels = [];
    for (let k = 0; k < gw.length && panels.length < 3 * MAX_PANELS; k++) {
      gw[k].slice(0, 4).forEach((z, c) => panels.push({ z, title: `dL/dw filter ${k} ch ${c}` }));
    }
    plot = figure(host, "Gradient of each filter dL/dw", "Each weight collects input × upstream over every position the filter visited.", "conv-grad-weights");
    jobs.push(renderHeatmaps(plot, panels, opts({ size: 110, cols: Math.min(6, Math.max(gw[0].length, 3) * 2) })));
    const ints = allIntegers(resp.grad_bias);
    host.append(el("p", { class: "conv-bias-grad", testid: "conv-grad-bias",
      text: `dL/db = [${resp.grad_bias.map((v) => fmt(v, ints)).join(", ")}]  (each bias collects the sum of its map's upstream gradient)` }));
  }
  return jobs;
}

/** Redraw both groups into their hosts; resolves when every figure is drawn. */
export async function renderFigures(forwardHost, backwardHost, resp, width) {
  const poolOnly = resp.weights.length === 0 && Boolean(resp.pool);
  for (const host of [forwardHost, backwardHost]) {
    if (!drawn.has(host)) drawn.set(host, new Map());
    for (const part of drawn.get(host).values()) part.used = false;
    host.replaceChildren();
  }
  const jobs = [...renderForward(forwardHost, resp, poolOnly, width), ...renderBackward(backwardHost, resp, poolOnly, width)];
  // Figures this layer does not have (no ReLU now, say) are let go.
  for (const host of [forwardHost, backwardHost]) {
    for (const [testid, part] of drawn.get(host)) {
      if (!part.used) { Plotly.purge(part.plot); drawn.get(host).delete(testid); }
    }
  }
  await Promise.all(jobs);
}
