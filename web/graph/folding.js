/**
 * Groups that fold. The trace lists groups (a `def` call, a built-in composite traced as
 * its gates, a loop and each of its iterations); every node lists the groups it is in,
 * outermost first. A folded group is drawn as one gate: it stands for its output node
 * (same id, value and gradient), reads what its gates read from outside, and is one step
 * forward and one step backward. This module turns the trace and the set of folded groups
 * into the trace as shown: the same shape as the API's, so the steps, the layout and the
 * view work on it unchanged. Bookkeeping only: every number is the API's.
 */

const LARGE_PROGRAM = 60;  // from this many nodes on, a program opens with its groups folded

/** The groups of a trace by id (none before the engine sends them). */
export function groupsOf(trace) {
  return new Map((trace.groups || []).map((g) => [g.id, g]));
}

/**
 * The groups folded when a program opens: built-in composites always (the lecture's
 * sigmoid gate, not its eight gates); in a large program every group, outermost first,
 * except a loop as a whole (its iterations fold, so it reads like an unrolled RNN).
 */
export function initialFolds(trace) {
  const folded = new Set();
  const groups = groupsOf(trace);
  const large = trace.nodes.length >= LARGE_PROGRAM;
  const insideFolded = (g) => {
    for (let p = g.parent && groups.get(g.parent); p; p = p.parent && groups.get(p.parent)) {
      if (folded.has(p.id)) return true;
    }
    return false;
  };
  // parents come before their children in the API's list
  for (const g of groups.values()) {
    if (insideFolded(g)) continue;
    const wholeLoop = g.kind === "loop" && g.iteration == null;
    if (g.kind === "composite" || (large && !wholeLoop)) folded.add(g.id);
  }
  return folded;
}

/** The outermost folded group a node is drawn inside, or null (inputs are never inside). */
function foldedGroupOf(node, folded) {
  if (node.kind === "input") return null;
  for (const id of node.groups || []) if (folded.has(id)) return id;
  return null;
}

/**
 * The trace as shown with `folded` groups folded.
 * @returns {object} a trace-shaped object (nodes, forward, backward, output, ...) plus
 *   `shownGroups`: the unfolded groups with their shown member ids, for their boxes.
 */
export function foldTrace(trace, folded, symbols = {}) {
  const groups = groupsOf(trace);
  if (!groups.size) return { ...trace, shownGroups: [] };
  const byId = new Map(trace.nodes.map((n) => [n.id, n]));
  const inside = new Map();  // node id -> folded group id
  for (const n of trace.nodes) {
    const g = foldedGroupOf(n, folded);
    if (g) inside.set(n.id, g);
  }
  const outputOf = (gid) => groups.get(gid).output;
  const shownId = (id) => (inside.has(id) ? outputOf(inside.get(id)) : id);

  // what each folded group reads from outside, and which of its gates reads it (slot)
  const reads = new Map();  // group id -> Map(outside shown id -> [{node, slot}])
  for (const n of trace.nodes) {
    const gid = inside.get(n.id);
    if (!gid) continue;
    if (!reads.has(gid)) reads.set(gid, new Map());
    n.inputs.forEach((id, slot) => {
      if (inside.get(id) === gid) return;
      const from = shownId(id);
      const list = reads.get(gid);
      if (!list.has(from)) list.set(from, []);
      list.get(from).push({ node: n.id, slot });
    });
  }

  const nodes = [];
  for (const n of trace.nodes) {
    const gid = inside.get(n.id);
    if (!gid) {
      const inputs = n.inputs.map(shownId);
      const parts = n.grad_parts && n.grad_parts.map((p) => ({ ...p, from: shownId(p.from) }));
      nodes.push({ ...n, inputs, ...(parts ? { grad_parts: parts } : {}) });
    } else if (n.id === outputOf(gid)) {
      const g = groups.get(gid);
      nodes.push({ ...n, kind: "op", op: "group", label: symbols[g.name] || g.name, display: g.name,
        inputs: [...(reads.get(gid) || new Map()).keys()], grad_parts: n.grad_parts &&
          n.grad_parts.map((p) => ({ ...p, from: shownId(p.from) })),
        group: g, members: trace.nodes.filter((m) => inside.get(m.id) === gid).length });
    }
  }
  const shownNodes = new Map(nodes.map((n) => [n.id, n]));

  const forward = [];
  const seen = new Set();
  for (const id of trace.forward) {
    const gid = inside.get(id);
    if (gid && id !== outputOf(gid)) continue;
    if (!seen.has(id)) forward.push(id);
    seen.add(id);
  }

  const entryOf = new Map((trace.backward || []).map((e) => [e.node, e]));
  const backward = [];
  for (const e of trace.backward || []) {
    const gid = inside.get(e.node);
    if (!gid) {
      const node = byId.get(e.node);
      backward.push({ ...e, inputs: (e.inputs || (node ? node.inputs : [])).map(shownId) });
      continue;
    }
    if (e.node !== outputOf(gid)) continue;
    const g = groups.get(gid);
    const proxy = shownNodes.get(e.node);
    // the gradient sent to an outside value: the one inner gate's that reads it (a value
    // read by several inner gates shows its sum on the value itself, not on the edge)
    const downstream = proxy.inputs.map((from) => {
      const readers = reads.get(gid).get(from);
      if (readers.length !== 1) return null;
      const inner = entryOf.get(readers[0].node);
      return inner && inner.downstream ? inner.downstream[readers[0].slot] : null;
    });
    backward.push({ node: e.node, inputs: proxy.inputs, upstream: e.upstream, local: null, downstream,
      formula: g.local ? g.local.formula : null, worked: null, group: g });
  }

  const shownGroups = [];
  for (const g of groups.values()) {
    if (folded.has(g.id) || nodes.every((n) => !(n.groups || []).includes(g.id))) continue;
    if ([...folded].some((f) => (byId.get(g.output)?.groups || []).includes(f) && isAncestor(groups, f, g.id))) continue;
    const members = nodes.filter((n) => n.kind !== "input" && (n.groups || []).includes(g.id)).map((n) => n.id);
    if (members.length) shownGroups.push({ ...g, members });
  }
  return { ...trace, nodes, forward, backward, shownGroups };
}

/** Whether group `a` contains group `b` (or is it). */
function isAncestor(groups, a, b) {
  for (let g = groups.get(b); g; g = g.parent ? groups.get(g.parent) : null) if (g.id === a) return true;
  return false;
}
