/**
 * The sliding-filter section: input grid, the current filter, the timeline, the products
 * written out and the activation maps filling in, wired together. Step t (0..total) means t
 * output cells are done, in filter / row / column order; between steps the window glides
 * to its next place. With no conv layer (the lecture's max-pool example) the window is the
 * pool window over the input and the cells are the pooled map.
 */
import { el } from "./dom.js";
import { createInputGrid } from "./grid.js";
import { createOutputMaps } from "./outmaps.js";
import { createTimeline } from "./timeline.js";
import { renderConvTerms, renderPoolTerms } from "./terms.js";
import { renderFilterPanel } from "./filterpanel.js";
import { poolWindow } from "./pooling.js";
import { rangeOf } from "./palette.js";
import { createVolume } from "./volume.js";

/** Ease in and out over the first 60% of a step, then rest on the new place. */
function glide(f) {
  const t = Math.min(1, f / 0.6);
  return t * t * (3 - 2 * t);
}

export function createSlide(host) {
  const title = el("h3", { text: "The filter slides over the input" });
  const explain = el("p", { class: "conv-explain" });
  const stale = el("p", { class: "conv-stale-note", testid: "conv-slide-off", hidden: true });
  const timelineHost = el("div");
  const gridHost = el("div", { class: "conv-grid-host" });
  const filterHost = el("div", { class: "conv-filter-host", testid: "conv-filter-panel" });
  const terms = el("div", { class: "conv-terms", testid: "conv-terms" });
  const mapsTitle = el("h4", { text: "Activation maps" });
  const mapsHost = el("div");
  const volumeHost = el("div", { class: "conv-volume-host" });
  host.append(title, stale, explain, timelineHost,
    el("div", { class: "conv-slide-row" }, [gridHost, filterHost]), terms, mapsTitle,
    el("div", { class: "conv-maps-row" }, [volumeHost, mapsHost]));

  const grid = createInputGrid(gridHost);
  const volume = createVolume(volumeHost);
  const maps = createOutputMaps(mapsHost, { onHover: (hit) => showField(hit ?? pinned), onSelect: pin });
  const timeline = createTimeline(timelineHost, { prefix: "conv", label: "sliding filter", onChange: onPosition });
  let resp = null;
  let seq = null;          // {mode: "conv" | "pool", perMap: cells per map, cols, total steps}
  let pinned = null;
  let shownKey = "";
  let filterShown = -1;
  let lastTerms = 0;

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

  /** Draw step position p: cells done, the window (gliding between places), the terms. */
  function onPosition(p) {
    if (!seq) return;
    const t = Math.floor(p);
    const f = p - t;
    maps.fillTo(t);
    const last = Math.max(0, t - 1);
    const from = cellOf(last);
    const a = windowOf(from.i, from.j);
    let win = a;
    if (t > 0 && t < seq.total && f > 0) {
      const to = cellOf(t);
      const b = windowOf(to.i, to.j);
      // Along a row the window glides; at a row's end (or a new filter) it jumps back.
      if (to.i === from.i && to.k === from.k) {
        const g = glide(f);
        win = { ...a, row: a.row + (b.row - a.row) * g, col: a.col + (b.col - a.col) * g };
      } else if (f > 0.5) win = b;
    }
    grid.setWindow(win);
    maps.setCurrent(last);
    volume.setCurrent(from.k);
    // While playing fast, rewrite the 75-product table at most ~8 times a second: nobody
    // reads it faster, and rebuilding it every frame is what would drop frames.
    const now = performance.now();
    if (!timeline.playing || now - lastTerms > 120 || t >= seq.total) {
      lastTerms = now;
      writeTerms(from, t > 0);
    }
  }

  /** Show a fresh /api/conv answer; the animation starts at step 0. */
  function render(nextResp, maxWidth) {
    resp = nextResp;
    if (!resp.receptive_fields && !resp.pool) {
      // No conv layer and no pool: nothing slides.
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
    const kind = rangeOf(shown).min >= 0 ? "image" : "value";
    grid.setVolume(shown, poolOnly ? [0, 0] : resp.pad, kind, Math.max(360, maxWidth - 40));
    if (poolOnly) renderFilterPanel(filterHost, resp, 0);
    const label = poolOnly ? (k) => `pooled map ${k + 1}` : (k) => `map ${k + 1} (filter ${k + 1})`;
    maps.build(values, Array.from({ length: count }, (_, k) => label(k)));
    volume.render(count, rows, cols, poolOnly ? resp.pool.shape_text : resp.shape_text);
    mapsTitle.textContent = poolOnly ? "Pooled map (max of each window)"
      : `Activation maps: ${count} filter${count > 1 ? "s" : ""}, ${count} map${count > 1 ? "s" : ""}, stacked into the output volume`;
    title.textContent = poolOnly ? "The max-pool window slides over the input" : "The filter slides over the input";
    explain.textContent = poolOnly
      ? `A ${resp.pool.size.join("×")} window slides with stride ${resp.pool.stride[0]}; each pooled cell is the largest number in its window.`
      : "At each position the filter's weights multiply the numbers under the window (through the whole depth), "
        + "the products are summed and the bias added: one number of the activation map. Hover or click a map cell to see its receptive field.";
    timeline.reset(seq.total);
    timeline.setEnabled(true);
    onPosition(0);
  }

  /** The layer does not fit (or has nothing to slide): stop and grey out the animation. */
  function disable(why = "The filter does not fit: pick a stride or pad that fits (see above) to see it slide.") {
    timeline.reset(0);
    timeline.setEnabled(false);
    host.classList.add("conv-stale");
    stale.textContent = why;
    stale.hidden = false;
  }

  function enable() { host.classList.remove("conv-stale"); }

  return { render, disable, enable, timeline };
}
