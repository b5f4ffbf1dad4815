/**
 * The shapes of the graph drawing: SVG element helpers, node sizes, where edges leave and
 * enter nodes, edge paths and the order of a gate's input ports. Pure geometry, no state.
 */
import { SIZES } from "../config.js";
import { allIntegers, shortValue } from "../lib/format.js";
import { SVG_NS, svgEl as el } from "../lib/dom.js";

export { SVG_NS, el };
const SLOT_SPREAD = 14;  // vertical distance between the entry points of a gate's inputs

/** An arrowhead (markers do not take the colour of their line, so one per colour). */
export function arrowMarker(defs, id, colour) {
  const m = el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9,
    markerHeight: 9, orient: "auto-start-reverse", markerUnits: "userSpaceOnUse" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", fill: colour }, m);
}

/** Half the width of a node as drawn (circle radius, or half a pill). */
export function halfWidth(node) {
  if (node.kind === "op") return SIZES.gateRadius;
  return pillWidth(node) / 2;
}

export function pillText(node) {
  if (node.kind === "const") return shortValue(node.value, node.shape, allIntegers(node.value));
  return node.name || node.id;
}

export function pillWidth(node) {
  return Math.max(44, pillText(node).length * 9 + 22);
}

/** Where an edge leaves its source: the right side, shifted for parallel edges. */
export function exitPoint(node, pos, dy) {
  if (node.kind !== "op") return { x: pos.x + halfWidth(node), y: pos.y + dy };
  const r = SIZES.gateRadius;
  const d = Math.max(-r * 0.8, Math.min(r * 0.8, dy));
  return { x: pos.x + Math.sqrt(r * r - d * d), y: pos.y + d };
}

/** Where an edge enters its gate: the left side, one point per input slot. */
export function entryPoint(pos, port, ports) {
  const r = SIZES.gateRadius;
  const dy = Math.max(-r * 0.75, Math.min(r * 0.75, (port - (ports - 1) / 2) * SLOT_SPREAD));
  return { x: pos.x - Math.sqrt(r * r - dy * dy) - 1, y: pos.y + dy };
}

/**
 * The path of an edge: a straight line between neighbouring layers (as the lecture draws
 * them); through the bends of a long edge a Catmull-Rom curve, which stays straight where
 * the bends are in line and never overshoots far.
 */
export function edgePath(points) {
  const p = (q) => `${q.x.toFixed(1)},${q.y.toFixed(1)}`;
  if (points.length === 2) return `M${p(points[0])} L${p(points[1])}`;
  let d = `M${p(points[0])}`;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[Math.max(0, i - 1)];
    const b = points[i];
    const c = points[i + 1];
    const e = points[Math.min(points.length - 1, i + 2)];
    const c1 = { x: b.x + (c.x - a.x) / 6, y: b.y + (c.y - a.y) / 6 };
    const c2 = { x: c.x - (e.x - b.x) / 6, y: c.y - (e.y - b.y) / 6 };
    d += ` C${p(c1)} ${p(c2)} ${p(c)}`;
  }
  return d;
}

export function symbolClass(label) {
  if (label.length > 5) return "symbol longest";
  if (label.length > 3) return "symbol longer";
  if (label.length > 2) return "symbol long";
  return "symbol";
}

/**
 * Entry port of every edge: a gate's inputs enter from top to bottom in the order their
 * edges arrive (by the height of the point before the gate), so they never cross at the gate.
 */
export function assignPorts(edges) {
  const byTarget = new Map();
  for (const e of edges) {
    if (!byTarget.has(e.to)) byTarget.set(e.to, []);
    byTarget.get(e.to).push(e);
  }
  const ports = new Map();
  for (const list of byTarget.values()) {
    const before = (e) => e.points[e.points.length - 2];
    list.slice()
      .sort((a, b) => before(a).y - before(b).y || a.slot - b.slot)
      .forEach((e, i) => ports.set(e, { port: i, ports: list.length }));
  }
  return ports;
}
