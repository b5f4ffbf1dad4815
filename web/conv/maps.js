/**
 * Plotly heatmaps of the conv view (global `Plotly` from /vendor/plotly.min.js): one figure
 * per group of maps (activation maps, after ReLU, max pool, gradients), each figure a grid
 * of small heatmaps sharing one colour scale so that maps compare at a glance, values on
 * hover. One Plotly.react call per group keeps a 6-filter layer well under a second.
 */
import { PLOTLY_SCALES, COLORS, rangeOf } from "./palette.js";

const TITLE_SPACE = 26;
const CONFIG = { displayModeBar: false, responsive: true, scrollZoom: false };

/** The axis names of panel n (0-based): x, y for the first, x2, y2 for the second... */
const axisNames = (n) => (n === 0 ? ["x", "y"] : [`x${n + 1}`, `y${n + 1}`]);

/** Rectangle shapes around cells, in panel n's data coordinates. */
export function cellBoxes(n, boxes) {
  const [xa, ya] = axisNames(n);
  return boxes.map((b) => ({
    type: "rect", xref: xa, yref: ya, layer: "above",
    x0: b.col - 0.5, x1: b.col + b.cols - 0.5, y0: b.row - 0.5, y1: b.row + b.rows - 0.5,
    line: { color: b.color, width: b.width ?? 3, dash: b.dash ?? "solid" },
  }));
}

/**
 * Draw panels [{z: 2-D list, title}] as a grid of heatmaps into `div`.
 * kind: "value" (forward) or "grad"; cols: panels per row; size: panel side in px.
 */
export function renderHeatmaps(div, panels, { kind = "value", cols = 6, size: wanted = 170, shapes = [] } = {}) {
  const n = panels.length;
  const perRow = Math.min(cols, n);
  // Shrink the panels so a row fits the section instead of scrolling sideways.
  const room = (div.parentElement?.clientWidth || 1000) - 20;
  const size = Math.max(90, Math.min(wanted, Math.floor((room - 110) / perRow) - 24));
  const rows = Math.ceil(n / perRow);
  const width = Math.max(320, perRow * (size + 24) + 110);
  const height = rows * (size + TITLE_SPACE) + 30;
  const range = rangeOf(panels.map((p) => p.z));
  const layout = {
    width, height, margin: { l: 30, r: 90, t: 10, b: 20 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", size: 11 },
    coloraxis: {
      colorscale: PLOTLY_SCALES[kind], cmid: 0,
      // An all-zero group still needs a span, or Plotly draws a blank scale.
      cmin: range.maxAbs ? -range.maxAbs : -1, cmax: range.maxAbs ? range.maxAbs : 1,
      colorbar: { thickness: 12, len: Math.min(1, 300 / height), y: 1, yanchor: "top", title: { text: kind === "grad" ? "gradient" : "value", side: "right" } },
    },
    annotations: [], shapes, hoverlabel: { font: { size: 12 } },
  };
  const gapX = 0.04;
  const cellW = (1 - gapX * (perRow - 1)) / perRow;
  const traces = panels.map((panel, i) => {
    const [xa, ya] = axisNames(i);
    const row = Math.floor(i / perRow);
    const col = i % perRow;
    const x0 = col * (cellW + gapX);
    const top = 1 - (row * (size + TITLE_SPACE) + TITLE_SPACE) / (height - 30);
    const bottom = 1 - ((row + 1) * (size + TITLE_SPACE)) / (height - 30);
    // Whole-number ticks: rows and columns are indices, never 0.5.
    const side = Math.max(panel.z.length, panel.z[0].length);
    const axis = { showgrid: false, zeroline: false, ticks: "", tickfont: { size: 9 }, constrain: "domain",
      dtick: side <= 8 ? 1 : side <= 16 ? 2 : 5 };
    layout[`xaxis${i ? i + 1 : ""}`] = { ...axis, domain: [x0, x0 + cellW], anchor: ya, side: "bottom" };
    layout[`yaxis${i ? i + 1 : ""}`] = { ...axis, domain: [Math.max(0, bottom), Math.max(0, top)], anchor: xa,
      autorange: "reversed", scaleanchor: xa };
    layout.annotations.push({ text: panel.title, showarrow: false, xref: "paper", yref: "paper",
      x: x0, y: Math.min(1, top + 0.005), xanchor: "left", yanchor: "bottom", font: { size: 12, color: "#1f2328" } });
    return {
      type: "heatmap", z: panel.z, xaxis: xa, yaxis: ya, coloraxis: "coloraxis", xgap: 1, ygap: 1,
      hovertemplate: `${panel.title}<br>row %{y}, col %{x}<br>%{z:.4f}<extra></extra>`,
    };
  });
  return Plotly.react(div, traces, layout, CONFIG);
}

/** Update only the shapes of a figure drawn by renderHeatmaps (cheap: no re-draw of cells). */
export function setShapes(div, shapes) {
  return Plotly.relayout(div, { shapes });
}

export const BOX_COLORS = { window: COLORS.window, argmax: COLORS.field, routed: COLORS.gradient };
