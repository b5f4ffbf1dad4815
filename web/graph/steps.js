/**
 * The timeline's steps, built from the API's trace (bookkeeping only, no maths):
 *   step 0           the inputs and constants, nothing computed yet
 *   forward steps    one per gate, in the API's topological order ("forward")
 *   the seed step    dL/dL = 1 (or the given upstream) at the output
 *   backward steps   one per gate, in the API's reverse order ("backward")
 * For every node and edge it records the first step at which its value and its gradient
 * are known, so the view can show any step directly (a link may open at step 17).
 */

export function edgeKey(from, to, slot) {
  return `${from}->${to}#${slot}`;
}

/** The output node of a trace: the API names it by id or by variable name. */
export function outputNode(trace) {
  const byId = trace.nodes.find((n) => n.id === trace.output);
  if (byId) return byId;
  const byName = trace.nodes.find((n) => n.name === trace.output);
  if (byName) return byName;
  const last = trace.forward[trace.forward.length - 1];
  return trace.nodes.find((n) => n.id === last) || trace.nodes[trace.nodes.length - 1];
}

/**
 * @param {object} trace  the body of POST /api/graph
 * @returns {{steps: Array, forwardEnd: number, last: number, nodes: Map, output: object,
 *            valueStep: Map<string, number>, gradStep: Map<string, number>,
 *            edgeGradStep: Map<string, number>, edgeGrad: Map<string, any>,
 *            backwardStep: Map<string, number>, forwardIndex: Map<string, number>, hidden: Set<string>}}
 */
export function buildSteps(trace, hidden = new Set()) {
  const nodes = new Map(trace.nodes.map((n) => [n.id, n]));
  const forwardIndex = new Map(trace.forward.map((id, i) => [id, i]));
  const output = outputNode(trace);
  const steps = [{ kind: "start" }];
  const valueStep = new Map();
  for (const n of trace.nodes) if (n.kind !== "op") valueStep.set(n.id, 0);
  for (const id of trace.forward) {
    const node = nodes.get(id);
    if (!node || node.kind !== "op") continue;
    steps.push({ kind: "forward", node: id });
    valueStep.set(id, steps.length - 1);
  }
  const forwardEnd = steps.length - 1;

  const gradStep = new Map();
  const edgeGradStep = new Map();
  const edgeGrad = new Map();
  const backwardStep = new Map();
  if (output.grad != null) {
    steps.push({ kind: "seed", node: output.id });
    gradStep.set(output.id, steps.length - 1);
  }
  for (const entry of trace.backward || []) {
    const node = nodes.get(entry.node);
    const inputs = entry.inputs || (node ? node.inputs : []);
    if (!node || !inputs.length) continue;
    steps.push({ kind: "backward", node: entry.node, entry: { ...entry, inputs } });
    const s = steps.length - 1;
    backwardStep.set(entry.node, s);
    if (!gradStep.has(entry.node)) gradStep.set(entry.node, s);
    inputs.forEach((id, slot) => {
      gradStep.set(id, s);  // the last consumer to send its gradient completes it
      const down = entry.downstream ? entry.downstream[slot] : null;
      if (down == null) return;  // an input that takes no gradient (a class label)
      const key = edgeKey(id, entry.node, slot);
      edgeGradStep.set(key, s);
      edgeGrad.set(key, down);
    });
  }
  return { steps, forwardEnd, last: steps.length - 1, nodes, output, valueStep, gradStep,
    edgeGradStep, edgeGrad, backwardStep, forwardIndex, hidden };
}

/**
 * A node's copy-gate contributions in the order of its uses (the program's order), each
 * marked with whether it has arrived by step s: [{from, value, arrived}].
 */
export function partsAt(model, node, s) {
  const order = (p) => model.forwardIndex.get(p.from) ?? 0;
  return (node.grad_parts || []).slice().sort((a, b) => order(a) - order(b))
    .map((p) => ({ ...p, arrived: (model.backwardStep.get(p.from) ?? Infinity) <= s }));
}

/**
 * Constants the drawing leaves out: those folded into their gate's label ("+1", "*-1",
 * "1/x"), as the lecture draws them. `symbols` maps op name -> plain symbol (GET /api/ops).
 */
export function foldedConstants(trace, symbols) {
  const consumers = new Map();
  for (const n of trace.nodes) for (const id of n.inputs) {
    if (!consumers.has(id)) consumers.set(id, []);
    consumers.get(id).push(n);
  }
  const folded = new Set();
  for (const n of trace.nodes) {
    const users = consumers.get(n.id) || [];
    if (n.kind === "const" && users.length &&
        users.every((u) => u.kind === "op" && symbols[u.op] && u.label !== symbols[u.op])) folded.add(n.id);
  }
  return folded;
}

/** Words for where the timeline is: "forward 2 of 5", "backward 1 of 5", "start". */
export function stepTitle(model, s) {
  const step = model.steps[s];
  const backwardCount = model.last - model.forwardEnd;
  if (step.kind === "start") return "start";
  if (step.kind === "forward") return `forward ${s} of ${model.forwardEnd}`;
  return `backward ${s - model.forwardEnd} of ${backwardCount}`;
}
