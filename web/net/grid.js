/**
 * Value grids on canvases, one cell per number: maps, gradients and filters in the page's
 * one diverging scheme (lib/heatmap.js: blue below zero, the surface at zero, red above),
 * digits as ink on paper. The numbers are the server's.
 */
import { cellRgb, rgbCss } from "../lib/heatmap.js";

/** The largest |value| of a nested list (at least a tiny positive number). */
export function extent(values) {
  let top = 1e-12;
  for (const v of values.flat(Infinity)) if (typeof v === "number" && Math.abs(v) > top) top = Math.abs(v);
  return top;
}

function colour(v, scale, picture) {
  if (!picture) return rgbCss(cellRgb(v, { maxAbs: scale }, "signed"));
  if (typeof v !== "number") return "#999";
  const g = Math.round(255 - 230 * Math.max(0, Math.min(1, v / scale)));
  return `rgb(${g},${g},${g})`;
}

/**
 * A canvas showing `rows` (a 2-D list) with cells of `cell` pixels.
 * options: {scale, picture (a digit: ink on paper), title, testid}
 */
export function gridCanvas(rows, cell, options = {}) {
  const h = rows.length;
  const w = rows[0].length;
  const canvas = document.createElement("canvas");
  canvas.width = w * cell;
  canvas.height = h * cell;
  canvas.className = "net-grid";
  if (options.testid) canvas.dataset.testid = options.testid;
  if (options.title) canvas.title = options.title;
  const ctx = canvas.getContext("2d");
  const scale = options.scale || extent(rows);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      ctx.fillStyle = colour(rows[i][j], scale, options.picture);
      ctx.fillRect(j * cell, i * cell, cell, cell);
    }
  }
  return canvas;
}

/** A vector of n numbers as rows of at most `width` cells. */
export function vectorRows(values, width) {
  const rows = [];
  for (let i = 0; i < values.length; i += width) {
    const row = values.slice(i, i + width);
    while (row.length < Math.min(width, values.length)) row.push(0);
    rows.push(row);
  }
  return rows;
}
