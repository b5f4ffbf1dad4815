/**
 * Layered left-to-right layout of the computational graph (Sugiyama style).
 *
 * Why our own and not a library. ELK's layered algorithm (elkjs) does compound nodes,
 * ports and orthogonal routing, but: it ships only through npm while the README's two
 * commands install Python packages (the page has no build step and loads nothing from a
 * CDN, so elkjs would have to be copied into the repository); it is a ~1.5 MB GWT-compiled
 * bundle that runs in a worker and takes seconds on a 2,000-node graph, over our 1 s budget;
 * and the lecture's drawing is not what a general layouter optimises (inputs next to the
 * gate that reads them, values above and gradients below each edge, a chain read left to
 * right in one band). dagre is unmaintained and a CommonJS bundle. The textbook method,
 * with three additions for big programs, fits in one readable file and runs in linear
 * time per sweep (no recursion over the depth of the graph: a 5,000-gate chain is fine):
 *   1. layers by longest path from the inputs (constants sit just left of their gate);
 *      in a large graph every node is then pulled right, next to its first reader, so
 *      the weights of a 100-term sum sit beside their products, not in one tall column;
 *   2. linked copies: an input or constant read by gates in many
 *      layers (the x of a 100-step chain, a weight used at every step of a loop) is drawn
 *      once next to each reader instead of sending edges across the whole drawing;
 *      the copies light up together (graphview.js);
 *   3. dummy vertices where an edge spans several layers, so edges route between nodes,
 *   4. crossing reduction by barycentre sweeps, keeping the best order seen,
 *   5. vertical positions pulled towards neighbours, with a minimum gap kept exactly by
 *      isotonic regression (pool adjacent violators), so nothing overlaps;
 *   6. a long graph is cut into rows like lines of text (edges return through the gap
 *      between rows), so that its whole fits the view at the largest scale.
 *
 * Input: the API's node list (id, kind, inputs). Output: positions and edge routes in
 * SVG user units (see layoutGraph).
 */
import { SIZES } from "../config.js";

const SWEEPS = 12;
const BIG_SWEEPS = 4;        // sweeps and placement passes when there are more vertices
const BIG_PASSES = 6;        // than BIG_SWEEP_VERTS (the 1 s budget of a 2,000-node program)
const BIG_SWEEP_VERTS = 4000;
const PLACEMENT_PASSES = 10;
const SPINE_WEIGHT = 8;     // pull of a gate's spine input over its side inputs
const LARGE_GRAPH = 40;
const ROW_GAP = 110;         // room between the rows of a wrapped graph (edges return through it)
const MAX_ROWS = 12;      // from this many drawn nodes on, nodes sit next to their readers
const COPY_MIN_READERS = 3;  // an input read by this many gates ...
const COPY_MIN_SPAN = 3;     // ... in layers this far apart is drawn next to each reader

/** Largest (smallest) of a list without spreading it into arguments (no stack limit). */
function maxOf(list, start = -Infinity) {
  let m = start;
  for (const v of list) if (v > m) m = v;
  return m;
}

function minOf(list, start = Infinity) {
  let m = start;
  for (const v of list) if (v < m) m = v;
  return m;
}

/** Layer of every node: inputs at 0, a gate right of its latest input, constants next to their first gate. */
function assignLayers(nodes, index, consumers) {
  const layer = new Array(nodes.length).fill(0);
  for (const i of topologicalOrder(nodes, index)) {
    const node = nodes[i];
    if (node.kind === "op" && node.inputs.length) {
      layer[i] = 1 + maxOf(node.inputs.map((id) => layer[index.get(id)]));
    }
  }
  nodes.forEach((node, i) => {
    if (node.kind === "const" && consumers[i].length) {
      layer[i] = Math.max(0, minOf(consumers[i].map((c) => layer[c])) - 1);
    }
  });
  return layer;
}

/** Every node moved right as far as its readers allow (its first reader's layer − 1). */
function pullRight(nodes, index, consumers, layer) {
  const order = topologicalOrder(nodes, index);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k];
    if (consumers[i].length) layer[i] = Math.max(layer[i], minOf(consumers[i].map((c) => layer[c])) - 1);
  }
}

/**
 * Linked copies of the inputs and constants read across many layers: one copy per layer
 * of readers, placed just left of them. Rewrites the readers' inputs to the copies' ids
 * and returns the copies ({id, of}) appended to `nodes`.
 */
function linkCopies(nodes, consumers, layer) {
  const copies = [];
  const count = nodes.length;
  for (let i = 0; i < count; i++) {
    const node = nodes[i];
    const readers = consumers[i];
    if (node.kind === "op" || readers.length < COPY_MIN_READERS) continue;
    const layers = readers.map((c) => layer[c]);
    if (maxOf(layers) - minOf(layers) < COPY_MIN_SPAN) continue;
    const byLayer = new Map();
    for (const c of readers) {
      if (!byLayer.has(layer[c])) byLayer.set(layer[c], []);
      byLayer.get(layer[c]).push(c);
    }
    let k = 0;
    for (const [l, group] of [...byLayer].sort((a, b) => a[0] - b[0])) {
      const id = k === 0 ? node.id : `${node.id}~${k}`;
      if (k > 0) {
        copies.push({ id, of: node.id });
        nodes.push({ id, kind: node.kind, inputs: [], slots: [], of: node.id });
        layer.push(l - 1);
        consumers.push(group);
      } else {
        layer[i] = l - 1;
        consumers[i] = group;
      }
      for (const c of group) nodes[c].inputs = nodes[c].inputs.map((src) => (src === node.id ? id : src));
      k += 1;
    }
  }
  return copies;
}

/** Indices in an order where every node comes after its inputs (Kahn's algorithm). */
function topologicalOrder(nodes, index) {
  const pending = nodes.map((n) => n.inputs.length);
  const users = nodes.map(() => []);
  nodes.forEach((n, i) => n.inputs.forEach((id) => users[index.get(id)].push(i)));
  const queue = nodes.map((_, i) => i).filter((i) => pending[i] === 0);
  for (let k = 0; k < queue.length; k++) {
    for (const u of users[queue[k]]) if (--pending[u] === 0) queue.push(u);
  }
  return queue;
}

/** Rank of each node in a depth-first walk from the sinks, inputs visited in slot order. */
function depthFirstRanks(nodes, index, consumers) {
  const rank = new Array(nodes.length).fill(-1);
  let next = 0;
  const onStack = new Uint8Array(nodes.length);
  const visit = (start) => {
    const stack = [[start, 0]];
    onStack[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [i, k] = top;
      const ins = nodes[i].inputs;
      if (k < ins.length) {
        top[1] += 1;
        const j = index.get(ins[k]);
        if (rank[j] < 0 && !onStack[j]) {
          stack.push([j, 0]);
          onStack[j] = true;
        }
      } else {
        stack.pop();
        onStack[i] = false;
        if (rank[i] < 0) rank[i] = next++;
      }
    }
  };
  nodes.forEach((_, i) => { if (!consumers[i].length) visit(i); });
  nodes.forEach((_, i) => { if (rank[i] < 0) visit(i); });
  return rank;
}

/**
 * The layered graph: real vertices plus dummies on long edges.
 * Returns {verts: [{node|null, layer, rank}], links: [{a, b, bias}], chains: per edge the vertex path}.
 */
function buildLayered(nodes, index, layer, rank, height, large) {
  const verts = nodes.map((node, i) => ({ node, layer: layer[i], rank: rank[i] }));
  const links = [];
  const chains = [];
  nodes.forEach((node, t) => {
    const arity = node.inputs.length;
    // the input with the longest history is the gate's spine: its edge pulls hardest when
    // vertical positions are placed, so a chain runs straight and side inputs hang off it
    // (only an input with more history than every other: no spine among equals)
    let spine = -1;
    let tied = false;
    node.inputs.forEach((id, port) => {
      const h = height[index.get(id)];
      const best = spine < 0 ? -1 : height[index.get(node.inputs[spine])];
      if (h > best) {
        spine = port;
        tied = false;
      } else if (h === best) {
        tied = true;
      }
    });
    if (tied || (spine >= 0 && height[index.get(node.inputs[spine])] === 0)) spine = -1;
    node.inputs.forEach((id, port) => {
      const slot = node.slots[port];
      const s = index.get(id);
      const chain = [s];
      for (let l = layer[s] + 1; l < layer[t]; l++) {
        verts.push({ node: null, layer: l, rank: rank[t] - 0.5 + port * 0.01 });
        chain.push(verts.length - 1);
      }
      chain.push(t);
      // bias: where on the target the edge enters, so inputs keep the gate's slot order
      const bias = arity > 1 ? (port - (arity - 1) / 2) * 0.3 : 0;
      const weight = large && port === spine ? SPINE_WEIGHT : 1;
      for (let k = 0; k + 1 < chain.length; k++) {
        links.push({ a: chain[k], b: chain[k + 1], bias: k + 2 === chain.length ? bias : 0, weight });
      }
      chains.push({ from: nodes[s].of, source: id, to: node.id, slot, port, ports: arity, verts: chain });
    });
  });
  return { verts, links, chains };
}

/**
 * Crossings between two adjacent layers, counted as inversions with a Fenwick tree.
 * `codes` holds one number per edge, posA * size + posB, so one numeric sort orders them.
 */
function countCrossings(codes, size, tree) {
  codes.sort();
  tree.fill(0, 0, size + 1);
  let crossings = 0;
  for (let e = 0; e < codes.length; e++) {
    const b = codes[e] % size;
    let le = 0;
    for (let i = b + 1; i > 0; i -= i & -i) le += tree[i];
    crossings += e - le;
    for (let i = b + 1; i <= size; i += i & -i) tree[i] += 1;
  }
  return crossings;
}

function totalCrossings(layers, pos, down, tree) {
  let total = 0;
  for (let l = 0; l + 1 < layers.length; l++) {
    const size = layers[l + 1].length;
    let count = 0;
    for (const a of layers[l]) count += down[a].length;
    const codes = new Float64Array(count);
    let k = 0;
    for (const a of layers[l]) for (const { b } of down[a]) codes[k++] = pos[a] * size + pos[b];
    total += countCrossings(codes, size, tree);
  }
  return total;
}

/** Reorder one layer by the mean position of each vertex's neighbours in the reference layer. */
function sortByBarycentre(layerVerts, pos, neighbours, key) {
  for (const v of layerVerts) {
    const ns = neighbours[v];
    if (!ns.length) {
      key[v] = pos[v];
      continue;
    }
    let sum = 0;
    for (const n of ns) sum += pos[n.v] + n.bias;
    key[v] = sum / ns.length;
  }
  layerVerts.sort((a, b) => key[a] - key[b] || pos[a] - pos[b]);
  layerVerts.forEach((v, i) => { pos[v] = i; });
}

/** Crossing reduction: alternate downward and upward sweeps, keep the best order seen. */
function orderLayers(verts, links, sweeps) {
  const depth = maxOf(verts.map((v) => v.layer), 0) + 1;
  const layers = Array.from({ length: depth }, () => []);
  verts.forEach((v, i) => layers[v.layer].push(i));
  const up = verts.map(() => []);
  const down = verts.map(() => []);
  for (const { a, b, bias, weight } of links) {
    up[b].push({ v: a, bias: 0, weight });
    down[a].push({ b, v: b, bias, weight });
  }
  const pos = new Float64Array(verts.length);
  const key = new Float64Array(verts.length);
  const tree = new Int32Array(maxOf(layers.map((l) => l.length), 0) + 2);
  for (const layer of layers) {
    layer.sort((a, b) => verts[a].rank - verts[b].rank);
    layer.forEach((v, i) => { pos[v] = i; });
  }
  let best = totalCrossings(layers, pos, down, tree);
  let bestLayers = layers.map((l) => l.slice());
  for (let sweep = 0; sweep < sweeps && best > 0; sweep++) {
    if (sweep % 2 === 0) {
      for (let l = 1; l < depth; l++) sortByBarycentre(layers[l], pos, up, key);
    } else {
      for (let l = depth - 2; l >= 0; l--) sortByBarycentre(layers[l], pos, down, key);
    }
    const crossings = totalCrossings(layers, pos, down, tree);
    if (crossings < best) {
      best = crossings;
      bestLayers = layers.map((l) => l.slice());
    }
  }
  bestLayers.forEach((layer) => layer.forEach((v, i) => { pos[v] = i; }));
  return { layers: bestLayers, up, down, crossings: best };
}

/**
 * Least-squares positions for one ordered layer, keeping minimum gaps: positions
 * y_i = z_i + off_i with z non-decreasing (pool adjacent violators on the targets,
 * weighted: a vertex on a spine holds its place, what hangs off it moves).
 */
function placeWithGaps(targets, gaps, weights = null) {
  const off = [0];
  for (let i = 1; i < targets.length; i++) off.push(off[i - 1] + gaps[i - 1]);
  const blocks = [];
  targets.forEach((t, i) => {
    const w = weights ? weights[i] : 1;
    blocks.push({ sum: (t - off[i]) * w, weight: w, count: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1];
      const a = blocks[blocks.length - 2];
      if (a.sum / a.weight <= b.sum / b.weight) break;
      a.sum += b.sum;
      a.weight += b.weight;
      a.count += b.count;
      blocks.pop();
    }
  });
  const y = [];
  for (const b of blocks) for (let k = 0; k < b.count; k++) y.push(b.sum / b.weight + off[y.length]);
  return y;
}

function vertexHeight(vert) {
  return vert.node ? SIZES.rowGap : SIZES.dummyGap;
}

/** Vertical positions: start packed, then pull each vertex towards its neighbours. */
function placeVertically(verts, layers, up, down, passes) {
  const y = new Array(verts.length).fill(0);
  const gapsOf = (layer) => layer.slice(1).map((v, i) =>
    (vertexHeight(verts[layer[i]]) + vertexHeight(verts[v])) / 2);
  for (const layer of layers) {
    const ys = placeWithGaps(layer.map(() => 0), gapsOf(layer));
    layer.forEach((v, i) => { y[v] = ys[i]; });
  }
  // a vertex whose spine input is known follows it alone (a chain runs straight from its
  // start, whatever hangs off it); any other vertex sits at the mean of its neighbours
  const spineOf = up.map((list) => list.filter((n) => n.weight > 1));
  const mean = (list) => {
    let sum = 0;
    for (const n of list) sum += y[n.v];
    return sum / list.length;
  };
  const both = up.map((list, v) => list.concat(down[v]));
  const gaps = layers.map(gapsOf);
  for (let pass = 0; pass < passes; pass++) {
    const order = pass % 2 === 0 ? layers.keys() : [...layers.keys()].reverse();
    for (const l of order) {
      const layer = layers[l];
      const targets = layer.map((v) => {
        if (spineOf[v].length) return mean(spineOf[v]);
        const ns = pass % 3 === 2 ? both[v] : pass % 2 === 0 ? up[v] : down[v];
        return ns.length ? mean(ns) : y[v];
      });
      const ys = placeWithGaps(targets, gaps[l], layer.map((v) => (spineOf[v].length ? SPINE_WEIGHT * 8 : 1)));
      layer.forEach((v, i) => { y[v] = ys[i]; });
    }
  }
  return y;
}

/**
 * Rows of a long graph: its layers cut into rows, like lines of text, when that lets the
 * whole drawing be seen at a larger scale in a view of `view` size.
 * @returns {{rowOf: number[], shift: number[], rows: number} | null}  null: one row is best
 */
function wrapRows(starts, width, band, view) {
  const scaleOf = (n) => Math.min(view.width / (width / n + SIZES.layerGap),
    view.height / (n * band + (n - 1) * ROW_GAP + 2 * SIZES.margin));
  let rows = 1;
  for (let n = 2; n <= MAX_ROWS; n++) if (scaleOf(n) > scaleOf(rows) * 1.05) rows = n;
  if (rows === 1) return null;
  const rowWidth = (starts[starts.length - 1] - starts[0]) / rows + 1;
  const rowOf = starts.map((x) => Math.min(rows - 1, Math.floor((x - starts[0]) / rowWidth)));
  const shift = new Array(rows).fill(0);
  for (let l = starts.length - 1; l >= 0; l--) shift[rowOf[l]] = starts[l] - starts[0];
  return { rowOf, shift, rows };
}

/** Nodes with only the inputs that are drawn; `slots` keeps each one's index in the API's list. */
function visibleInputs(nodes) {
  const ids = new Set(nodes.map((n) => n.id));
  return nodes.map((n) => {
    const slots = [];
    n.inputs.forEach((id, k) => { if (ids.has(id)) slots.push(k); });
    return { id: n.id, kind: n.kind, inputs: slots.map((k) => n.inputs[k]), slots, of: n.id };
  });
}

/**
 * Lay out the graph (nodes left out of the list are not drawn, nor their edges). A large
 * graph is wrapped into rows to suit a view of size `view` ({width, height}) when given.
 * @param {Array} nodes  API nodes: {id, kind, inputs}
 * Edges name their source node (`from`) and the drawn copy they leave (`source`: the
 * node's own id, or the id of a linked copy listed in `copies` with its position).
 * @returns {{nodes: Map<string, {x, y, layer}>, edges: Array<{from, source, to, slot, port, ports, parallel, parallelCount, points}>,
 *            copies: Array<{id, of, x, y, layer}>,
 *            width: number, height: number, layers: number, crossings: number}}
 */
export function layoutGraph(allNodes, { labelWidth = () => 0, view = null } = {}) {
  const nodes = visibleInputs(allNodes);
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const consumers = nodes.map(() => []);
  nodes.forEach((n, i) => n.inputs.forEach((id) => consumers[index.get(id)].push(i)));
  const layer = assignLayers(nodes, index, consumers);
  const height = layer.slice();
  const large = nodes.length >= LARGE_GRAPH;
  if (large) pullRight(nodes, index, consumers, layer);
  const copies = linkCopies(nodes, consumers, layer);
  nodes.forEach((n, i) => index.set(n.id, i));
  while (height.length < nodes.length) height.push(0);
  const rank = depthFirstRanks(nodes, index, consumers);
  const { verts, links, chains } = buildLayered(nodes, index, layer, rank, height, large || copies.length > 0);
  const big = large && verts.length > BIG_SWEEP_VERTS;
  const { layers, up, down, crossings } = orderLayers(verts, links, big ? BIG_SWEEPS : SWEEPS);
  const y = placeVertically(verts, layers, up, down, big ? BIG_PASSES : PLACEMENT_PASSES);

  let top = Infinity;
  let bottom = -Infinity;
  verts.forEach((v, i) => {
    top = Math.min(top, y[i] - vertexHeight(v) / 2);
    bottom = Math.max(bottom, y[i] + vertexHeight(v) / 2);
  });
  // the first column (input pills, wider than gates) gets a little more room, and room on
  // its left for a copied input's sum ("4 + 2 = 6" is written left of the pill)
  const copied = !large && allNodes.some((n) => n.kind !== "op" && (n.grad_parts || []).length > 1);
  const left = SIZES.margin + (copied ? SIZES.sumRoom : 0);
  // a layer whose edges carry wide labels ([1, −2, 3, −1]) is followed by a wider gap
  const depthCount = maxOf(layer, 0) + 1;
  const gaps = new Array(depthCount).fill(SIZES.layerGap);
  nodes.forEach((n, i) => {
    gaps[layer[i]] = Math.max(gaps[layer[i]], labelWidth(n.of) + SIZES.labelRoom);
  });
  const starts = [left + SIZES.layerGap / 2];
  for (let l = 1; l < depthCount; l++) starts.push(starts[l - 1] + gaps[l - 1] + (l === 1 ? SIZES.inputGap : 0));
  const lastGap = Math.max(SIZES.outputStub, gaps[depthCount - 1] - SIZES.layerGap / 2);
  const band = bottom - top;
  const fullWidth = starts[depthCount - 1] + SIZES.layerGap / 2 + lastGap + SIZES.margin;
  // a large graph that a view cannot show readably whole is wrapped into rows
  const wrap = large && view && view.width > 0 && view.height > 0 ? wrapRows(starts, fullWidth, band, view) : null;
  const rowOf = (l) => (wrap ? wrap.rowOf[l] : 0);
  const xOf = (l) => starts[l] - (wrap ? wrap.shift[wrap.rowOf[l]] : 0);
  const rowTop = (r) => SIZES.margin + r * (band + ROW_GAP);
  const yOf = (i) => rowTop(rowOf(verts[i].layer)) + y[i] - top;

  const positions = new Map();
  nodes.forEach((n, i) => positions.set(n.id, { x: xOf(layer[i]), y: yOf(i), layer: layer[i] }));
  for (const c of copies) Object.assign(c, positions.get(c.id));

  const groups = new Map();
  for (const c of chains) {
    const key = `${c.from}->${c.to}`;
    groups.set(key, (groups.get(key) || 0) + 1);
  }
  const seen = new Map();
  let returns = 0;
  const edges = chains.map((c) => {
    const key = `${c.from}->${c.to}`;
    const k = seen.get(key) || 0;
    seen.set(key, k + 1);
    const points = [];
    c.verts.forEach((v, j) => {
      const p = { x: xOf(verts[v].layer), y: yOf(v) };
      const prev = j > 0 ? verts[c.verts[j - 1]].layer : null;
      if (prev !== null && rowOf(prev) !== rowOf(verts[v].layer)) {
        // from the end of one row to the start of the next: out right, back through the gap
        const last = points[points.length - 1];
        const gapY = rowTop(rowOf(prev)) + band + ROW_GAP * (0.3 + 0.4 * ((returns++ % 7) / 6));
        points.push({ x: last.x + SIZES.layerGap / 2, y: gapY }, { x: p.x - SIZES.layerGap / 2, y: gapY });
      }
      points.push(p);
    });
    return {
      from: c.from, source: c.source, to: c.to, slot: c.slot, port: c.port, ports: c.ports, parallel: k, parallelCount: groups.get(key),
      points,
    };
  });
  const depth = layers.length;
  return {
    nodes: positions, edges, copies, crossings, layers: depth, large, rows: wrap ? wrap.rows : 1,
    width: maxOf(starts.map((_, l) => xOf(l)), 0) + SIZES.layerGap / 2 + lastGap + SIZES.margin,
    stub: lastGap,
    height: rowTop(wrap ? wrap.rows - 1 : 0) + band + SIZES.margin,
  };
}
