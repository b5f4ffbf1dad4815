/**
 * The one heatmap of the page: one diverging colour scheme for signed numbers (values and
 * gradients alike: blue below zero, the page's surface at zero, orange-red above), a grey
 * scale for pictures, and one Plotly figure builder that tiles several maps into a single
 * trace. The colours are the theme's tokens (--div-neg, --div-mid, --div-pos), so every
 * heatmap changes with the theme. Global `Plotly` comes from /vendor/plotly.min.js.
 */
import { token } from "./theme.js";

function hexToRgb(hex) {
  const text = hex.replace("#", "");
  const full = text.length === 3 ? [...text].map((c) => c + c).join("") : text;
  const n = parseInt(full, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(a, b, t) {
  return a.map((x, i) => Math.round(x + (b[i] - x) * t));
}

function scheme() {
  return { neg: hexToRgb(token("--div-neg")), mid: hexToRgb(token("--div-mid")), pos: hexToRgb(token("--div-pos")),
    missing: hexToRgb(token("--line")) };
}

/** min, max and largest magnitude of a nested array of numbers (non-numbers skipped). */
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

/**
 * [r, g, b] of one cell. kind "signed": the diverging scheme scaled by range.maxAbs;
 * kind "image": grey from range.min (black) to range.max (white). Non-numbers ("nan") are grey.
 */
export function cellRgb(value, range, kind = "signed") {
  const s = scheme();
  if (typeof value !== "number") return s.missing;
  if (kind === "image") {
    const span = range.max - range.min;
    const g = Math.round(255 * Math.max(0, Math.min(1, span > 0 ? (value - range.min) / span : 0)));
    return [g, g, g];
  }
  const t = range.maxAbs > 0 ? Math.min(1, Math.abs(value) / range.maxAbs) : 0;
  return mix(s.mid, value < 0 ? s.neg : s.pos, t);
}

export function rgbCss(rgb) {
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

/** The theme's ink or its inverse, whichever reads better on `rgb` (WCAG relative luminance). */
export function textOn(rgb) {
  const lin = rgb.map((c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  const lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  return lum > 0.2 ? "#111418" : "#ffffff";
}

/** Plotly's colour scale for a kind of heatmap. */
export function plotlyScale(kind) {
  if (kind === "image") return [[0, "#000000"], [1, "#ffffff"]];
  return [[0, token("--div-neg")], [0.5, token("--div-mid")], [1, token("--div-pos")]];
}

const CONFIG = { displayModeBar: false, responsive: false, scrollZoom: false, doubleClick: false };
const TITLE_PX = 22;       // room above each map for its title
const GAP_PX = 14;         // room between maps side by side
const MARGIN = { l: 8, r: 84, t: 4, b: 8 };

/**
 * Where each panel sits in the mosaic: rows of `perRow` panels; a row is as tall as its
 * tallest panel, a column as wide as its widest. Offsets and size are in cells.
 */
function tile(panels, perRow, cellPx, titled) {
  const gapX = Math.max(1, Math.ceil(GAP_PX / cellPx));
  const gapY = titled ? Math.max(1, Math.ceil(TITLE_PX / cellPx)) : 0;
  const rows = Math.ceil(panels.length / perRow);
  const colWidth = Array.from({ length: perRow }, (_, c) =>
    Math.max(0, ...panels.filter((_, n) => n % perRow === c).map((p) => p.z[0].length)));
  const rowHeight = Array.from({ length: rows }, (_, r) =>
    Math.max(...panels.slice(r * perRow, (r + 1) * perRow).map((p) => p.z.length)));
  const colStart = colWidth.map((_, c) => colWidth.slice(0, c).reduce((a, w) => a + w + gapX, 0));
  const rowStart = rowHeight.map((_, r) => rowHeight.slice(0, r).reduce((a, h) => a + h + gapY, 0) + gapY);
  const offsets = panels.map((_, n) => ({ row: rowStart[Math.floor(n / perRow)], col: colStart[n % perRow] }));
  return { offsets, width: colStart[perRow - 1] + colWidth[perRow - 1], height: rowStart[rows - 1] + rowHeight[rows - 1] };
}

/** The mosaic's z values (null in the gaps) and hover text. */
function mosaic(panels, layout) {
  const z = Array.from({ length: layout.height }, () => new Array(layout.width).fill(null));
  const text = Array.from({ length: layout.height }, () => new Array(layout.width).fill(""));
  panels.forEach((panel, n) => {
    const { row, col } = layout.offsets[n];
    panel.z.forEach((line, i) => line.forEach((value, j) => {
      z[row + i][col + j] = typeof value === "number" ? value : null;
      text[row + i][col + j] = `${panel.title ? `${panel.title}<br>` : ""}row ${i}, col ${j}<br>${value}`;
    }));
  });
  return { z, text };
}

/** Shapes and hit-testing in panel coordinates for a drawn mosaic. */
function figureHandle(panels, layout) {
  return {
    boxes(n, list) {
      const { row, col } = layout.offsets[n];
      return list.map((b) => ({
        type: "rect", xref: "x", yref: "y", layer: "above",
        x0: col + b.col - 0.5, x1: col + b.col + b.cols - 0.5,
        y0: row + b.row - 0.5, y1: row + b.row + b.rows - 0.5,
        line: { color: b.color, width: b.width ?? 3, dash: b.dash ?? "solid" },
      }));
    },
    locate(x, y) {
      for (let n = 0; n < panels.length; n++) {
        const { row, col } = layout.offsets[n];
        const i = y - row;
        const j = x - col;
        if (i >= 0 && j >= 0 && i < panels[n].z.length && j < panels[n].z[0].length) return { panel: n, row: i, col: j };
      }
      return null;
    },
  };
}

/**
 * Draw panels [{z: 2-D list, title}] into `div` as one heatmap mosaic, sized to `width`
 * px (default: the div's parent) and at most `size` px per panel side.
 * kind: "signed" or "image"; cols: panels per row; label: the colour bar's title.
 * Resolves to a handle {boxes(n, [{row, col, rows, cols, color}]) -> Plotly shapes in
 * panel n, locate(x, y) -> {panel, row, col} | null, frames}.
 */
export async function renderHeatmaps(div, panels, { kind = "signed", cols = 6, size: wanted = 170, width = null,
  label = "", shapes = [] } = {}) {
  const perRow = Math.min(cols, panels.length);
  const side = Math.max(...panels.map((p) => Math.max(p.z.length, p.z[0].length)));
  const room = (width ?? (div.parentElement?.clientWidth || 600)) - MARGIN.l - MARGIN.r;
  const cellPx = Math.max(2, Math.min(wanted / side, (room / perRow - GAP_PX) / side));
  const titled = panels.some((p) => p.title);
  const layout = tile(panels, perRow, cellPx, titled);
  const { z, text } = mosaic(panels, layout);
  const range = rangeOf(panels.map((p) => p.z));
  const span = range.maxAbs || 1;  // an all-zero group still needs a scale
  const handle = figureHandle(panels, layout);
  const ink = token("--ink");
  const muted = token("--muted");
  // A thin frame around every map, so that zeros (the surface colour) still show where it is.
  handle.frames = panels.flatMap((panel, n) => handle.boxes(n, [{ row: 0, col: 0, rows: panel.z.length,
    cols: panel.z[0].length, color: token("--line-strong"), width: 1 }]));
  const annotations = titled ? panels.map((panel, n) => ({
    text: rangeOf(panel.z).maxAbs === 0 ? `${panel.title} (all 0)` : panel.title, showarrow: false, xref: "x", yref: "y",
    xanchor: "left", yanchor: "bottom", x: layout.offsets[n].col - 0.5, y: layout.offsets[n].row - 0.5,
    font: { size: 12, color: ink },
  })) : [];
  const axis = { visible: false, fixedrange: true };
  const image = kind === "image";
  const plotLayout = {
    width: Math.round(layout.width * cellPx) + MARGIN.l + MARGIN.r,
    height: Math.max(60, Math.round(layout.height * cellPx) + MARGIN.t + MARGIN.b),
    margin: MARGIN, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: token("--font-sans"), size: 12, color: ink },
    xaxis: { ...axis, range: [-0.5, layout.width - 0.5] },
    yaxis: { ...axis, range: [layout.height - 0.5, -0.5] },
    coloraxis: {
      colorscale: plotlyScale(kind), cmin: image ? range.min : -span, cmax: image ? range.max : span,
      colorbar: { thickness: 10, len: Math.min(1, 240 / Math.max(1, layout.height * cellPx)), y: 1, yanchor: "top",
        outlinewidth: 0, tickfont: { size: 11, color: muted }, title: { text: label, side: "right", font: { size: 12, color: muted } } },
    },
    annotations,
    shapes: [...handle.frames, ...(typeof shapes === "function" ? shapes(handle) : shapes)],
    hoverlabel: { font: { size: 13 } },
  };
  const trace = {
    type: "heatmap", z, text, coloraxis: "coloraxis", hoverongaps: false,
    // Gaps outline the cells of small maps; on a 28x28 map they would only add a mesh.
    xgap: side <= 12 ? 1 : 0, ygap: side <= 12 ? 1 : 0,
    hovertemplate: "%{text}<extra></extra>",
  };
  await window.Plotly.react(div, [trace], plotLayout, CONFIG);
  return handle;
}

/** Update only the shapes of a drawn figure (cheap: the cells are not drawn again). */
export function setShapes(div, fig, shapes) {
  return window.Plotly.relayout(div, { shapes: [...fig.frames, ...shapes] });
}
