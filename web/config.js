/**
 * Colours, sizes and timings of the page in one place (CNN Explainer keeps a config.js the
 * same way), so the graph, the inspector and the exports all agree on the lecture's palette.
 */

export const COLORS = {
  forward: "#1a7f37",      // forward values: green, as on the lecture's slides
  gradient: "#cf222e",     // gradients: red
  edge: "#8c959f",
  edgeActiveForward: "#1a7f37",
  edgeActiveBackward: "#cf222e",
  gateFill: "#ffffff",
  gateStroke: "#24292f",
  inputFill: "#ddf4ff",
  inputStroke: "#0969da",
  constFill: "#f6f8fa",
  text: "#24292f",
  muted: "#6e7781",
  highlightForward: "#dafbe1",
  highlightBackward: "#ffebe9",
  selected: "#bf8700",
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
  labelCharWidth: 8.6,     // average width of a label character at 14px bold            // left of the inputs, for a copied input's "4 + 2 = 6"
  outputStub: 96,         // length of the edge drawn out of the output node
  labelOffset: 7,          // distance of an edge label from its edge
  farScale: 0.42,          // below this zoom the edge labels are hidden (too small to read)
};

export const TIMING = {
  stepMs: 1100,            // one step at speed 1x
  speeds: [0.5, 1, 2, 4],
  travelMs: 650,           // a gradient dot travelling along an edge
};

export const INSPECTOR = {
  tableMaxElements: 64,    // up to this many elements a tensor is a table, else a heatmap
  jacobianMaxElements: 12, // elementwise ops on vectors this small show their Jacobian
  bytesPerNumber: 8,       // float64, what the engine uses
};

export const NUMBER_DIGITS = 2;  // decimals on the graph and in the explanations
