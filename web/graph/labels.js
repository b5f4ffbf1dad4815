/**
 * The numbers written on the graph's edges: the value above an edge (green), the gradient
 * below it (red). A scalar or a tensor of up to eight entries is written out
 * (`[4, −1, 5, 9]`, `[[1, 2], [3, 4]]`); a larger tensor gets a small heatmap chip with its
 * shape, and the inspector has the full table. Integer tensors (labels, indices) print
 * as integers.
 *
 * A label is made the first time it is shown: a 2,000-node graph does not build 5,000
 * hidden texts before its first frame.
 */
import { SIZES } from "../config.js";
import { flatten, fmt, isScalar, shapeText } from "../lib/format.js";
import { cellRgb, rgbCss } from "../lib/heatmap.js";
import { el } from "./shapes.js";

export const MAX_WRITTEN = 8;      // tensors up to this many entries are written out
const CHIP_COLS = 8;               // a chip samples at most CHIP_COLS x CHIP_ROWS cells
const CHIP_ROWS = 4;
const CHIP_CELL = 6;               // side of a chip cell in drawing units
const TEXT_HEIGHT = 17;            // height of a label's line of text (14 px type)
const LABEL_PAD = 3;               // air kept around a label

/** Whether every entry of a value is a whole number. */
function whole(flat) {
  return flat.every((x) => typeof x === "number" && Number.isInteger(x));
}

/**
 * The text of a value on an edge, or null when it is drawn as a chip.
 * `integers`: the graph prints whole numbers without decimals; `dtype` "int" always does.
 */
export function edgeText(v, shape, { integers = false, dtype = null } = {}) {
  if (v == null) return "—";
  if (isScalar(v)) return fmt(v, integers || dtype === "int");
  const flat = flatten(v);
  if (flat.length > MAX_WRITTEN) return null;
  const ints = dtype === "int" || whole(flat);
  const write = (x) => (Array.isArray(x) ? `[${x.map(write).join(", ")}]` : fmt(x, ints));
  return write(v);
}

/** Width in drawing units of a label as drawn (text, or chip and shape). */
export function labelWidth(v, shape, options) {
  return labelBox(v, shape, options).width;
}

/** Size in drawing units of a label as drawn: {width, height}. */
export function labelBox(v, shape, options) {
  const text = edgeText(v, shape || [], options);
  if (text !== null) return { width: text.length * SIZES.labelCharWidth, height: TEXT_HEIGHT };
  const chip = chipSize(shape);
  return { width: chip.width + 8 + shapeText(shape).length * SIZES.labelCharWidth,
    height: Math.max(TEXT_HEIGHT, chip.height + 2) };
}

/** Occupied rectangles on a grid of buckets, to test a new box against those near it. */
export function createOccupancy(cell = 96) {
  const buckets = new Map();
  const keys = (b) => {
    const out = [];
    for (let i = Math.floor(b.x0 / cell); i <= Math.floor(b.x1 / cell); i++) {
      for (let j = Math.floor(b.y0 / cell); j <= Math.floor(b.y1 / cell); j++) out.push(`${i},${j}`);
    }
    return out;
  };
  return {
    add(b) {
      for (const k of keys(b)) {
        if (!buckets.has(k)) buckets.set(k, []);
        buckets.get(k).push(b);
      }
    },
    free(b) {
      for (const k of keys(b)) {
        for (const o of buckets.get(k) || []) {
          if (b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1) return false;
        }
      }
      return true;
    },
  };
}

const SPOTS = [0.5, 0.35, 0.65, 0.22, 0.78, 0.12, 0.88];

/**
 * Where an edge's labels go: the first spot along the edge (its middle stretch first,
 * then towards either end) where the value above and the gradient below both fit without
 * touching anything placed before; null when every spot is taken (the numbers are then
 * in the explanation and the inspector). `first` is tried before the others.
 */
export function placeLabels(points, above, below, occupancy, first = 0.5) {
  const segments = [];
  const mid = Math.floor((points.length - 2) / 2);
  for (let d = 0; d < points.length - 1; d++) {
    for (const k of d === 0 ? [mid] : [mid - d, mid + d]) {
      if (k >= 0 && k < points.length - 1 && !segments.includes(k)) segments.push(k);
    }
  }
  for (const k of segments) {
    const a = points[k];
    const b = points[k + 1];
    for (const t of [first, ...SPOTS]) {
      const at = { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
      const half = Math.max(above.width, below.width) / 2 + LABEL_PAD;
      const box = { x0: at.x - half, x1: at.x + half, y0: at.y - SIZES.labelOffset - above.height,
        y1: at.y + SIZES.labelOffset + below.height };
      if (occupancy.free(box)) {
        occupancy.add(box);
        return at;
      }
    }
  }
  return null;
}

function chipSize(shape) {
  const dims = shape.length ? shape : [1];
  const cols = Math.min(CHIP_COLS, dims[dims.length - 1]);
  const rows = dims.length > 1 ? Math.min(CHIP_ROWS, dims[dims.length - 2]) : 1;
  return { cols, rows, width: cols * CHIP_CELL, height: rows * CHIP_CELL };
}

/** A value's last two axes sampled down to rows x cols cells (the first slice of any others). */
function sampleCells(v, shape, rows, cols) {
  let m = v;
  while (Array.isArray(m) && Array.isArray(m[0]) && Array.isArray(m[0][0])) m = m[0];
  const grid = Array.isArray(m[0]) ? m : [m];
  const out = [];
  for (let r = 0; r < rows; r++) {
    const row = grid[Math.floor((r * grid.length) / rows)];
    for (let c = 0; c < cols; c++) out.push(row[Math.floor((c * row.length) / cols)]);
  }
  return out;
}

/** Colour of a chip cell: the page's one diverging scheme (lib/heatmap.js). */
function cellColour(x, maxAbs) {
  return rgbCss(cellRgb(x, { maxAbs }));
}

function drawChip(g, v, shape, kind) {
  const { cols, rows, width, height } = chipSize(shape);
  const cells = sampleCells(v, shape, rows, cols);
  let maxAbs = 0;
  for (const x of flatten(v)) if (typeof x === "number" && Math.abs(x) > maxAbs) maxAbs = Math.abs(x);
  const total = width + 6 + shapeText(shape).length * SIZES.labelCharWidth * 0.8;
  const y0 = kind === "val" ? -height : 0;
  const x0 = -total / 2;
  el("rect", { class: "chip-frame", x: x0 - 1, y: y0 - 1, width: width + 2, height: height + 2 }, g);
  cells.forEach((x, i) => {
    el("rect", { x: x0 + (i % cols) * CHIP_CELL, y: y0 + Math.floor(i / cols) * CHIP_CELL,
      width: CHIP_CELL, height: CHIP_CELL, fill: cellColour(x, maxAbs) }, g);
  });
  const text = el("text", { class: `chip-shape ${kind}`, x: x0 + width + 6, y: y0 + height / 2,
    "dominant-baseline": "central" }, g);
  text.textContent = shapeText(shape);
}

/**
 * One label slot on an edge at (x, y): kind "val" sits above the point, "grad" below.
 * set(value, shape, options, visible) shows or hides it; the element appears on first use.
 */
export function createLabel(parent, x, y, kind) {
  let node = null;
  let shown = null;  // the value shown, compared by identity
  let visible = false;
  let suppressed = false;
  const hide = (on) => {
    node.classList.toggle("hidden", on);
    for (const t of node.querySelectorAll("text")) t.classList.toggle("hidden", on);
  };
  const make = () => {
    node = el("g", { class: `label ${kind}${suppressed ? " suppressed" : ""}`,
      transform: `translate(${x.toFixed(1)},${(kind === "val" ? y - SIZES.labelOffset : y + SIZES.labelOffset).toFixed(1)})` }, parent);
  };
  return {
    set(v, shape, options, show) {
      if (!show) {
        if (node && visible) hide(true);
        visible = false;
        return;
      }
      if (!node) make();
      if (!visible) hide(false);
      visible = true;
      if (shown === v) return;
      shown = v;
      node.replaceChildren();
      const text = edgeText(v, shape || [], options);
      if (text === null) {
        drawChip(node, v, shape, kind);
        node.dataset.text = shapeText(shape);
      } else {
        const t = el("text", { class: suppressed ? `${kind} suppressed` : kind, "text-anchor": "middle",
          "dominant-baseline": kind === "val" ? "auto" : "hanging" }, node);
        t.textContent = text;
        node.dataset.text = text;
      }
    },
    suppress() {
      suppressed = true;
      if (node) for (const t of [node, ...node.querySelectorAll("text")]) t.classList.add("suppressed");
    },
    get visible() { return visible && !suppressed; },
    get text() { return node ? node.dataset.text || "" : ""; },
    get element() { return node; },
  };
}
