/**
 * The graph view's state and its copy in the URL hash (TensorFlow Playground keeps its
 * state in the hash the same way), so that a link reopens the same graph at the same step.
 *
 * Hash format: "#g=" + base64url(UTF-8 JSON of {p, i, o?, u?, s, x?}) where
 *   p  program text            i  inputs: name -> number | nested list | generator dict
 *   o  output variable         u  upstream gradient
 *   s  timeline step (integer) x  id of the example the program came from
 *   q  quiz mode: {hide: ["grad"] | ["grad", "value"], ask?: {grad, value}, rtol?, atol?}
 */

/** Everything needed to rebuild the graph view: what to evaluate and where the timeline is. */
export function emptyState() {
  return { program: "", inputs: {}, output: null, upstream: null, step: 0, example: null, quiz: null };
}

function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(code) {
  const b64 = code.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "===".slice((b64.length + 3) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The hash (with its "#") for a state. */
export function encodeHash(state) {
  const doc = { p: state.program, i: state.inputs, s: state.step };
  if (state.output) doc.o = state.output;
  if (state.upstream != null) doc.u = state.upstream;
  if (state.example) doc.x = state.example;
  if (state.quiz) doc.q = state.quiz;
  return "#g=" + toBase64Url(JSON.stringify(doc));
}

/** The state a hash holds, or null when it holds none (or something unreadable). */
export function decodeHash(hash) {
  const match = /^#?g=([A-Za-z0-9_-]+)/.exec(hash || "");
  if (!match) return null;
  try {
    const doc = JSON.parse(fromBase64Url(match[1]));
    if (typeof doc.p !== "string") return null;
    return {
      program: doc.p,
      inputs: doc.i && typeof doc.i === "object" ? doc.i : {},
      output: typeof doc.o === "string" ? doc.o : null,
      upstream: doc.u ?? null,
      step: Number.isInteger(doc.s) && doc.s >= 0 ? doc.s : 0,
      example: typeof doc.x === "string" ? doc.x : null,
      quiz: doc.q && typeof doc.q === "object" && Array.isArray(doc.q.hide) ? doc.q : null,
    };
  } catch {
    return null;
  }
}

/** Put the state in the address bar without adding a history entry per step. */
export function writeHash(state) {
  clearTimeout(pending);
  pending = 0;
  const hash = encodeHash(state);
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

// Holding → steps many times a second; the browser throttles (and warns about) that many
// history updates, so stepping writes the hash at most every HASH_DELAY_MS.
const HASH_DELAY_MS = 150;
let pending = 0;
let latest = null;

/** Write the hash soon (the last state wins); flushHash() writes it now. */
export function scheduleHash(state) {
  latest = state;
  if (!pending) pending = setTimeout(() => writeHash(latest), HASH_DELAY_MS);
}

export function flushHash() {
  if (pending) writeHash(latest);
}

/** The body of POST /api/graph for a state. */
export function graphRequest(state, extra = {}) {
  const body = { expression: state.program, inputs: state.inputs, ...extra };
  if (state.output) body.output = state.output;
  if (state.upstream != null) body.upstream = state.upstream;
  if (state.quiz) body.hide = state.quiz.hide;  // quiz mode: the answers stay on the server
  return body;
}
