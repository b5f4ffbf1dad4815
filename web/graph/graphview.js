/**
 * The graph itself: draws the laid-out DAG in SVG the way the lecture does (inputs left,
 * gates as circles with their symbol, forward values in green above each edge, gradients
 * in red below) and shows any timeline step: which values and gradients are known, which
 * gate is working, and the gradient travelling back along the edges.
 */
import { COLORS, SIZES, TIMING } from "../config.js";
import { allIntegers, shapeText, sumText } from "../lib/format.js";
import {
  arrowMarker, assignPorts, edgePath, el, entryPoint, exitPoint, halfWidth, pillText, pillWidth,
  SVG_NS, symbolClass,
} from "./shapes.js";
import { createLabel, createOccupancy, labelBox, labelWidth as drawnLabelWidth, placeLabels } from "./labels.js";
import { edgeKey, partsAt } from "./steps.js";
import { GRAPH_CSS } from "./svgstyle.js";

/** The name written above a gate: its variable, else the trace's display name (w0·x0, +₂). */
function gateName(node) {
  if (node.name) return node.name;
  return node.display && node.display !== node.label ? node.display : null;
}

export function createGraphView(svg, { onSelect, onToggle } = {}) {
  let drawn = null;  // {trace, layout, nodeEls: Map, edges: [...], stub, integers}
  let selected = null;

  svg.replaceChildren();
  el("style", {}, svg).textContent = GRAPH_CSS;
  const defs = el("defs", {}, svg);
  arrowMarker(defs, "arrow", COLORS.edge);
  arrowMarker(defs, "arrow-fwd", COLORS.forward);
  arrowMarker(defs, "arrow-bwd", COLORS.gradient);
  const viewport = el("g", { class: "viewport" }, svg);
  const groupLayer = el("g", { class: "groups" }, viewport);
  const edgeLayer = el("g", { class: "edges" }, viewport);
  const nodeLayer = el("g", { class: "nodes" }, viewport);
  const labelLayer = el("g", { class: "edge-labels" }, viewport);
  const travelLayer = el("g", { class: "travels" }, viewport);

  function drawNode(node, pos) {
    const g = el("g", { class: `node kind-${node.kind}`, transform: `translate(${pos.x},${pos.y})`,
      "data-node-id": node.id, "data-op": node.op || node.kind, "data-node-name": node.name || null,
      "data-kind": node.kind }, nodeLayer);
    el("title", {}, g).textContent = `${node.name ? node.name + ": " : ""}${node.op || node.kind}` +
      (node.shape && node.shape.length ? ` (${shapeText(node.shape)})` : "");
    let below = 0;
    let local = null;
    if (node.group) {
      // a folded group: one gate (a rounded square) with its header and its local gradient
      const r = SIZES.gateRadius;
      g.classList.add("folded-group");
      g.dataset.groupId = node.group.id;
      g.dataset.groupName = node.group.name;
      g.dataset.folded = "true";
      el("rect", { class: "gate", x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 9 }, g);
      el("text", { class: symbolClass(node.label) }, g).textContent = node.label;
      groupHeader(g, node.group, true, 0, -r - 9, "middle");
      below = r;
      if (node.group.local && node.group.local.text) {
        local = el("text", { class: "local hidden", y: below + 18 }, g);
        local.textContent = `local ${node.group.local.text}`;
        below += 20;
      }
    } else if (node.kind === "op") {
      const r = SIZES.gateRadius;
      el("circle", { class: "gate", r }, g);
      el("text", { class: symbolClass(node.label) }, g).textContent = node.label;
      const name = gateName(node);
      if (name) el("text", { class: "name", y: -r - 9 }, g).textContent = name;
      below = r;
    } else {
      const w = pillWidth(node);
      const h = SIZES.pillHeight;
      el("rect", { class: "pill", x: -w / 2, y: -h / 2, width: w, height: h, rx: h / 2 }, g);
      el("text", { class: "pill-text" }, g).textContent = pillText(node);
      below = h / 2;
    }
    if (node.shape && node.shape.length) {
      below += 15;
      el("text", { class: "shape", y: below }, g).textContent = shapeText(node.shape);
    }
    // a copied input's sum goes left of its pill (nothing is drawn there); a gate's below it
    const sum = node.kind === "op"
      ? el("text", { class: "sum hidden", y: below + 18 }, g)
      : el("text", { class: "sum hidden", x: -halfWidth(node) - 8, y: 5, "text-anchor": "end" }, g);
    g.addEventListener("click", (ev) => {
      ev.stopPropagation();
      if (onSelect) onSelect(node.id);
    });
    return { g, sum, node, local };
  }

  /** A group's header: its name and a fold toggle, by click or by Enter / Space. */
  function groupHeader(parent, group, folded, x, y, anchor) {
    const header = el("text", { class: "group-header", x, y, "text-anchor": anchor, tabindex: 0, role: "button",
      "aria-expanded": String(!folded), "aria-label": `${folded ? "unfold" : "fold"} ${group.name}` }, parent);
    header.textContent = `${folded ? "▸" : "▾"} ${group.name}`;
    const toggle = (ev) => {
      ev.stopPropagation();
      ev.preventDefault();
      if (onToggle) onToggle(group.id);
    };
    header.addEventListener("click", toggle);
    header.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") toggle(ev);
    });
    return header;
  }

  /** An unfolded group: a box around its gates, its header on the box's top left. */
  function drawGroupBox(group, positions, depth) {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const id of group.members) {
      const p = positions.get(id);
      if (!p) continue;
      x0 = Math.min(x0, p.x);
      x1 = Math.max(x1, p.x);
      y0 = Math.min(y0, p.y);
      y1 = Math.max(y1, p.y);
    }
    if (x0 === Infinity) return null;
    // room around the gates for their names above and shapes below, and for the header
    const pad = SIZES.gateRadius + 12 + 12 * depth;
    const box = { x0: x0 - pad, y0: y0 - pad - 44, x1: x1 + pad, y1: y1 + pad + 24 };
    const g = el("g", { class: "group", "data-group-id": group.id, "data-group-name": group.name,
      "data-folded": "false" }, groupLayer);
    el("rect", { class: "group-box", x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0, rx: 12 }, g);
    groupHeader(g, group, false, box.x0 + 10, box.y0 + 17, "start").classList.add("box-header");
    const headerBox = { x0: box.x0, y0: box.y0, x1: box.x0 + 20 + group.name.length * 8, y1: box.y0 + 22 };
    return headerBox;
  }

  /**
   * A linked copy of an input drawn next to another reader: the same pill, marked as a
   * copy (the original alone carries data-node-id); all copies light up together.
   */
  function drawCopy(entry, copy) {
    const { node } = entry;
    const g = el("g", { class: `node copy kind-${node.kind}`, transform: `translate(${copy.x},${copy.y})`,
      "data-copy-of": node.id, "data-kind": node.kind }, nodeLayer);
    el("title", {}, g).textContent = `${node.name || node.id} (a copy: the same value, drawn next to this reader)`;
    const w = pillWidth(node);
    const h = SIZES.pillHeight;
    el("rect", { class: "pill", x: -w / 2, y: -h / 2, width: w, height: h, rx: h / 2 }, g);
    el("text", { class: "pill-text" }, g).textContent = pillText(node);
    g.addEventListener("click", (ev) => {
      ev.stopPropagation();
      if (onSelect) onSelect(node.id);
    });
    if (!entry.copies) {
      entry.copies = [];
      const all = () => [entry.g, ...entry.copies];
      const linked = (on) => () => all().forEach((c) => c.classList.toggle("linked", on));
      entry.g.addEventListener("pointerenter", linked(true));
      entry.g.addEventListener("pointerleave", linked(false));
      entry.linked = linked;
    }
    g.addEventListener("pointerenter", entry.linked(true));
    g.addEventListener("pointerleave", entry.linked(false));
    entry.copies.push(g);
  }

  function drawEdge(edge, nodes, positions, id, fanOut, port) {
    const src = nodes.get(edge.from);
    const spread = (edge.parallel - (edge.parallelCount - 1) / 2) * SIZES.parallelGap;
    const start = exitPoint(src, positions.get(edge.source || edge.from), edge.parallelCount > 1 ? spread * 0.5 : 0);
    const end = entryPoint(positions.get(edge.to), port.port, port.ports);
    const mids = edge.points.slice(1, -1).map((p) => ({ x: p.x, y: p.y + (edge.parallelCount > 1 ? spread : 0) }));
    const points = [start, ...mids, end];
    const path = el("path", { class: "edge", id, d: edgePath(points) }, edgeLayer);
    // Labels sit where neighbouring edges are furthest apart: near the source where edges
    // converge on a gate, nearer the target where they fan out of a copied value, and on
    // the middle stretch of a long edge, away from both crowds.
    const options = { integers: drawn.integers, dtype: src.dtype || null };
    const above = labelBox(src.value, src.shape, options);
    const below = src.grad == null ? above : labelBox(src.grad, src.shape, options);
    const first = fanOut.get(edge.from) > 1 ? 0.62 : 0.45;
    return { ...edge, key: edgeKey(edge.from, edge.to, edge.slot), path, points, above, below, first };
  }

  /**
   * The labels of every edge, the widest placed first (they need the open middle of an
   * edge; narrow ones fit around them). An edge with no free spot carries no labels: the
   * explanation and the inspector have its numbers.
   */
  function placeEdgeLabels(edges, occupancy) {
    const order = edges.slice().sort((a, b) =>
      Math.max(b.above.width, b.below.width) - Math.max(a.above.width, a.below.width));
    for (const e of order) {
      const at = placeLabels(e.points, e.above, e.below, occupancy, e.first);
      e.val = createLabel(labelLayer, at ? at.x : 0, at ? at.y : 0, "val");
      e.grad = createLabel(labelLayer, at ? at.x : 0, at ? at.y : 0, "grad");
      if (!at) {
        e.val.suppress();
        e.grad.suppress();
      }
      // Edges joining the same pair (x * x) run side by side: the top one carries the value
      // above it, the bottom one the gradient below it, so no two labels sit on each other.
      if (e.parallelCount > 1) {
        if (e.parallel > 0) e.val.suppress();
        if (e.parallel < e.parallelCount - 1) e.grad.suppress();
      }
    }
  }

  /** The boxes a node's drawing covers: its circle or pill, its name above, its shape below. */
  function nodeBox(node, pos) {
    const half = halfWidth(node);
    const title = node.group ? `▸ ${node.group.name}` : node.kind === "op" ? gateName(node) : null;
    const name = title ? title.length * 5 + 4 : 0;
    const local = node.group && node.group.local && node.group.local.text ? (node.group.local.text.length + 6) * 4 : 0;
    const shape = node.shape && node.shape.length ? shapeText(node.shape).length * 4 + 4 : 0;
    const top = title ? SIZES.gateRadius + 26 : half === SIZES.gateRadius ? half : SIZES.pillHeight / 2;
    const bottom = (node.kind === "op" ? SIZES.gateRadius : SIZES.pillHeight / 2) + (shape ? 20 : 2);
    const w = Math.max(half, name, shape) + 2;
    const boxes = [{ x0: pos.x - w, x1: pos.x + w, y0: pos.y - top, y1: pos.y + bottom }];
    // a folded group's local gradient is written under it
    if (local) boxes.push({ x0: pos.x - local, x1: pos.x + local, y0: pos.y + bottom, y1: pos.y + bottom + 24 });
    return boxes;
  }

  function drawStub(output, pos, length) {
    const start = exitPoint(output, pos, 0);
    const end = { x: start.x + length - 20, y: start.y };
    const path = el("path", { class: "edge stub", id: "edge-out", d: edgePath([start, end]) }, edgeLayer);
    const mid = { x: (start.x + end.x) / 2, y: start.y };
    const val = createLabel(labelLayer, mid.x, mid.y, "val");
    const grad = createLabel(labelLayer, mid.x, mid.y, "grad");
    return { path, val, grad };
  }

  /** Draw a new graph (all labels hidden until show() is called). */
  function render(trace, layout, model) {
    for (const layer of [groupLayer, edgeLayer, nodeLayer, labelLayer, travelLayer]) layer.replaceChildren();
    const nodes = model.nodes;
    const nodeEls = new Map();
    for (const node of trace.nodes) {
      if (!model.hidden.has(node.id)) nodeEls.set(node.id, drawNode(node, layout.nodes.get(node.id)));
    }
    for (const copy of layout.copies || []) drawCopy(nodeEls.get(copy.of), copy);
    const integers = trace.nodes.every((n) => (n.value == null || allIntegers(n.value)) && (n.grad == null || allIntegers(n.grad)));
    drawn = { integers };
    const occupancy = createOccupancy();
    for (const entry of nodeEls.values()) nodeBox(entry.node, layout.nodes.get(entry.node.id)).forEach(occupancy.add);
    for (const copy of layout.copies || []) nodeBox(nodes.get(copy.of), copy).forEach(occupancy.add);
    const boxes = trace.shownGroups || [];
    const depthOf = (g) => boxes.filter((o) => o.id !== g.id && o.members.every((m) => g.members.includes(m))).length;
    for (const group of boxes) {
      const header = drawGroupBox(group, layout.nodes, depthOf(group));
      if (header) occupancy.add(header);
    }
    const fanOut = new Map();
    for (const e of layout.edges) fanOut.set(e.from, (fanOut.get(e.from) || 0) + 1);
    const ports = assignPorts(layout.edges);
    const edges = layout.edges.map((e, i) => drawEdge(e, nodes, layout.nodes, `edge-${i}`, fanOut, ports.get(e)));
    placeEdgeLabels(edges, occupancy);
    const stub = drawStub(model.output, layout.nodes.get(model.output.id), layout.stub || SIZES.outputStub);
    const edgesInto = new Map();
    for (const e of edges) {
      if (!edgesInto.has(e.to)) edgesInto.set(e.to, []);
      edgesInto.get(e.to).push(e);
    }
    drawn = { trace, layout, model, nodeEls, edges, edgesInto, stub, integers, step: -1, current: [] };
    selected = null;
  }

  function labelOptions(node) {
    return { integers: drawn.integers, dtype: node.dtype || null };
  }

  function setText(textEl, text, visible) {
    const hidden = textEl.classList.contains("hidden");
    if (hidden === visible) textEl.classList.toggle("hidden", !visible);
    if (visible && textEl.textContent !== text) textEl.textContent = text;
  }

  function setData(g, key, value) {
    if (value === null) {
      if (key in g.dataset) delete g.dataset[key];
    } else if (g.dataset[key] !== value) {
      g.dataset[key] = value;
    }
  }

  // Stepping touches only what changed since the last step: on a 300-node graph a step
  // must stay well under a frame, and every DOM write costs a style recalculation.
  function showNode(entry, s) {
    const { model } = drawn;
    const { g, sum, node } = entry;
    const hasValue = (model.valueStep.get(node.id) ?? Infinity) <= s;
    const hasGrad = node.grad != null && (model.gradStep.get(node.id) ?? Infinity) <= s;
    // a large graph leaves the copy gate's sum to the explanation: no room beside the node
    const text = !drawn.layout.large && node.grad_parts && node.grad_parts.length > 1
      ? sumText(partsAt(model, node, s), hasGrad ? node.grad : null) : null;
    const key = `${hasValue}|${hasGrad}|${text}`;
    if (entry.key === key) return;
    entry.key = key;
    for (const c of entry.copies || []) {
      c.classList.toggle("pending", !hasValue);
      c.classList.toggle("has-grad", hasGrad);
    }
    g.classList.toggle("pending", !hasValue);
    g.classList.toggle("has-grad", hasGrad);
    if (entry.local) entry.local.classList.toggle("hidden", !hasValue);
    setData(g, "value", hasValue ? JSON.stringify(node.value) : null);
    setData(g, "grad", hasGrad ? JSON.stringify(node.grad) : null);
    setText(sum, text || "", text !== null);
    sum.classList.toggle("partial", !hasGrad);
  }

  function showEdge(e, s) {
    const { model } = drawn;
    const hasValue = (model.valueStep.get(e.from) ?? Infinity) <= s;
    const hasGrad = (model.edgeGradStep.get(e.key) ?? Infinity) <= s;
    const key = `${hasValue}|${hasGrad}`;
    if (e.state === key) return;
    e.state = key;
    const src = model.nodes.get(e.from);
    e.val.set(src.value, src.shape, labelOptions(src), hasValue);
    e.grad.set(hasGrad ? model.edgeGrad.get(e.key) : null, src.shape, labelOptions(src), hasGrad);
  }

  function showStub(s) {
    const { model, stub } = drawn;
    const out = model.output;
    stub.val.set(out.value, out.shape, labelOptions(out), (model.valueStep.get(out.id) ?? Infinity) <= s);
    const hasGrad = out.grad != null && (model.gradStep.get(out.id) ?? Infinity) <= s;
    stub.grad.set(hasGrad ? out.grad : null, out.shape, labelOptions(out), hasGrad);
  }

  /** A dot carrying a number along an edge; backward dots travel from the gate to its input. */
  function travel(e, text, backward) {
    const g = el("g", { class: backward ? "travel" : "travel fwd" }, travelLayer);
    const width = Math.max(20, text.length * 7 + 10);
    el("rect", { x: -width / 2, y: -9, width, height: 18, rx: 9, fill: backward ? COLORS.gradient : COLORS.forward }, g);
    el("text", {}, g).textContent = text;
    const motion = el("animateMotion", { dur: `${TIMING.travelMs}ms`, fill: "freeze",
      keyPoints: backward ? "1;0" : "0;1", keyTimes: "0;1", calcMode: "linear", begin: "indefinite" }, g);
    el("mpath", { href: `#${e.path.id}` }, motion);
    motion.beginElement();
    setTimeout(() => g.remove(), TIMING.travelMs + 50);
  }

  /** A label fades in once the travelling gradient has (almost) reached it. */
  function fadeIn(textEl, delay) {
    textEl.animate([{ opacity: 0 }, { opacity: 1 }], { duration: 400, delay, fill: "backwards" });
  }

  function clearCurrent() {
    for (const target of drawn.current) target.classList.remove("current-fwd", "current-bwd", "active-fwd", "active-bwd");
    drawn.current = [];
    travelLayer.replaceChildren();
  }

  function highlightCurrent(s, animate) {
    const { model, nodeEls, edgesInto } = drawn;
    clearCurrent();
    const step = model.steps[s];
    if (!step || step.kind === "start") return;
    const backward = step.kind !== "forward";
    const current = nodeEls.get(step.node);
    current.g.classList.add(backward ? "current-bwd" : "current-fwd");
    drawn.current.push(current.g);
    if (step.kind === "seed") {
      drawn.stub.path.classList.add("active-bwd");
      drawn.current.push(drawn.stub.path);
      if (animate && drawn.stub.grad.element) fadeIn(drawn.stub.grad.element, 0);
      return;
    }
    for (const e of edgesInto.get(step.node) || []) {
      e.path.classList.add(backward ? "active-bwd" : "active-fwd");
      drawn.current.push(e.path);
      if (!animate) continue;
      if (backward && e.grad.visible) {
        fadeIn(e.grad.element, TIMING.travelMs * 0.7);
        travel(e, e.grad.text, true);
        // a copied value shows the contribution arriving in its sum ("? + 2", "4 + 2 = 6")
        const source = nodeEls.get(e.from);
        if (source && !source.sum.classList.contains("hidden")) fadeIn(source.sum, TIMING.travelMs * 0.8);
      }
      if (!backward && e.val.element) travel(e, e.val.text, false);
    }
  }

  /** Show the graph as it is after step s; animate when the user stepped forward by one. */
  function show(s, { animate = false } = {}) {
    if (!drawn) return;
    for (const entry of drawn.nodeEls.values()) showNode(entry, s);
    for (const e of drawn.edges) showEdge(e, s);
    showStub(s);
    highlightCurrent(s, animate);
    drawn.step = s;
  }

  /** Draw step s again from scratch (a quiz answer has filled in a value or gradient). */
  function refresh() {
    if (!drawn) return;
    for (const entry of drawn.nodeEls.values()) entry.key = null;
    for (const e of drawn.edges) e.state = null;
    show(drawn.step);
  }

  function select(id) {
    if (!drawn) return;
    const mark = (key, on) => {
      const entry = key && drawn.nodeEls.get(key);
      if (entry) for (const g of [entry.g, ...(entry.copies || [])]) g.classList.toggle("selected", on);
    };
    mark(selected, false);
    selected = id;
    mark(id, true);
  }

  /** The drawing as a standalone SVG document (current step, no pan/zoom, no animation). */
  function exportSVG() {
    const copy = svg.cloneNode(true);
    const { width, height } = drawn.layout;
    copy.setAttribute("xmlns", SVG_NS);
    copy.setAttribute("width", Math.ceil(width));
    copy.setAttribute("height", Math.ceil(height));
    copy.setAttribute("viewBox", `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`);
    copy.removeAttribute("class");
    copy.removeAttribute("style");
    copy.querySelector(".viewport").removeAttribute("transform");
    copy.querySelector(".travels").replaceChildren();
    const bg = document.createElementNS(SVG_NS, "rect");
    bg.setAttribute("width", "100%");
    bg.setAttribute("height", "100%");
    bg.setAttribute("fill", "#ffffff");
    copy.insertBefore(bg, copy.querySelector(".viewport"));
    return new XMLSerializer().serializeToString(copy);
  }

  /** Width in drawing units of the widest label on the edges leaving a node. */
  function labelWidth(node, integers) {
    const options = { integers, dtype: node.dtype || null };
    const value = drawnLabelWidth(node.value, node.shape || [], options);
    return node.grad == null ? value : Math.max(value, drawnLabelWidth(node.grad, node.shape || [], options));
  }

  /** What the minimap draws: a dot per drawn node and copy. */
  function overview() {
    if (!drawn) return [];
    const dots = [];
    for (const [id, pos] of drawn.layout.nodes) {
      const node = drawn.model.nodes.get(id);
      dots.push({ x: pos.x, y: pos.y, kind: node ? node.kind : "input" });
    }
    return dots;
  }

  return {
    render, show, refresh, select, exportSVG, viewport, labelWidth, overview,
    size: () => (drawn ? { width: drawn.layout.width, height: drawn.layout.height } : null),
    position: (id) => (drawn ? drawn.layout.nodes.get(id) || null : null),
    hasGraph: () => drawn !== null,
  };
}
