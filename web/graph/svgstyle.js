/**
 * The graph's own stylesheet, placed inside the <svg> so that an exported SVG or PNG looks
 * exactly like the page (a page stylesheet would not travel with the file). Colours are the
 * theme's tokens; the export resolves them to the current theme's values.
 */
import { COLORS } from "../config.js";

const LABEL = "calc(14px * var(--ls, 1) * var(--boost, 1))";

export const GRAPH_CSS = `
svg { font-family: var(--font-sans); }
#arrow path { fill: ${COLORS.edge}; }
#arrow-fwd path { fill: ${COLORS.forward}; }
#arrow-bwd path { fill: ${COLORS.gradient}; }
.edge { fill: none; stroke: ${COLORS.edge}; stroke-width: 1.6; marker-end: url(#arrow); }
.edge.active-fwd { stroke: ${COLORS.edgeActiveForward}; stroke-width: 3; marker-end: url(#arrow-fwd); }
.edge.active-bwd { stroke: ${COLORS.edgeActiveBackward}; stroke-width: 3; marker-end: url(#arrow-bwd); }
.edge.stub { marker-end: url(#arrow); }
.val, .grad, .sum { font-size: ${LABEL}; font-weight: 650; paint-order: stroke; stroke: ${COLORS.halo};
  stroke-width: 4px; stroke-linejoin: round; font-variant-numeric: tabular-nums; }
.val { fill: ${COLORS.forward}; }
.grad, .sum { fill: ${COLORS.gradient}; }
.sum.partial { opacity: 0.75; }
.hidden, .suppressed { display: none; }
.node { cursor: pointer; }
.node .gate { fill: ${COLORS.gateFill}; stroke: ${COLORS.gateStroke}; stroke-width: 2; transition: fill 200ms, stroke 200ms; }
.node .pill { fill: ${COLORS.inputFill}; stroke: ${COLORS.inputStroke}; stroke-width: 1.6; }
.node.kind-const .pill { fill: ${COLORS.constFill}; stroke: ${COLORS.muted}; stroke-dasharray: 4 3; }
.node .symbol { font-size: calc(17px * var(--ls, 1) * var(--boost, 1)); font-weight: 600; fill: ${COLORS.text}; text-anchor: middle;
  dominant-baseline: central; pointer-events: none; }
.node .symbol.long { font-size: calc(14px * var(--ls, 1) * var(--boost, 1)); }
.node .symbol.longer { font-size: calc(12px * var(--ls, 1) * var(--boost, 1)); }
.node .symbol.longest { font-size: calc(11px * var(--ls, 1) * var(--boost, 1)); }
.node .pill-text { font-size: calc(15px * var(--ls, 1) * var(--boost, 1)); font-weight: 600; fill: ${COLORS.text}; text-anchor: middle;
  dominant-baseline: central; pointer-events: none; }
.node .name { font-size: calc(15px * var(--ls, 1) * var(--boost, 1)); font-style: italic; font-weight: 600; fill: ${COLORS.text};
  text-anchor: middle; paint-order: stroke; stroke: ${COLORS.halo}; stroke-width: 4px; }
.node .shape { font-size: calc(12px * var(--ls, 1) * var(--boost, 1)); fill: ${COLORS.muted}; text-anchor: middle; paint-order: stroke;
  stroke: ${COLORS.halo}; stroke-width: 3px; }
.node.kind-op .sum { text-anchor: middle; }
.node.pending .gate { stroke: ${COLORS.pending}; stroke-dasharray: 3 3; }
.node.pending .symbol { fill: ${COLORS.muted}; }
.node.current-fwd .gate { fill: ${COLORS.highlightForward}; stroke: ${COLORS.forward}; stroke-width: 3.5; }
.node.current-bwd .gate { fill: ${COLORS.highlightBackward}; stroke: ${COLORS.gradient}; stroke-width: 3.5; }
.node.current-fwd .pill, .node.current-bwd .pill { stroke-width: 3; }
.node.copy .pill { stroke-dasharray: 6 2; }
.node.linked .pill { stroke: ${COLORS.selected}; stroke-width: 3; }
.node.selected .gate, .node.selected .pill { stroke: ${COLORS.selected}; stroke-width: 3.5; }
.group-box { fill: ${COLORS.inputFill}; fill-opacity: 0.35; stroke: ${COLORS.inputStroke}; stroke-width: 1.4; stroke-dasharray: 6 4; }
.group-header { font-size: calc(13px * var(--hs, 1) * var(--boost, 1)); font-weight: 700; fill: ${COLORS.inputStroke}; cursor: pointer;
  paint-order: stroke; stroke: ${COLORS.halo}; stroke-width: 4px; stroke-linejoin: round; }
.group-header.box-header { font-size: calc(13px * var(--ls, 1) * var(--boost, 1)); }
.group-header:focus { outline: none; text-decoration: underline; }
.node.folded-group .group-header { text-anchor: middle; }
.node.folded-group .gate { fill: ${COLORS.inputFill}; stroke: ${COLORS.inputStroke}; stroke-width: 2.5; }
.node .local { font-size: calc(13px * var(--ls, 1) * var(--boost, 1)); font-weight: 600; fill: ${COLORS.gradient}; text-anchor: middle;
  paint-order: stroke; stroke: ${COLORS.halo}; stroke-width: 4px; stroke-linejoin: round; }
svg.tiny-headers .group-header, svg.tiny-14 .group-header.box-header, svg.tiny-14 .node .local { display: none; }
.travel rect, .travel circle { fill: ${COLORS.gradient}; }
.travel.fwd rect, .travel.fwd circle { fill: ${COLORS.forward}; }
.travel text { font-size: calc(12px * var(--boost, 1)); font-weight: 700; fill: var(--on-strong); text-anchor: middle; dominant-baseline: central; }
.chip-frame { fill: none; stroke: ${COLORS.muted}; stroke-width: 1; }
svg.far .edge, svg.far .gate, svg.far .pill { vector-effect: non-scaling-stroke; stroke-width: 1.2px; }
svg.far .node.pending .gate { stroke: ${COLORS.muted}; stroke-dasharray: none; }
svg.far .edge.active-fwd, svg.far .edge.active-bwd, svg.far .node.current-fwd .gate,
svg.far .node.current-bwd .gate { stroke-width: 3px; }
svg.tiny-11 .symbol.longest { display: none; }
svg.tiny-12 .symbol.longer, svg.tiny-12 .node .shape, svg.tiny-12 .travel { display: none; }
svg.tiny-14 .symbol.long, svg.tiny-14 .label, svg.tiny-14 .sum { display: none; }
svg.tiny-15 .pill-text, svg.tiny-15 .node .name { display: none; }
svg.tiny-17 .symbol { display: none; }
svg.far .label, svg.far .val, svg.far .grad, svg.far .node .shape, svg.far .node .sum { display: none; }
`;
