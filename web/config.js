/**
 * Sizes, timings and the graph's colour roles in one place (CNN Explainer keeps a
 * config.js the same way). The colour values themselves are the design tokens of
 * style.css: a theme is a set of token values, nothing more.
 */

export const COLORS = {
  // Theme tokens (style.css defines them once per theme), so the drawing follows the
  // theme; an export resolves them to the theme's values (lib/theme.js resolveTokens).
  forward: "var(--value)",         // forward values: green, as on the lecture's slides
  gradient: "var(--grad)",         // gradients: red
  edge: "var(--edge)",
  edgeActiveForward: "var(--value)",
  edgeActiveBackward: "var(--grad)",
  gateFill: "var(--surface)",
  gateStroke: "var(--ink)",
  inputFill: "var(--input-fill)",
  inputStroke: "var(--accent)",
  constFill: "var(--surface-2)",
  text: "var(--ink)",
  muted: "var(--muted)",
  halo: "var(--bg)",               // the outline that keeps labels readable over edges
  highlightForward: "var(--value-soft)",
  highlightBackward: "var(--grad-soft)",
  selected: "var(--selected)",
  pending: "var(--line-strong)",
};

export const SIZES = {
  gateRadius: 22,          // circle of a gate
  pillHeight: 28,          // inputs and constants are drawn as labelled pills
  layerGap: 122,           // horizontal distance between layers (room for edge labels)
  inputGap: 26,            // extra room between the input column and the first gates
  rowGap: 92,              // vertical distance between nodes of one layer
  dummyGap: 40,            // vertical room for an edge passing through a layer
  parallelGap: 40,         // vertical distance between two edges joining the same pair
  margin: 36,
  sumRoom: 110,
  labelRoom: 74,           // a gap holds its widest edge label plus this (gate radii, air)
  labelCharWidth: 8.6,     // average width of a label character at 14px bold
  outputStub: 96,         // length of the edge drawn out of the output node
  labelOffset: 7,          // distance of an edge label from its edge
  farScale: 0.42,          // below this zoom the edge labels are hidden (too small to read)
};

export const TIMING = {
  stepMs: 1100,            // one step of the graph at speed 1x
  travelMs: 650,           // a gradient dot travelling along an edge
};

export const INSPECTOR = {
  tableMaxElements: 64,    // up to this many elements a tensor is a table, else a heatmap
  jacobianMaxElements: 12, // elementwise ops on vectors this small show their Jacobian
};

export const NUMBER_DIGITS = 2;  // decimals on the graph and in the explanations
