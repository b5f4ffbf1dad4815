/**
 * The explanation panel: for the current step, the gate, its gradient-flow pattern by
 * name, and "upstream × local = downstream" written with the numbers of the API's backward
 * step. Nothing is derived here: a local-gradient formula and its worked-out form are the
 * trace's own fields ("formula", "worked" on a backward step), a gate's name is its
 * "display" field; this module only arranges and formats them.
 */
import { el } from "../lib/dom.js";
import { allIntegers, fmt, fmtAll, fmtProducts, isScalar, shapeText, shortValue, sumText } from "../lib/format.js";
import { partsAt, stepTitle } from "./steps.js";

const PATTERN_NAMES = {
  distributor: "gradient distributor",
  swap: "swap multiplier",
  router: "gradient router",
  adder: "gradient adder",
};

/**
 * How a node is called in a sentence: the API's unique display name, else its variable
 * name, its constant's value, or its gate symbol.
 */
export function refName(node) {
  if (!node) return "?";
  if (node.display) return node.display;
  if (node.name) return node.name;
  if (node.kind === "const") return shortValue(node.value, node.shape, allIntegers(node.value));
  return node.label || node.op || node.id;
}

/** A field that is either one text for the step or one text per input. */
function perInput(field, slot) {
  if (field == null) return null;
  if (Array.isArray(field)) return field[slot] ?? null;
  return null;
}

function valueText(v, shape) {
  return isScalar(v) ? fmt(v, allIntegers(v)) : shortValue(v, shape, allIntegers(v));
}

/** "q = 3   (x = −2, y = 5)" for a forward step: the gate's value next to its inputs'. */
function forwardLines(model, node) {
  const ins = node.inputs.filter((id) => !model.hidden.has(id)).map((id) => model.nodes.get(id));
  const scalars = [node.value, ...ins.map((n) => n.value)].every(isScalar);
  if (scalars) {
    const nums = fmtAll([node.value, ...ins.map((n) => n.value)]);
    return [
      `${refName(node)} = ${nums[0]}`,
      `${node.label} of ${ins.map((n, i) => `${refName(n)} = ${nums[i + 1]}`).join(", ")}`,
    ];
  }
  return [
    `${refName(node)} = ${valueText(node.value, node.shape)}`,
    `${node.label} of ${ins.map((n) => `${refName(n)} ${shapeText(n.shape) || "scalar"}`).join(", ")} → ${shapeText(node.shape) || "scalar"}`,
  ];
}

/** A small Jacobian in words: "diag(1, 0, 1, 0)" when diagonal, else its rows (null if larger than maxEntries). */
export function jacobianText(local, maxEntries = Infinity) {
  if (!Array.isArray(local) || !Array.isArray(local[0])) return null;
  const n = local.length;
  const square = local.every((row) => Array.isArray(row) && row.length === n);
  const diagonal = square && local.every((row, i) => row.every((v, j) => i === j || v === 0));
  if (diagonal) return `diag(${fmtAll(local.map((row, i) => row[i])).join(", ")})`;
  if (local.length * local[0].length > maxEntries) return null;
  return "[" + local.map((row) => "[" + fmtAll(row).join(", ") + "]").join(", ") + "]";
}

const JACOBIAN_WORDS_MAX = 9;  // entries a Jacobian may have to be written out in a sentence

function upstreamLine(model, node, entry, s) {
  const sum = sumText(partsAt(model, node, s), entry.upstream);
  const name = `dL/d${refName(node)}`;
  if (sum) return { text: `upstream ${name} = ${sum}  (copy gate: contributions add)`, copy: true };
  return { text: `upstream ${name} = ${valueText(entry.upstream, node.shape)}` };
}

/** The lines for one input: its downstream gradient, worked out by the API or as upstream × local. */
function inputLines(model, node, entry, slot, products) {
  const inNode = model.nodes.get(entry.inputs[slot]);
  const target = `dL/d${refName(inNode)}`;
  const u = entry.upstream;
  const l = entry.local ? entry.local[slot] : null;
  const d = entry.downstream ? entry.downstream[slot] : null;
  if (d == null) return [{ text: `${target}: no gradient (${refName(inNode)} is not differentiable here)`, cls: "ex-down" }];
  const lines = [];
  const worked = perInput(entry.worked, slot);
  const formula = perInput(entry.formula, slot);
  if (worked) lines.push({ text: `${target} = ${worked}`, cls: "ex-down" });
  else if (products.has(slot)) {
    const [U, L, D] = products.get(slot);
    lines.push({ text: `${target} = upstream × local = ${U} × ${L} = ${D}`, cls: "ex-down" });
  } else {
    const jac = jacobianText(l, JACOBIAN_WORDS_MAX);
    const shape = shapeText(inNode.shape) || "scalar";
    lines.push({ text: `${target} (${shape}) = ${valueText(d, inNode.shape)}` + (jac ? `; local Jacobian ${jac}, applied implicitly` : ""), cls: "ex-down" });
  }
  if (formula) lines.push({ text: `local gradient: ${formula}`, cls: "ex-formula" });
  return lines;
}

/** Copy gates whose gradient is complete at step s: "x is used 2 times: 4 + 2 = 6". */
function copyLines(model, s) {
  const lines = [];
  for (const [id, step] of model.gradStep) {
    const node = model.nodes.get(id);
    const sum = step === s ? sumText(partsAt(model, node, s), node.grad) : null;
    if (sum) lines.push({ text: `copy: ${refName(node)} is used ${node.grad_parts.length} times, its gradients add: ${sum}`, cls: "ex-down" });
  }
  return lines;
}

/**
 * What to say at step s.
 * @returns {{title, gate, pattern, patternText, lines: {text, cls?}[], kind}}
 */
export function explainStep(model, s) {
  const step = model.steps[s];
  const title = stepTitle(model, s);
  const none = { gate: null, pattern: null, patternText: null };
  if (step.kind === "start") {
    const inputs = [...model.nodes.values()].filter((n) => n.kind === "input");
    const lines = inputs.map((n) => ({ text: `${refName(n)} = ${valueText(n.value, n.shape)}` }));
    lines.push({ text: "Press → (or ▶) to compute the gates one at a time; click a node to inspect it.", cls: "ex-formula" });
    return { kind: "start", title, ...none, lines };
  }
  const node = model.nodes.get(step.node);
  const gate = `${node.label} gate (${node.op || node.kind})`;
  if (step.kind === "forward") return { kind: "forward", title, ...none, gate, lines: forwardLines(model, node).map((text) => ({ text })) };
  if (step.kind === "seed") {
    return { kind: "seed", title, ...none, lines: [
      { text: `base case: dL/d${refName(node)} = ${valueText(node.grad, node.shape)}`, cls: "ex-down" },
      { text: "Now the gradient flows back, gate by gate, in reverse order.", cls: "ex-formula" }] };
  }
  const entry = step.entry;
  // With the API's worked-out products the upstream is their first factor, in their format;
  // a line of its own would print the same number in a second precision.
  const upstream = upstreamLine(model, node, entry, s);
  const lines = entry.worked && !upstream.copy ? [] : [upstream];
  // every scalar product of the step in one format
  const slots = entry.inputs.map((_, slot) => slot).filter((slot) => [entry.upstream, entry.local?.[slot], entry.downstream?.[slot]].every(isScalar));
  const texts = fmtProducts(slots.map((slot) => [entry.upstream, entry.local[slot], entry.downstream[slot]]));
  const products = new Map(slots.map((slot, n) => [slot, texts[n]]));
  entry.inputs.forEach((id, slot) => { if (!model.hidden.has(id)) lines.push(...inputLines(model, node, entry, slot, products)); });
  const stepFormula = typeof entry.formula === "string" ? entry.formula : null;
  const stepWorked = typeof entry.worked === "string" ? entry.worked : null;
  if (stepWorked) lines.push({ text: stepWorked, cls: "ex-down" });
  if (stepFormula) lines.push({ text: `local gradient: ${stepFormula}`, cls: "ex-formula" });
  lines.push(...copyLines(model, s));
  const patternText = node.pattern ? `${node.op}: ${PATTERN_NAMES[node.pattern] || node.pattern}` : null;
  return { kind: "backward", title, gate, pattern: node.pattern, patternText, lines };
}

/** Draw an explanation into the panel element. */
export function renderExplanation(panel, explanation) {
  panel.dataset.kind = explanation.kind;
  const head = el("div", { class: "ex-head" }, [
    el("span", { class: "ex-title", text: explanation.title }),
    explanation.gate ? el("span", { class: "ex-gate", text: explanation.gate }) : null,
    explanation.patternText ? el("span", { class: `ex-pattern pattern-${explanation.pattern}`, text: explanation.patternText }) : null,
  ]);
  const list = el("ul", { class: "ex-lines" }, explanation.lines.map((line) => el("li", { class: line.cls || null, text: line.text })));
  panel.replaceChildren(head, list);
}
