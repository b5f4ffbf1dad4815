/**
 * The heatmap section of the conv view: activation maps, after ReLU, max pooling (the map
 * before pooling with every arg-max outlined and a chosen window, next to the pooled map),
 * and the backward pass: upstream gradient, gradient at the conv output, gradient of the
 * input and of every filter, bias gradients. Each group is one Plotly figure.
 */
import { el, fmt } from "./dom.js";
import { renderHeatmaps, setShapes, BOX_COLORS } from "./maps.js";
import { poolWindow } from "./pooling.js";

const MAX_PANELS = 12;

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

/** Panels for a (K, H, W) stack, at most MAX_PANELS of them. */
function stack(values, name) {
  return values.slice(0, MAX_PANELS).map((z, k) => ({ z, title: `${name} ${k + 1}` }));
}

/** Shapes for the pool figure: each arg-max (orange) and the chosen window (blue). */
function poolShapes(resp, shown, chosen, fig) {
  const shapes = [];
  for (let k = 0; k < shown; k++) {
    const winners = resp.pool.argmax[k].flat().map(([row, col]) => ({ row, col, rows: 1, cols: 1, color: BOX_COLORS.argmax, width: 2 }));
    shapes.push(...fig.boxes(2 * k, winners));
    if (chosen && chosen.k === k) {
      const win = poolWindow(resp.pool, chosen.i, chosen.j);
      shapes.push(...fig.boxes(2 * k, [{ ...win, color: BOX_COLORS.window, width: 3 }]));
      shapes.push(...fig.boxes(2 * k + 1, [{ row: chosen.i, col: chosen.j, rows: 1, cols: 1, color: BOX_COLORS.window, width: 3 }]));
    }
  }
  return shapes;
}

/** Forward figures; resolves when Plotly has drawn them all. */
function renderForward(host, resp, poolOnly) {
  const jobs = [];
  const mapSize = Math.max(160, Math.min(200, 9 * resp.output[0].length));
  if (!poolOnly) {
    const plot = figure(host, `Activation maps (${resp.shape_text}), before any ReLU`, "Hover for each value.", "conv-heatmaps");
    jobs.push(renderHeatmaps(plot, stack(resp.output, "map"), { size: mapSize }));
  }
  if (resp.relu) {
    const plot = figure(host, "After ReLU: max(0, x) on every cell", null, "conv-relu-heatmaps");
    jobs.push(renderHeatmaps(plot, stack(resp.relu, "relu map"), { size: mapSize }));
  }
  if (resp.pool) {
    const before = resp.relu ?? resp.output;
    const shown = Math.min(before.length, MAX_PANELS / 2);
    const plot = figure(host, `Max pool ${resp.pool.size.join("×")}, stride ${resp.pool.stride[0]}: ${resp.pool.shape_text}`,
      "Orange: the arg-max of each window. Click a pooled cell to outline its window (blue).", "conv-pool-heatmaps");
    const panels = [];
    for (let k = 0; k < shown; k++) {
      panels.push({ z: before[k], title: `${poolOnly ? "input" : "map"} ${k + 1} before pooling` }, { z: resp.pool.output[k], title: `pooled ${k + 1}` });
    }
    const size = Math.max(140, Math.min(200, 12 * before[0].length));
    const shapes = (fig) => poolShapes(resp, shown, { k: 0, i: 0, j: 0 }, fig);
    jobs.push(renderHeatmaps(plot, panels, { size, cols: 4, shapes }).then((fig) => {
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
function renderBackward(host, resp, poolOnly) {
  const jobs = [];
  const up = resp.upstream;
  const size = Math.max(160, Math.min(200, 9 * up[0].length));
  let plot = figure(host, "Upstream gradient dL/d(output)", "What the layer above sends back (ones or random).", "conv-upstream-heatmaps");
  jobs.push(renderHeatmaps(plot, stack(up, "upstream"), { kind: "grad", size }));
  if (!poolOnly && (resp.relu || resp.pool)) {
    plot = figure(host, "Gradient at the conv output (before any ReLU)", "After flowing back through the max pool (a router) and the ReLU (a gate that passes the gradient where its input was positive, else blocks it).", "conv-grad-output");
    const grad = resp.grad_conv_output ?? resp.grad_output;
    jobs.push(renderHeatmaps(plot, stack(grad, "dL/d map"), { kind: "grad", size: Math.max(160, Math.min(200, 9 * grad[0].length)) }));
  }
  const gx = resp.grad_input;
  plot = figure(host, "Gradient of the input dL/dx", poolOnly ? null : "Every input cell collects weight × upstream from each window it was in.", "conv-grad-input");
  jobs.push(renderHeatmaps(plot, stack(gx, "channel").map((p, c) => ({ ...p, title: `dL/dx channel ${c}` })), { kind: "grad", size: Math.max(160, Math.min(200, 9 * gx[0].length)) }));
  if (!poolOnly) {
    const gw = resp.grad_weights;
    const panels = [];
    for (let k = 0; k < gw.length && panels.length < 3 * MAX_PANELS; k++) {
      gw[k].slice(0, 4).forEach((z, c) => panels.push({ z, title: `dL/dw filter ${k + 1} ch ${c}` }));
    }
    plot = figure(host, "Gradient of each filter dL/dw", "Each weight collects input × upstream over every position the filter visited.", "conv-grad-weights");
    jobs.push(renderHeatmaps(plot, panels, { kind: "grad", size: 110, cols: Math.min(6, Math.max(gw[0].length, 3) * 2) }));
    host.append(el("p", { class: "conv-bias-grad", testid: "conv-grad-bias",
      text: `dL/db = [${resp.grad_bias.map((v) => fmt(v, 4)).join(", ")}]  (each bias collects the sum of its map's upstream gradient)` }));
  }
  return jobs;
}

/** Redraw both groups into their hosts; resolves when every figure is drawn. */
export async function renderFigures(forwardHost, backwardHost, resp) {
  const poolOnly = resp.weights.length === 0 && Boolean(resp.pool);
  for (const host of [forwardHost, backwardHost]) {
    if (!drawn.has(host)) drawn.set(host, new Map());
    for (const part of drawn.get(host).values()) part.used = false;
    host.replaceChildren();
  }
  const jobs = [...renderForward(forwardHost, resp, poolOnly), ...renderBackward(backwardHost, resp, poolOnly)];
  // Figures this layer does not have (no ReLU now, say) are let go.
  for (const host of [forwardHost, backwardHost]) {
    for (const [testid, part] of drawn.get(host)) {
      if (!part.used) { Plotly.purge(part.plot); drawn.get(host).delete(testid); }
    }
  }
  await Promise.all(jobs);
}
