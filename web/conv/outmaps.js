/**
 * The activation maps being filled in as the filter slides: one small grid of cells per
 * filter, stacked side by side. A cell carries data-cell="k,i,j" always and data-value
 * (the API's number) once the window has passed over it. Hover or click a cell to ask for
 * its receptive field. Values are the server's; the page only decides when to show them.
 */
import { el, fmt } from "./dom.js";
import { cellRgb, rgbCss, textOn, rangeOf } from "./palette.js";

const MAX_MAPS_DRAWN = 8;

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

  /** Grid cell size in px: small maps get big readable cells, 28x28 maps stay compact. */
  function cellPx(rows, cols) {
    return Math.max(7, Math.min(46, Math.floor(260 / Math.max(rows, cols))));
  }

  /** Build empty grids for `values` (K, H2, W2); labels[k] names map k. */
  function build(values, labels) {
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
    const px = cellPx(rows, cols);
    withText = px >= 30;
    const shown = Math.min(values.length, MAX_MAPS_DRAWN);
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
    const rgb = cellRgb(value, range, "value");
    cell.dataset.value = String(value);
    cell.style.background = rgbCss(rgb);
    // Only big cells carry text: a text node in a 9 px cell would cost layout every frame.
    if (withText) {
      cell.style.color = textOn(rgb);
      cell.textContent = fmt(value, 2);
    }
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

  return { build, fillTo, setCurrent, setSelected };
}
