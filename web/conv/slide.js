/**
 * The sliding-filter stage, the conv view's story on one screen: the input (padded) with
 * the filter window, lines from the window to the output cell it fills, the activation
 * maps filling in, and beside them the filter and the window's products and sums. Step t
 * (0..total) means t output cells are done, in map / row / column order; between steps the
 * window glides to its next place. With no conv layer (the lecture's max-pool example) the
 * window is the pool window over the input and the cells are the pooled map.
 */
import { el, svgEl } from "../lib/dom.js";
import { createTimeline } from "../lib/timeline.js";
import { rangeOf } from "../lib/heatmap.js";
import { createInputGrid } from "./grid.js";
import { createOutputMaps } from "./outmaps.js";
import { renderConvTerms, renderPoolTerms } from "./terms.js";
import { renderFilterPanel } from "./filterpanel.js";
import { poolWindow } from "./pooling.js";

/** Ease in and out over the first 60% of a step, then rest on the new place. */
function glide(f) {
  const t = Math.min(1, f / 0.6);
  return t * t * (3 - 2 * t);
}

export const CONV_SPEEDS = [[1, "1 step/s"], [2, "2 steps/s"], [4, "4 steps/s"], [8, "8 steps/s"],
  [16, "16 steps/s"], [64, "64 steps/s"], [256, "256 steps/s"]];

export function createSlide(host) {
  const title = el("h3", { text: "The filter slides over the input" });
  const explain = el("p", { class: "conv-explain" });
  const stale = el("p", { class: "conv-stale-note", testid: "conv-slide-off", hidden: true });
  const timelineHost = el("div", { class: "conv-timeline" });
  const gridHost = el("div", { class: "conv-grid-host" });
  const inputCaption = el("div", { class: "stage-caption", text: "input (padded)" });
  const outCaption = el("div", { class: "stage-caption", text: "activation maps" });
  const filterHost = el("div", { class: "conv-filter-host", testid: "conv-filter-panel" });
  const terms = el("div", { class: "conv-terms", testid: "conv-terms", "aria-live": "off" });
  const mapsHost = el("div", { class: "conv-maps-host" });
  const links = svgEl("svg", { class: "stage-links", "aria-hidden": "true" });
  const linkShape = svgEl("polygon", { class: "stage-link-fill" }, links);
  const linkA = svgEl("line", { class: "stage-link" }, links);
  const linkB = svgEl("line", { class: "stage-link" }, links);
  const inputCol = el("div", { class: "stage-col stage-input" }, [inputCaption, gridHost]);
  const outputCol = el("div", { class: "stage-col stage-output" }, [outCaption, mapsHost]);
  const detailCol = el("div", { class: "stage-col stage-detail" }, [filterHost, terms]);
  const stage = el("div", { class: "conv-stage" }, [inputCol, outputCol, detailCol, links]);
  host.append(el("div", { class: "conv-slide-head" }, [title, explain]), stale, timelineHost, stage);

  const grid = createInputGrid(gridHost);
  const maps = createOutputMaps(mapsHost, { onHover: (hit) => showField(hit ?? pinned), onSelect: pin });
  const timeline = createTimeline(timelineHost, { prefix: "conv", label: "sliding filter", speeds: CONV_SPEEDS, speed: 4,
    rate: 1, smooth: true, onChange: onPosition });
  let resp = null;
  let seq = null;          // {mode: "conv" | "pool", perMap: cells per map, cols, total steps}
  let pinned = null;
  let shownKey = "";
  let filterShown = -1;
  let lastTerms = 0;
  let current = null;      // {win, t}: what the lines join

  /** (k, i, j) of flat step index t. */
  const cellOf = (t) => {
    const k = Math.floor(t / seq.perMap);
    const rest = t % seq.perMap;
    return { k, i: Math.floor(rest / seq.cols), j: rest % seq.cols };
  };

  /** Window {row, col, rows, cols} of output cell (i, j) in padded-input cells. */
  function windowOf(i, j) {
    if (seq.mode === "pool") return poolWindow(resp.pool, i, j);
    const [row, col] = resp.receptive_fields[i][j];
    return { row, col, rows: resp.size[0], cols: resp.size[1] };
  }

  function showField(hit) {
    if (!hit || !resp) { grid.setField(null); maps.setSelected(null); return; }
    const win = windowOf(hit.i, hit.j);
    grid.setField({ ...win, label: `${hit.k},${hit.i},${hit.j}` });
    maps.setSelected(hit.t);
  }

  /** A click pins the cell's receptive field and writes out its arithmetic. */
  function pin(hit) {
    pinned = hit;
    showField(hit);
    writeTerms(hit, hit.t < Math.floor(timeline.position));
  }

  function writeTerms({ k, i, j }, done) {
    const key = `${k},${i},${j},${done}`;
    if (key === shownKey) return;
    shownKey = key;
    if (seq.mode === "pool") renderPoolTerms(terms, resp, k, i, j, windowOf(i, j), done);
    else renderConvTerms(terms, resp, k, i, j, done);
    if (k !== filterShown && seq.mode === "conv") { renderFilterPanel(filterHost, resp, k); filterShown = k; }
  }

  /** Lines from the window's right corners to the left corners of the cell it fills. */
  function drawLinks() {
    const cell = current ? maps.element(current.t) : null;
    const box = current ? grid.windowBox(current.win) : null;
    links.classList.toggle("off", !cell || !box);
    if (!cell || !box) return;
    const s = stage.getBoundingClientRect();
    const c = grid.canvas.getBoundingClientRect();
    const o = cell.getBoundingClientRect();
    const a = { x: c.left - s.left + box.x + box.width, y: c.top - s.top + box.y };
    const b = { x: a.x, y: a.y + box.height };
    const p = { x: o.left - s.left, y: o.top - s.top };
    const q = { x: p.x, y: p.y + o.height };
    links.setAttribute("width", String(s.width));
    links.setAttribute("height", String(s.height));
    for (const [line, from, to] of [[linkA, a, p], [linkB, b, q]]) {
      line.setAttribute("x1", from.x.toFixed(1)); line.setAttribute("y1", from.y.toFixed(1));
      line.setAttribute("x2", to.x.toFixed(1)); line.setAttribute("y2", to.y.toFixed(1));
    }
    linkShape.setAttribute("points", [a, p, q, b].map((pt) => `${pt.x.toFixed(1)},${pt.y.toFixed(1)}`).join(" "));
  }

  /** Draw step position p: cells done, the window (gliding between places), the terms. */
  function onPosition(p) {
    if (!seq) return;
    const t = Math.floor(p);
    const f = p - t;
    maps.fillTo(t);
    const last = Math.max(0, t - 1);
    const from = cellOf(Math.min(last, seq.total - 1));
    const a = windowOf(from.i, from.j);
    let win = a;
    let target = last;
    if (t < seq.total && (t === 0 || f > 0)) {
      const to = cellOf(t);
      const b = windowOf(to.i, to.j);
      // Along a row the window glides; at a row's end (or a new map) it jumps back.
      if (t === 0) { win = b; target = 0; }
      else if (to.i === from.i && to.k === from.k) {
        const g = glide(f);
        win = { ...a, row: a.row + (b.row - a.row) * g, col: a.col + (b.col - a.col) * g };
        if (f > 0.5) target = t;
      } else if (f > 0.5) { win = b; target = t; }
    }
    grid.setWindow(win);
    maps.setCurrent(target);
    current = { win, t: target };
    drawLinks();
    // While playing fast, rewrite the products at most ~8 times a second: nobody reads
    // them faster, and rebuilding them every frame is what would drop frames.
    const now = performance.now();
    if (!timeline.playing || now - lastTerms > 120 || t >= seq.total) {
      lastTerms = now;
      writeTerms(cellOf(target), target < t);
    }
  }

  /** Show a fresh /api/conv answer in a stage `width` px wide and `height` px tall. */
  function render(nextResp, width, height) {
    resp = nextResp;
    if (!resp.receptive_fields && !resp.pool) {
      seq = null;
      disable("Turn on the conv layer or max pooling to see a window slide.");
      return;
    }
    stale.hidden = true;
    const poolOnly = resp.weights.length === 0 && resp.pool;
    const values = poolOnly ? resp.pool.output : resp.output;
    const [count, rows, cols] = [values.length, values[0].length, values[0][0].length];
    seq = { mode: poolOnly ? "pool" : "conv", perMap: rows * cols, cols, total: count * rows * cols };
    shownKey = "";
    filterShown = -1;
    pinned = null;
    const shown = poolOnly ? resp.output : resp.padded_input;
    const kind = rangeOf(shown).min >= 0 ? "image" : "signed";
    const phone = width < 700;
    const wide = width >= 1000;
    grid.setVolume(shown, poolOnly ? [0, 0] : resp.pad, kind, phone ? width : Math.round(width * (wide ? 0.42 : 0.5)), phone ? 360 : height);
    // The maps get what the input leaves: the stage is input | lines | maps | filter and products.
    const inputWidth = parseFloat(grid.canvas.style.width) || 300;
    const detail = wide ? Math.max(260, Math.min(420, width * 0.28)) : 0;
    const side = phone ? width : Math.max(160, width - inputWidth - detail - 3 * 12 - (wide ? 80 : 50));
    if (poolOnly) renderFilterPanel(filterHost, resp, 0);
    const label = poolOnly ? (k) => `pooled map ${k}` : (k) => `map ${k} (filter ${k})`;
    maps.build(values, Array.from({ length: count }, (_, k) => label(k)), { width: side, height: phone ? 360 : height - 24 });
    inputCaption.textContent = poolOnly ? "input" : resp.pad.some((p) => p > 0) ? "input, zero-padded (hatched)" : "input";
    outCaption.textContent = poolOnly ? `pooled map ${resp.pool.shape_text}` : `activation maps ${resp.shape_text}`;
    title.textContent = poolOnly ? "The max-pool window slides over the input" : "The filter slides over the input";
    explain.textContent = poolOnly
      ? `A ${resp.pool.size.join("×")} window slides with stride ${resp.pool.stride[0]}; each pooled cell is the largest number in its window.`
      : "Weights × the numbers under the window, through the whole depth, summed, plus the bias: one cell of the map. Click a cell to see its window.";
    host.classList.remove("conv-stale");
    timeline.reset(seq.total);
    timeline.setEnabled(true);
    onPosition(0);
  }

  /** The layer does not fit (or has nothing to slide): stop and grey out the animation. */
  function disable(why = "The window does not fit: pick a stride or pad that fits (above) to see it slide.") {
    timeline.reset(0);
    timeline.setEnabled(false);
    host.classList.add("conv-stale");
    stale.textContent = why;
    stale.hidden = false;
    links.classList.add("off");
  }

  function enable() { host.classList.remove("conv-stale"); }

  /** Paint again in the current theme (canvas and filled cells do not read CSS). */
  function repaint() {
    grid.repaint();
    maps.repaint();
    if (resp && filterShown >= 0) renderFilterPanel(filterHost, resp, filterShown);
  }

  window.addEventListener("resize", () => drawLinks());
  return { render, disable, enable, repaint, timeline };
}
