/**
 * Max pooling forward and backward for one map: the map before pooling with each window's
 * arg-max outlined, and the backward "router": each upstream value travels to the arg-max
 * cell of its window, every other cell gets 0. Animated with its own timeline (test ids
 * pool-play, pool-step-forward, pool-step-end). arg-max cells and gradients are the API's
 * (pool.argmax, pool.grad_input); the page only moves them around.
 */
import { el } from "../lib/dom.js";
import { allIntegers, fmt } from "../lib/format.js";
import { cellRgb, rgbCss, textOn, rangeOf } from "../lib/heatmap.js";
import { createTimeline } from "../lib/timeline.js";

const POOL_SPEEDS = [[1, "1 step/s"], [2, "2 steps/s"], [4, "4 steps/s"], [8, "8 steps/s"], [16, "16 steps/s"]];

/**
 * Window of pooled cell (i, j) in the pooled-over map: {row, col, rows, cols}, its top-left
 * corner from the API's pool.windows.
 */
export function poolWindow(pool, i, j) {
  const [row, col] = pool.windows[i][j];
  return { row, col, rows: pool.size[0], cols: pool.size[1] };
}

function gridOf(rows, cols, px, testid, k) {
  const grid = el("div", { class: "conv-map-grid pool-grid" + (px >= 30 ? " with-text" : ""), testid,
    style: { gridTemplateColumns: `repeat(${cols}, ${px}px)`, gridAutoRows: `${px}px` } });
  const cells = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) cells.push(el("div", { class: "conv-cell", dataset: { cell: `${k},${i},${j}` } }));
  }
  grid.append(...cells);
  return { grid, cells };
}

export function createPoolRouting(host) {
  const intro = el("p", { class: "conv-explain", text: "Backward through max pool: the gradient of each pooled cell goes only to "
    + "the cell that won its window (the arg-max, outlined); every other cell gets 0. This is the lecture's gradient router." });
  const pick = el("select", { testid: "pool-filter", hidden: true, on: { change: () => build(Number(pick.value)) } });
  const timelineHost = el("div");
  const stage = el("div", { class: "pool-stage" });
  host.append(intro, el("div", { class: "pool-head" }, [timelineHost, pick]), stage);
  const timeline = createTimeline(timelineHost, { prefix: "pool", label: "max-pool routing", speeds: POOL_SPEEDS, speed: 4,
    rate: 1, smooth: true, onChange: show });
  let resp = null;
  let k = 0;
  let view = null;

  /** Lay out the upstream grid, the map before pooling and the travelling token for map k. */
  function build(nextK) {
    k = nextK;
    const pool = resp.pool;
    const before = pool.before ?? resp.relu ?? resp.output;
    const map = before[k];
    const [rows, cols] = [map.length, map[0].length];
    const up = resp.upstream[k];
    const px = Math.max(8, Math.min(48, Math.floor(300 / Math.max(rows, cols))));
    const upPx = Math.max(14, Math.min(48, Math.floor(180 / Math.max(up.length, up[0].length))));
    const left = gridOf(up.length, up[0].length, upPx, "pool-upstream", k);
    const right = gridOf(rows, cols, px, "pool-routing", k);
    const upRange = rangeOf(resp.upstream);
    left.cells.forEach((cell, n) => {
      const value = up[Math.floor(n / up[0].length)][n % up[0].length];
      const rgb = cellRgb(value, upRange);
      Object.assign(cell.style, { background: rgbCss(rgb), color: textOn(rgb) });
      cell.dataset.value = String(value);
      if (upPx >= 30) cell.textContent = fmt(value, allIntegers(up));
    });
    // Plain white cells here: the red of the routed gradient must stand out, not compete
    // with the forward colours (those are in the heatmaps above).
    right.cells.forEach((cell, n) => {
      const value = map[Math.floor(n / cols)][n % cols];
      cell.dataset.forward = String(value);
      cell.title = `forward value ${value}`;
    });
    const argmax = pool.argmax[k];
    const winners = argmax.flat().map(([r, c]) => r * cols + c);
    for (const n of winners) right.cells[n].classList.add("argmax");
    const frame = el("div", { class: "pool-window", hidden: true });
    const token = el("div", { class: "pool-token", hidden: true });
    const rightWrap = el("div", { class: "pool-right" }, [right.grid, frame]);
    stage.replaceChildren(
      el("figure", { class: "conv-map" }, [el("figcaption", { text: `upstream gradient (pooled map ${k}, ${up.length}×${up[0].length})` }), left.grid]),
      el("div", { class: "pool-arrow", text: "→ routed to the arg-max →" }),
      el("figure", { class: "conv-map" }, [el("figcaption", { text: `map ${k} before pooling (${rows}×${cols}): forward value, and below it the gradient it receives` }), rightWrap]),
      token,
    );
    view = { left, right, frame, token, argmax, cols, px, upCols: up[0].length, routed: 0, map,
      integers: allIntegers(map), gradIntegers: allIntegers(resp.pool.grad_input[k]) };
    for (const cell of right.cells) resetCell(cell);
    timeline.reset(up.length * up[0].length);
    show(0);
  }

  function resetCell(cell) {
    delete cell.dataset.value;
    cell.classList.remove("routed", "visited");
    cell.textContent = view.px >= 30 ? fmt(Number(cell.dataset.forward), view.integers) : "";
  }

  /** A cell after the backward pass reached it: forward value small, its gradient below. */
  function writeGradient(cell, r, c, cls) {
    cell.classList.add(cls);
    if (view.px >= 30) {
      cell.replaceChildren(el("small", { text: fmt(Number(cell.dataset.forward), view.integers) }),
        el("b", { text: fmt(resp.pool.grad_input[k][r][c], view.gradIntegers) }));
    }
  }

  /**
   * Pooled cell s sends its gradient back: the arg-max cell gets the API's pool.grad_input
   * (data-value), the rest of the window shows its (zero) gradient greyed.
   */
  function route(s) {
    const i = Math.floor(s / view.upCols);
    const j = s % view.upCols;
    const win = poolWindow(resp.pool, i, j);
    for (let r = win.row; r < win.row + win.rows; r++) {
      for (let c = win.col; c < win.col + win.cols; c++) {
        const cell = view.right.cells[r * view.cols + c];
        if (cell && !cell.classList.contains("routed")) writeGradient(cell, r, c, "visited");
      }
    }
    const [r, c] = view.argmax[i][j];
    const cell = view.right.cells[r * view.cols + c];
    cell.classList.remove("visited");
    cell.dataset.value = String(resp.pool.grad_input[k][r][c]);
    writeGradient(cell, r, c, "routed");
  }

  /** Centre of `cell` in stage coordinates. */
  function centre(cell) {
    const a = cell.getBoundingClientRect();
    const b = stage.getBoundingClientRect();
    return [a.left - b.left + a.width / 2, a.top - b.top + a.height / 2];
  }

  function show(position) {
    if (!view) return;
    const s = Math.floor(position);
    if (s < view.routed) {
      for (const cell of view.right.cells) resetCell(cell);
      view.routed = 0;
    }
    for (let t = view.routed; t < s; t++) route(t);
    view.routed = s;
    view.left.cells.forEach((cell, n) => cell.classList.toggle("current", n === s));
    const total = view.left.cells.length;
    if (s >= total) {
      view.frame.hidden = true;
      view.token.hidden = true;
      return;
    }
    const i = Math.floor(s / view.upCols);
    const j = s % view.upCols;
    const win = poolWindow(resp.pool, i, j);
    Object.assign(view.frame.style, { left: `${win.col * view.px}px`, top: `${win.row * view.px}px`,
      width: `${win.cols * view.px}px`, height: `${win.rows * view.px}px` });
    view.frame.hidden = false;
    const f = position - s;
    if (f <= 0) { view.token.hidden = true; return; }
    const [r, c] = view.argmax[i][j];
    const [x0, y0] = centre(view.left.cells[s]);
    const [x1, y1] = centre(view.right.cells[r * view.cols + c]);
    const t = Math.min(1, f / 0.8);  // travel for 80% of the step, then rest on the cell
    view.token.textContent = fmt(resp.upstream[k][i][j], allIntegers(resp.upstream[k]));
    Object.assign(view.token.style, { left: `${x0 + (x1 - x0) * t}px`, top: `${y0 + (y1 - y0) * t}px` });
    view.token.hidden = false;
  }

  /** Show the routing of a /api/conv answer that has a pool (hidden otherwise). */
  function render(nextResp) {
    resp = nextResp;
    host.hidden = !resp.pool;
    if (!resp.pool) { view = null; timeline.reset(0); return; }
    const count = resp.pool.output.length;
    pick.replaceChildren(...Array.from({ length: count }, (_, n) => el("option", { value: n, text: `map ${n}` })));
    pick.hidden = count < 2;
    build(Math.min(k, count - 1));
    pick.value = String(k);
  }

  return { render, timeline };
}
