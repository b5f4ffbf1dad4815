/**
 * The explanation panel: for the current step, the gate, its gradient-flow pattern by
 * name, and the arithmetic "upstream × local = downstream" written with the API's numbers.
 * Nothing is computed here; the sentences only arrange the numbers of the backward step.
 */
import { allIntegers, fmt, fmtAll, fmtProduct, isScalar, shapeText, shortValue, sumText } from "./format.js";
import { partsAt, stepTitle } from "./steps.js";

const PATTERN_NAMES = {
  distributor: "gradient distributor",
  swap: "swap multiplier",
  router: "gradient router",
  adder: "gradient adder",
};

const INFIX = new Set(["+", "−", "-", "×", "*", "÷", "/", "@", "^", "**"]);

/** Local gradient of each op in words, per input slot (what the lecture writes under a gate). */
const LOCAL_FORMULA = {
  add: ["1", "1"], sub: ["1", "−1"], div: ["1/{1}", "−{0}/{1}²"], pow: ["{1}·{0}^({1}−1)", "{0}^{1}·ln {0}"],
  neg: ["−1"], exp: ["eˣ (the gate's own output)"], log: ["1/x"], sqrt: ["1/(2√x)"],
  abs: ["sign(x)"], sigmoid: ["(1 − σ(x))·σ(x)"], tanh: ["1 − tanh²(x)"],
  relu: ["1 where x > 0, else 0"], max: ["1 for the larger input, 0 for the other"],
  min: ["1 for the smaller input, 0 for the other"], sum: ["1 for every element"],
  mean: ["1/n for every element"], transpose: ["the upstream gradient transposed back"],
  matmul: ["dL/d{out} · {1}ᵀ", "{0}ᵀ · dL/d{out}"],
  linear: ["dL/d{out} · {1}", "(dL/d{out})ᵀ · {0}", "dL/d{out} summed over the batch"],
  flatten: ["the upstream gradient reshaped back"],
  reshape: ["the upstream gradient reshaped back"],
};

/** Local gradient in words for gates with a constant folded into their label ("+1", "*-1", "1/x"). */
function foldedFormula(label) {
  if (/^[+−-]\d/.test(label)) return "1";
  if (/^\*/.test(label)) return label.slice(1);
  if (/^[\d.]+\/x$/.test(label)) return `−${label.replace("/x", "")}/x²`;
  if (/^\/\d/.test(label)) return `1/${label.slice(1)}`;
  if (/^\^/.test(label)) return `${label.slice(1)}·x^(${label.slice(1)}−1)`;
  return null;
}

function localFormula(model, node, slot) {
  const folded = foldedFormula(node.label);
  if (folded) return folded;
  const known = LOCAL_FORMULA[node.op];
  if (!known || (known.length === 2 && node.inputs.length !== 2)) return null;
  const text = known[slot] ?? null;
  return text && text.replace(/\{(\w+)\}/g, (_, k) =>
    refName(k === "out" ? node : model.nodes.get(node.inputs[Number(k)]), model.nodes));
}

/**
 * How a node is called in a sentence: its variable name, its constant, or its gate
 * written over its named inputs ("(w0×x0)", "exp(x)"), else just the gate "(+)".
 * `nodes` (id -> node) is needed for the last two.
 */
export function refName(node, nodes = null) {
  if (!node) return "?";
  if (node.name) return node.name;
  if (node.kind === "const") return shortValue(node.value, node.shape, allIntegers(node.value));
  const ins = nodes ? node.inputs.map((id) => nodes.get(id)).filter((n) => n && n.kind !== "const") : [];
  if (ins.length === 2 && ins.every((n) => n.name) && INFIX.has(node.label)) {
    return `(${ins[0].name}${node.label}${ins[1].name})`;
  }
  if (ins.length === 1 && ins[0].name && node.inputs.length === 1) return unaryText(node.label, ins[0].name);
  return `(${node.label})`;
}

function opWord(node) {
  return node.op || node.kind;
}

function valueText(node) {
  return shortValue(node.value, node.shape, allIntegers(node.value));
}

/** A one-input gate applied to a number, the way one writes it: "1/1.37", "0.37 + 1", "exp(−1.00)". */
function unaryText(label, v) {
  if (/\bx\b/.test(label) && label !== "x") return label.replace(/\bx\b/, v);
  if (label === "ᵀ") return `${v}ᵀ`;
  const m = /^([+*\/^−-])(.+)$/.exec(label);
  if (m) {
    const base = m[1] === "^" && /^[−-]/.test(v) ? `(${v})` : v;  // (−1) ^ 2, not −1 ^ 2
    return `${base} ${{ "*": "×", "/": "÷" }[m[1]] || m[1]} ${m[2]}`;
  }
  return `${label}(${v})`;
}

/** "q = x + y = −2 + 5 = 3", "1/1.37 = 0.73" or shapes for tensors, for a forward step. */
function forwardLines(model, node) {
  const ins = node.inputs.filter((id) => !model.hidden.has(id)).map((id) => model.nodes.get(id));
  const out = node.name ? `${node.name} = ` : "";
  const scalars = [node.value, ...ins.map((n) => n.value)].every(isScalar);
  if (ins.length === 2 && INFIX.has(node.label) && scalars) {
    const [va, vb, vo] = fmtAll([ins[0].value, ins[1].value, node.value]);
    const symbolic = ins.every((n) => n.name) ? `${ins[0].name} ${node.label} ${ins[1].name} = ` : "";
    return [`${out}${symbolic}${va} ${node.label} ${vb} = ${vo}`];
  }
  if (ins.length === 1 && scalars) {
    const [va, vo] = fmtAll([ins[0].value, node.value]);
    const symbolic = ins[0].name ? `${unaryText(node.label, ins[0].name)} = ` : "";
    return [`${out}${symbolic}${unaryText(node.label, va)} = ${vo}`];
  }
  if (scalars) {
    const vals = fmtAll([...ins.map((n) => n.value), node.value]);
    const vo = vals.pop();
    return [`${out}${node.label}(${ins.map((n) => refName(n, model.nodes)).join(", ")}) = ${node.label}(${vals.join(", ")}) = ${vo}`];
  }
  const shapes = ins.map((n) => `${refName(n, model.nodes)} ${shapeText(n.shape) || "scalar"}`);
  const names = ins.map((n) => refName(n, model.nodes));
  let call = `${node.label}(${names.join(", ")})`;
  if (ins.length === 1) call = unaryText(node.label, names[0]);
  if (ins.length === 2 && INFIX.has(node.label)) call = `${names[0]} ${node.label} ${names[1]}`;
  return [
    `${out}${call}`,
    `shapes: ${shapes.join(", ")} → ${shapeText(node.shape) || "scalar"}`,
    `value: ${valueText(node)}`,
  ];
}

const JACOBIAN_WORDS_MAX = 9;  // entries a Jacobian may have to be written out in a sentence

/** A small Jacobian in words: "diag(1, 0, 1, 0)" when it is diagonal, else its rows (null if larger than maxEntries). */
export function jacobianText(local, maxEntries = Infinity) {
  if (!Array.isArray(local) || !Array.isArray(local[0])) return null;
  const n = local.length;
  const square = local.every((row) => Array.isArray(row) && row.length === n);
  const diagonal = square && local.every((row, i) => row.every((v, j) => i === j || v === 0));
  if (diagonal) {
    const d = local.map((row, i) => row[i]);
    return `diag(${fmtAll(d).join(", ")})`;
  }
  if (local.length * local[0].length > maxEntries) return null;
  return "[" + local.map((row) => "[" + fmtAll(row).join(", ") + "]").join(", ") + "]";
}

function upstreamLine(model, node, entry, s) {
  const u = entry.upstream;
  const sum = sumText(partsAt(model, node, s), u);
  if (sum) return `upstream dL/d${refName(node, model.nodes)} = ${sum} (copy gate: contributions add)`;
  return `upstream dL/d${refName(node, model.nodes)} = ${isScalar(u) ? fmt(u, allIntegers(u)) : shortValue(u, node.shape, allIntegers(u))}`;
}

function routerLines(model, node, entry, ins) {
  const down = entry.downstream;
  const local = entry.local || [];
  if (ins.length === 2 && down.every(isScalar)) {
    const w = local[1] === 1 || (local[0] !== 1 && local[1] > local[0]) ? 1 : 0;
    const [dw, dl] = fmtAll([down[w], down[1 - w]]);
    const which = node.op === "min" ? "smaller" : "larger";
    return [
      `${opWord(node)}: routes ${dw} to the ${which} input, ${dl} to the other`,
      `${refName(ins[w], model.nodes)} (${fmt(ins[w].value, allIntegers(ins[w].value))}) gets ${dw}; ` +
        `${refName(ins[1 - w], model.nodes)} (${fmt(ins[1 - w].value, allIntegers(ins[1 - w].value))}) gets ${dl}`,
    ];
  }
  return null;
}

/** One line per input: the downstream gradient and how it came about. */
function inputLine(model, node, entry, slot) {
  const id = entry.inputs[slot];
  const inNode = model.nodes.get(id);
  const u = entry.upstream;
  const l = entry.local ? entry.local[slot] : null;
  const d = entry.downstream ? entry.downstream[slot] : null;
  const target = `dL/d${refName(inNode, model.nodes)}`;
  if (d == null) return `${target}: no gradient (${refName(inNode, model.nodes)} is not differentiable here)`;
  if (isScalar(u) && isScalar(l) && isScalar(d)) {
    const [U, L, D] = fmtProduct(u, l, d);
    if (node.pattern === "distributor") return `${target}: upstream ${U} × local ${L} = ${D} (${opWord(node)}: distributes)`;
    if (node.pattern === "swap" && entry.inputs.length === 2) {
      const other = refName(model.nodes.get(entry.inputs[1 - slot]), model.nodes);
      return `${opWord(node)}: swap multiplier — ${target} = ${U} × ${other} = ${U} × ${L} = ${D}`;
    }
    const formula = localFormula(model, node, slot);
    return `${target}: upstream ${U} × local ${L} = ${D}` + (formula ? ` (local = ${formula})` : "");
  }
  const formula = localFormula(model, node, slot);
  const jac = jacobianText(l, JACOBIAN_WORDS_MAX);
  const shape = shapeText(inNode.shape) || "scalar";
  const shapeNote = shape.startsWith("(") ? shape : `(${shape})`;
  const value = shortValue(d, inNode.shape, allIntegers(d));
  let text = formula && node.op in LOCAL_FORMULA && /·|summed/.test(formula)
    ? `${target} = ${formula} → ${value}`
    : `${target} ${shapeNote} = ${value}`;
  if (jac) text += `; local Jacobian ${jac}, applied implicitly`;
  else if (formula && !text.includes(formula)) text += `; local: ${formula}`;
  return text;
}

/** Copy gates whose gradient is complete at step s: "x is used 2 times: 4 + 2 = 6". */
function copyLines(model, s) {
  const lines = [];
  for (const [id, step] of model.gradStep) {
    const node = model.nodes.get(id);
    const sum = step === s ? sumText(partsAt(model, node, s), node.grad) : null;
    if (sum) lines.push(`copy: ${refName(node)} is used ${node.grad_parts.length} times, its gradients add: ${sum}`);
  }
  return lines;
}

function backwardExplanation(model, node, entry, s) {
  const ins = entry.inputs.map((id) => model.nodes.get(id));
  const lines = [upstreamLine(model, node, entry, s)];
  const routed = node.pattern === "router" ? routerLines(model, node, entry, ins) : null;
  if (routed) lines.push(...routed);
  else {
    entry.inputs.forEach((id, slot) => {
      if (!model.hidden.has(id)) lines.push(inputLine(model, node, entry, slot));
    });
  }
  return lines;
}

/**
 * What to say at step s.
 * @returns {{title: string, gate: string|null, pattern: string|null, patternText: string|null,
 *            lines: string[], kind: string}}
 */
export function explainStep(model, s) {
  const step = model.steps[s];
  const title = stepTitle(model, s);
  if (step.kind === "start") {
    const inputs = [...model.nodes.values()].filter((n) => n.kind === "input");
    const lines = inputs.map((n) => `${refName(n)} = ${valueText(n)}`);
    lines.push("Press → (or ▶) to compute the gates one at a time; click a node to inspect it.");
    return { kind: "start", title, gate: null, pattern: null, patternText: null, lines };
  }
  const node = model.nodes.get(step.node);
  const gate = `${node.label} gate (${opWord(node)})`;
  const patternText = node.pattern ? `${opWord(node)}: ${PATTERN_NAMES[node.pattern] || node.pattern}` : null;
  if (step.kind === "forward") {
    return { kind: "forward", title, gate, pattern: null, patternText: null, lines: forwardLines(model, node) };
  }
  if (step.kind === "seed") {
    const g = node.grad;
    const text = isScalar(g) ? fmt(g, allIntegers(g)) : shortValue(g, node.shape, allIntegers(g));
    return {
      kind: "seed", title, gate: null, pattern: null, patternText: null,
      lines: [`base case: dL/d${refName(node, model.nodes)} = ${text}`, "Now the gradient flows back, gate by gate, in reverse order."],
    };
  }
  const lines = backwardExplanation(model, node, step.entry, s).concat(copyLines(model, s));
  return { kind: "backward", title, gate, pattern: node.pattern, patternText, lines };
}

/** Draw an explanation into the panel element. */
export function renderExplanation(panel, explanation) {
  panel.replaceChildren();
  panel.dataset.kind = explanation.kind;
  const head = document.createElement("div");
  head.className = "ex-head";
  const title = document.createElement("span");
  title.className = "ex-title";
  title.textContent = explanation.title;
  head.append(title);
  if (explanation.gate) {
    const gate = document.createElement("span");
    gate.className = "ex-gate";
    gate.textContent = explanation.gate;
    head.append(gate);
  }
  panel.append(head);
  if (explanation.patternText) {
    const badge = document.createElement("div");
    badge.className = `ex-pattern pattern-${explanation.pattern}`;
    badge.textContent = explanation.patternText;
    panel.append(badge);
  }
  const list = document.createElement("ul");
  list.className = "ex-lines";
  for (const line of explanation.lines) {
    const li = document.createElement("li");
    li.textContent = line;
    list.append(li);
  }
  panel.append(list);
}
