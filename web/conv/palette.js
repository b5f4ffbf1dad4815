/**
 * Colours of the conv view, in one place: forward values are green (positive) and purple
 * (negative), gradients red (positive) and blue (negative), matching the graph view's
 * green-for-values, red-for-gradients convention; pictures with no negative values are grey.
 */

import { COLORS as APP_COLORS } from "../config.js";

export const COLORS = {
  forward: APP_COLORS.forward,
  negative: "#6639ba",
  gradient: APP_COLORS.gradient,
  gradientNegative: "#0969da",
  window: "#0969da",
  field: "#bf5700",
  padding: "#d0d7de",
  paddingText: "#8c959f",
  grid: "#ffffff",
};

const WHITE = [255, 255, 255];

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(a, b, t) {
  return a.map((x, i) => Math.round(x + (b[i] - x) * t));
}

/** Return [r,g,b] for `value` on a white-centred scale between two end colours. */
function diverging(value, maxAbs, negHex, posHex) {
  const t = maxAbs > 0 ? Math.min(1, Math.abs(value) / maxAbs) : 0;
  return mix(WHITE, hexToRgb(value < 0 ? negHex : posHex), t);
}

/**
 * Colour of one cell. kind: "image" (grey, black = low, white = high: pictures), "value"
 * (forward, signed) or "grad" (gradient, signed). Non-numbers (nan/inf strings) get grey.
 */
export function cellRgb(value, range, kind) {
  if (typeof value !== "number") return [200, 200, 200];
  if (kind === "image") {
    const span = range.max - range.min;
    const t = span > 0 ? (value - range.min) / span : 0;
    const g = Math.round(255 * Math.max(0, Math.min(1, t)));
    return [g, g, g];
  }
  if (kind === "grad") return diverging(value, range.maxAbs, COLORS.gradientNegative, COLORS.gradient);
  return diverging(value, range.maxAbs, COLORS.negative, COLORS.forward);
}

export function rgbCss(rgb) {
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

/** Black or white text, whichever reads better on `rgb`. */
export function textOn(rgb) {
  const lum = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
  return lum > 140 ? "#1f2328" : "#ffffff";
}

/** min, max and largest magnitude of a nested array of numbers (strings are skipped). */
export function rangeOf(nested) {
  let min = Infinity;
  let max = -Infinity;
  const visit = (a) => {
    if (Array.isArray(a)) { for (const x of a) visit(x); return; }
    if (typeof a === "number") { if (a < min) min = a; if (a > max) max = a; }
  };
  visit(nested);
  if (min === Infinity) { min = 0; max = 0; }
  return { min, max, maxAbs: Math.max(Math.abs(min), Math.abs(max)) };
}

/** Plotly colour scales matching cellRgb. */
export const PLOTLY_SCALES = {
  value: [[0, COLORS.negative], [0.5, "#ffffff"], [1, COLORS.forward]],
  grad: [[0, COLORS.gradientNegative], [0.5, "#ffffff"], [1, COLORS.gradient]],
  image: [[0, "#000000"], [1, "#ffffff"]],
};
