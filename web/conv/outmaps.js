/**
 * The activation maps being filled in as the filter slides: one small grid of cells per
 * filter, stacked side by side. A cell carries data-cell="k,i,j" always and data-value
 * (the API's number) once the window has passed over it. Hover or click a cell to ask for
 * its receptive field. Values are the server's; the page only decides when to show them.
 */
import { el } from "../lib/dom.js";
import { allIntegers, fmtCell } from "../lib/format.js";
import { cellRgb, rgbCss, textOn, rangeOf } from "../lib/heatmap.js";

const MAX_MAPS_DRAWN = 8;
const CAPTION_PX = 22;
const GAP_PX = 10;

/**
 * Maps per row and cell size that fill a box of `width` × `height` px best with `count`
 * maps of rows × cols cells: the heatmaps take the space they have, no more.
 */
function fit(count, rows, cols, width, height) {
  let best = { perRow: 1, px: 0 };
  for (let perRow = 1; perRow <= count; perRow++) {
    const lines = Math.ceil(count / perRow);
    const byWidth = (width - (perRow - 1) * GAP_PX) / (perRow * cols);
    const byHeight = (height - lines * (CAPTION_PX + GAP_PX)) / (lines * rows);
    const px = Math.floor(Math.min(56, byWidth, byHeight));
    if (px > best.px) best = { perRow, px };
  }
  return best;
}

export function createOutputMaps(host, { onHover, onSelect }) {
  const root = el("div", { testid: "activation-map", class: "conv-outmaps" });
  const note = el("div", { class: "conv-note" });
  host.append(root, note);
  let maps = [];          // (K, H2, W2) values from the API
  let cells = [];         // cells[k] = flat list of cell elements of drawn map k
  let perMap = 0;
  let filled = 0;
  let range = null;
  let current = null;
  let selected = null;
  let withText = false;
  let integers = false;

  /** Build empty grids for `values` (K, H2, W2) filling a box {width, height}; labels[k] names map k. */
  function build(values, labels, box = { width: 300, height: 300 }) {
    maps = values;
    root.replaceChildren();
    cells = [];
    filled = 0;
    current = null;
    selected = null;
    const rows = values[0].length;
    const cols = values[0][0].length;
    perMap = rows * cols;
    range = rangeOf(values);
    integers = allIntegers(values);
    const shown = Math.min(values.length, MAX_MAPS_DRAWN);
    const best = fit(shown, rows, cols, box.width, box.height);
    const perRow = best.perRow;
    const px = Math.max(3, best.px);
    root.style.gridTemplateColumns = `repeat(${perRow}, max-content)`;
    withText = px >= 40;
    for (let k = 0; k < shown; k++) {
      const grid = el("div", {
        class: "conv-map-grid" + (withText ? " with-text" : ""),
        style: { gridTemplateColumns: `repeat(${cols}, ${px}px)`, gridAutoRows: `${px}px` },
      });
      const list = [];
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const cell = el("div", { class: "conv-cell", dataset: { cell: `${k},${i},${j}` } });
          list.push(cell);
        }
      }
      grid.append(...list);
      cells.push(list);
      root.append(el("figure", { class: "conv-map", dataset: { filter: k } }, [
        el("figcaption", { text: labels[k] }), grid,
      ]));
    }
    note.textContent = values.length > shown
      ? `Drawing ${shown} of ${values.length} maps here; the heatmaps below show them all.` : "";
  }

  /** The cell element for flat step index t, or null when that map is not drawn. */
  function cellAt(t) {
    const k = Math.floor(t / perMap);
    return cells[k] ? cells[k][t % perMap] : null;
  }

  function paint(t, on) {
    const cell = cellAt(t);
    if (!cell) return;
    if (!on) {
      delete cell.dataset.value;
      cell.style.background = "";
      if (withText) cell.textContent = "";
      return;
    }
    const k = Math.floor(t / perMap);
    const rest = t % perMap;
    const value = maps[k][Math.floor(rest / maps[k][0].length)][rest % maps[k][0].length];
    const rgb = cellRgb(value, range);
    cell.dataset.value = String(value);
    cell.style.background = rgbCss(rgb);
    // Only big cells carry text: a text node in a 9 px cell would cost layout every frame.
    if (withText) {
      cell.style.color = textOn(rgb);
      cell.textContent = fmtCell(value, integers);
    }
  }

  /** Colour the filled cells again (the theme changed). */
  function repaint() {
    for (let s = 0; s < filled; s++) paint(s, true);
  }

  /** The cell element for flat step t (null when its map is not drawn). */
  function element(t) {
    return t === null || t < 0 ? null : cellAt(t);
  }

  /** Show the first t cells (in filter, row, column order) filled, the rest empty. */
  function fillTo(t) {
    if (t > filled) for (let s = filled; s < t; s++) paint(s, true);
    else for (let s = t; s < filled; s++) paint(s, false);
    filled = t;
  }

  function mark(prev, next, cls) {
    if (prev !== null) cellAt(prev)?.classList.remove(cls);
    if (next !== null) cellAt(next)?.classList.add(cls);
    return next;
  }

  /** Outline the cell under the window (flat index) or nothing (null). */
  function setCurrent(t) { current = mark(current, t, "current"); }

  /** Outline the cell whose receptive field is shown (flat index) or nothing. */
  function setSelected(t) { selected = mark(selected, t, "selected"); }

  function fromEvent(event) {
    const cell = event.target.closest("[data-cell]");
    if (!cell) return null;
    const [k, i, j] = cell.dataset.cell.split(",").map(Number);
    return { k, i, j, t: k * perMap + i * maps[k][0].length + j };
  }
  root.addEventListener("mouseover", (event) => { const hit = fromEvent(event); if (hit) onHover(hit); });
  root.addEventListener("mouseleave", () => onHover(null));
  root.addEventListener("click", (event) => { const hit = fromEvent(event); if (hit) onSelect(hit); });

  return { build, fillTo, setCurrent, setSelected, repaint, element };
}
