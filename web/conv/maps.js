/**
 * Plotly heatmaps of the conv view (global `Plotly` from /vendor/plotly.min.js). A group of
 * maps (the K activation maps, the gradients of every filter...) is drawn as ONE heatmap
 * trace: the maps are tiled into a mosaic with empty (null) gaps between them and a title
 * above each. One trace and one pair of axes per group is what keeps a 6-filter layer's
 * figures well under a second (a subplot per map costs Plotly an axis pair each).
 * Hover shows the map's name, the row and column inside that map, and the value.
 */
import { PLOTLY_SCALES, COLORS, rangeOf } from "./palette.js";

const CONFIG = { displayModeBar: false, responsive: false, scrollZoom: false, doubleClick: false };
const TITLE_PX = 22;       // room above each map for its title
const GAP_PX = 14;         // room between maps side by side
const MARGIN = { l: 8, r: 90, t: 4, b: 8 };

/**
 * Where each panel sits in the mosaic: rows of `perRow` panels; a row is as tall as its
 * tallest panel, a column as wide as its widest. Returns cell offsets and mosaic size.
 */
function tile(panels, perRow, cellPx) {
  const gapX = Math.max(1, Math.ceil(GAP_PX / cellPx));
  const gapY = Math.max(1, Math.ceil(TITLE_PX / cellPx));
  const rows = Math.ceil(panels.length / perRow);
  const colWidth = Array.from({ length: perRow }, (_, c) =>
    Math.max(0, ...panels.filter((_, n) => n % perRow === c).map((p) => p.z[0].length)));
  const rowHeight = Array.from({ length: rows }, (_, r) =>
    Math.max(...panels.slice(r * perRow, (r + 1) * perRow).map((p) => p.z.length)));
  const colStart = colWidth.map((_, c) => colWidth.slice(0, c).reduce((a, w) => a + w + gapX, 0));
  const rowStart = rowHeight.map((_, r) => rowHeight.slice(0, r).reduce((a, h) => a + h + gapY, 0) + gapY);
  const offsets = panels.map((_, n) => ({ row: rowStart[Math.floor(n / perRow)], col: colStart[n % perRow] }));
  const width = colStart[perRow - 1] + colWidth[perRow - 1];
  const height = rowStart[rows - 1] + rowHeight[rows - 1];
  return { offsets, width, height, gapY };
}

/** The mosaic's z values (null in the gaps) and hover text. */
function mosaic(panels, layout) {
  const z = Array.from({ length: layout.height }, () => new Array(layout.width).fill(null));
  const text = Array.from({ length: layout.height }, () => new Array(layout.width).fill(""));
  panels.forEach((panel, n) => {
    const { row, col } = layout.offsets[n];
    panel.z.forEach((line, i) => line.forEach((value, j) => {
      z[row + i][col + j] = typeof value === "number" ? value : null;
      text[row + i][col + j] = `${panel.title}<br>row ${i}, col ${j}<br>${value}`;
    }));
  });
  return { z, text };
}

/**
 * Draw panels [{z: 2-D list, title}] into `div` as one heatmap mosaic.
 * kind: "value" (forward) or "grad"; cols: panels per row; size: a panel's side in px.
 * Resolves to a figure handle: {boxes(n, [{row, col, rows, cols, color}]) -> Plotly shapes
 * in panel n's cells, locate(x, y) -> {panel, row, col} | null}.
 */
export async function renderHeatmaps(div, panels, { kind = "value", cols = 6, size: wanted = 170, shapes = [] } = {}) {
  const perRow = Math.min(cols, panels.length);
  const side = Math.max(...panels.map((p) => Math.max(p.z.length, p.z[0].length)));
  // Shrink the maps so a row fits the section instead of scrolling sideways.
  const room = (div.parentElement?.clientWidth || 1000) - 20 - MARGIN.l - MARGIN.r;
  const cellPx = Math.max(2, Math.min(wanted / side, (room / perRow - GAP_PX) / side));
  const layout = tile(panels, perRow, cellPx);
  const { z, text } = mosaic(panels, layout);
  const range = rangeOf(panels.map((p) => p.z));
  const span = range.maxAbs || 1;  // an all-zero group still needs a scale
  const handle = figureHandle(panels, layout);
  handle.frames = frames(panels, handle);
  // A map of zeros is white on white: say so in its title, and frame every map.
  const annotations = panels.map((panel, n) => ({
    text: rangeOf(panel.z).maxAbs === 0 ? `${panel.title} (all 0)` : panel.title, showarrow: false, xref: "x", yref: "y", xanchor: "left", yanchor: "bottom",
    x: layout.offsets[n].col - 0.5, y: layout.offsets[n].row - 0.5, font: { size: 12, color: "#1f2328" },
  }));
  const axis = { visible: false, fixedrange: true };
  const plotLayout = {
    width: Math.round(layout.width * cellPx) + MARGIN.l + MARGIN.r,
    height: Math.round(layout.height * cellPx) + MARGIN.t + MARGIN.b,
    margin: MARGIN, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", size: 11 },
    xaxis: { ...axis, range: [-0.5, layout.width - 0.5] },
    yaxis: { ...axis, range: [layout.height - 0.5, -0.5] },
    coloraxis: {
      colorscale: PLOTLY_SCALES[kind], cmin: -span, cmax: span,
      colorbar: { thickness: 12, len: Math.min(1, 260 / (layout.height * cellPx)), y: 1, yanchor: "top",
        title: { text: kind === "grad" ? "gradient" : "value", side: "right" } },
    },
    annotations,
    shapes: [...handle.frames, ...(typeof shapes === "function" ? shapes(handle) : shapes)],
    hoverlabel: { font: { size: 12 } },
  };
  const trace = {
    type: "heatmap", z, text, coloraxis: "coloraxis", hoverongaps: false,
    // Gaps outline the cells of small maps; on a 28x28 map they would only add a mesh.
    xgap: side <= 12 ? 1 : 0, ygap: side <= 12 ? 1 : 0,
    hovertemplate: "%{text}<extra></extra>",
  };
  await Plotly.react(div, [trace], plotLayout, CONFIG);
  return handle;
}

/** A thin grey frame around every map, so that zeros (white) still show where the map is. */
function frames(panels, handle) {
  return panels.flatMap((panel, n) => handle.boxes(n, [{ row: 0, col: 0, rows: panel.z.length, cols: panel.z[0].length,
    color: "#afb8c1", width: 1 }]));
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

/** Update only the shapes of a drawn figure (cheap: the cells are not drawn again). */
export function setShapes(div, fig, shapes) {
  return Plotly.relayout(div, { shapes: [...fig.frames, ...shapes] });
}

export const BOX_COLORS = { window: COLORS.window, argmax: COLORS.field, routed: COLORS.gradient };
