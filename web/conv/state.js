/**
 * The conv view's settings: defaults, bounds, the URL hash (`#conv&n=7&f=3...`, so a link
 * reopens the same layer) and the body of POST /api/conv built from them.
 * The page does no arithmetic on these numbers: the server works out shapes and values.
 */
import { paramHash, readParamHash } from "../lib/hash.js";
import { makeImage, rasterize } from "./images.js";
import { makeWeights } from "./filters.js";

/** Numeric settings: hash key, default, and the bounds of their controls. */
export const NUMBERS = {
  height: { key: "n", value: 7, min: 1, max: 64 },
  width: { key: "w", value: 7, min: 1, max: 64 },
  depth: { key: "c", value: 1, min: 1, max: 64 },
  filters: { key: "k", value: 1, min: 1, max: 64 },
  size: { key: "f", value: 3, min: 1, max: 11 },
  stride: { key: "s", value: 1, min: 1, max: 8 },
  pad: { key: "p", value: 0, min: 0, max: 5 },
  poolSize: { key: "ps", value: 2, min: 1, max: 8 },
  poolStride: { key: "pst", value: 2, min: 1, max: 8 },
  seed: { key: "seed", value: 0, min: 0, max: 9999 },
};

/** Choice settings: hash key and default. */
const CHOICES = {
  input: { key: "in", value: "random" },       // random | image:<name> | upload | example
  weights: { key: "wt", value: "random" },     // random | <filter preset> | example
  upstream: { key: "up", value: "ones" },      // ones | random
  example: { key: "ex", value: "" },           // id of the lecture example the layer came from
};

/** Flags: hash key and default. */
const FLAGS = {
  conv: { key: "conv", value: true },
  relu: { key: "relu", value: false },
  pool: { key: "pool", value: false },
  quiz: { key: "quiz", value: false },  // predict the output size and one activation first
};

export function defaultState() {
  const state = {};
  for (const [name, spec] of Object.entries({ ...NUMBERS, ...CHOICES, ...FLAGS })) state[name] = spec.value;
  return state;
}

/** Keep a number inside its control's bounds (bad hash text falls back to the default). */
export function clampNumber(name, value) {
  const spec = NUMBERS[name];
  const n = Math.round(Number(value));
  if (!Number.isFinite(n)) return spec.value;
  return Math.min(spec.max, Math.max(spec.min, n));
}

/** Read the settings from a hash like "#conv&n=7&f=3"; unknown keys are ignored. */
export function parseHash(hash) {
  const state = defaultState();
  const params = readParamHash(hash, "conv");
  for (const [name, spec] of Object.entries(NUMBERS)) {
    if (params.has(spec.key)) state[name] = clampNumber(name, params.get(spec.key));
  }
  for (const [name, spec] of Object.entries(CHOICES)) {
    if (params.has(spec.key)) state[name] = params.get(spec.key).slice(0, 40);
  }
  for (const [name, spec] of Object.entries(FLAGS)) {
    if (params.has(spec.key)) state[name] = params.get(spec.key) === "1";
  }
  // The input is square unless the link gives a width of its own.
  if (!params.has(NUMBERS.width.key)) state.width = state.height;
  return state;
}

/** The hash for `state`: only settings that differ from the defaults are written. */
export function toHash(state) {
  const pairs = [];
  const defaults = defaultState();
  const all = { ...NUMBERS, ...CHOICES, ...FLAGS };
  for (const [name, spec] of Object.entries(all)) {
    // Width is written only when the input is not square (parseHash copies the height).
    if (name === "width" ? state.width === state.height : state[name] === defaults[name]) continue;
    pairs.push([spec.key, typeof state[name] === "boolean" ? (state[name] ? "1" : "0") : state[name]]);
  }
  return paramHash("conv", pairs);
}

/**
 * Shape [C, H, W] of an input: a nested list (C,H,W) or (H,W) (the latter as one channel),
 * or a generator {"shape": [...]}.
 */
function shapeOf(list) {
  if (list && !Array.isArray(list) && Array.isArray(list.shape)) {
    const shape = list.shape.slice(-3);
    return shape.length === 2 ? [1, ...shape] : shape;
  }
  if (!Array.isArray(list) || !Array.isArray(list[0])) return null;
  if (!Array.isArray(list[0][0])) return [1, list.length, list[0].length];
  return [list.length, list[0].length, list[0][0].length];
}

function sameShape(a, b) {
  return a && b && a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Settings taken from a lecture example's /api/conv body. Returns {state, input, weights,
 * bias}: the example's own input (a literal array or a generator, sent as it is while the
 * shape stays) and its literal weights and bias (null when it lets the server draw them).
 */
export function stateFromExample(example) {
  const body = example.conv;
  const state = defaultState();
  state.example = example.id;
  const input = body.input;
  [state.depth, state.height, state.width] = shapeOf(input);
  // A lecture preset shows a picture (a digit) rather than noise: an edge filter over a 7
  // means something. Literal inputs (the lecture's 4x4 max-pool matrix) stay as written.
  const generated = input && !Array.isArray(input);
  state.input = generated && [1, 3].includes(state.depth) ? "image:seven" : "example";
  state.seed = clampNumber("seed", body.seed ?? 0);
  const pair = (v) => (Array.isArray(v) ? v : [v, v]);
  state.filters = body.filters ?? 1;
  state.size = pair(body.size ?? 3)[0];
  state.stride = pair(body.stride ?? 1)[0];
  state.pad = pair(body.pad ?? 0)[0];
  state.conv = body.conv !== false;
  state.relu = Boolean(body.relu);
  state.pool = Boolean(body.pool);
  if (body.pool) {
    state.poolSize = pair(body.pool.size ?? 2)[0];
    state.poolStride = pair(body.pool.stride ?? state.poolSize)[0];
  }
  state.weights = body.weights ? "example" : state.input.startsWith("image:") ? "edges" : "random";
  if (typeof body.upstream === "string") state.upstream = body.upstream;
  return { state, input, weights: body.weights ?? null, bias: body.bias ?? null };
}

/** The input volume (C,H,W) for the request: a generator, a built-in picture or the upload. */
function inputFor(state, data) {
  const shape = [state.depth, state.height, state.width];
  if (state.input === "example" && data.exampleInput && sameShape(shapeOf(data.exampleInput), shape)) {
    return data.exampleInput;
  }
  if (state.input === "upload" && data.upload) return rasterize(data.upload, ...shape);
  if (state.input.startsWith("image:")) return makeImage(state.input.slice(6), ...shape);
  return { shape, init: "randn", seed: state.seed, scale: 1.0 };
}

/** True when example weights (K,C,F,F) still match the filter settings. */
function weightsFit(weights, state) {
  return Array.isArray(weights) && weights.length === state.filters
    && weights[0].length === state.depth && weights[0][0].length === state.size
    && weights[0][0][0].length === state.size;
}

/** The body of POST /api/conv for `state`; `data` holds the example arrays and the upload. */
export function requestBody(state, data) {
  const body = {
    input: inputFor(state, data),
    filters: state.filters,
    size: [state.size, state.size],
    stride: [state.stride, state.stride],
    pad: [state.pad, state.pad],
    seed: state.seed,
    relu: state.relu,
    conv: state.conv,
    upstream: state.upstream,
  };
  if (state.pool) body.pool = { size: [state.poolSize, state.poolSize], stride: [state.poolStride, state.poolStride] };
  if (state.conv && state.weights === "example" && weightsFit(data.exampleWeights, state)) {
    body.weights = data.exampleWeights;
    if (data.exampleBias) body.bias = data.exampleBias;
  } else if (state.conv && state.weights !== "random" && state.weights !== "example") {
    const made = makeWeights(state.weights, state.filters, state.depth, state.size);
    body.weights = made.weights;
    body.bias = made.bias;
  }
  return body;
}

/** What the current input is called in the panel heading. */
export function inputLabel(state) {
  if (state.input === "example") return "the example's input";
  if (state.input === "upload") return "your image";
  if (state.input.startsWith("image:")) return `picture "${state.input.slice(6)}"`;
  return `random values (seed ${state.seed})`;
}
