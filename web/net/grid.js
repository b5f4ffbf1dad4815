/**
 * Value grids on canvases: an activation map (white to ink), a gradient (blue, white,
 * red around zero) or a filter, one cell per number. The colour scale is the drawing's
 * own business; the numbers are the server's.
 */

/** The largest |value| of a nested list (at least a tiny positive number). */
export function extent(values) {
  let top = 1e-12;
  for (const v of values.flat(Infinity)) if (typeof v === "number" && Math.abs(v) > top) top = Math.abs(v);
  return top;
}

function colour(v, scale, diverging) {
  if (typeof v !== "number") return "#f0c000";             // "nan" / "inf" from the server
  const t = Math.max(-1, Math.min(1, v / scale));
  if (!diverging) {
    const g = Math.round(255 - 225 * Math.max(0, t));
    return `rgb(${g},${g},${Math.min(255, g + 12)})`;
  }
  const a = Math.round(255 - 200 * Math.abs(t));
  return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
}

/**
 * A canvas showing `rows` (a 2-D list) with cells of `cell` pixels.
 * options: {scale, diverging, title, testid}
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
      ctx.fillStyle = colour(rows[i][j], scale, options.diverging);
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
