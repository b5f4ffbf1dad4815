/**
 * The graph view's state and what it means in the URL hash and in a request: what to
 * evaluate and where the timeline is. The hash itself is written by lib/hash.js.
 *
 * Hash document {p, i, o?, u?, s, x?}:
 *   p  program text            i  inputs: name -> number | nested list | generator dict
 *   o  output variable         u  upstream gradient
 *   s  timeline step (integer) x  id of the example the program came from
 *   q  quiz mode: {hide: ["grad"] | ["grad", "value"], ask?: {grad, value}, rtol?, atol?}
 */
import { jsonHash, readJsonHash } from "../lib/hash.js";

/** Everything needed to rebuild the graph view. */
export function emptyState() {
  return { program: "", inputs: {}, output: null, upstream: null, step: 0, example: null, quiz: null };
}

/** The hash (with its "#") for a state. */
export function encodeHash(state) {
  const doc = { p: state.program, i: state.inputs, s: state.step };
  if (state.output) doc.o = state.output;
  if (state.upstream != null) doc.u = state.upstream;
  if (state.example) doc.x = state.example;
  if (state.quiz) doc.q = state.quiz;
  return jsonHash(doc);
}

/** The state a hash holds, or null when it holds none (or something unreadable). */
export function decodeHash(hash) {
  const doc = readJsonHash(hash);
  if (!doc || typeof doc.p !== "string") return null;
  return {
    program: doc.p,
    inputs: doc.i && typeof doc.i === "object" ? doc.i : {},
    output: typeof doc.o === "string" ? doc.o : null,
    upstream: doc.u ?? null,
    step: Number.isInteger(doc.s) && doc.s >= 0 ? doc.s : 0,
    example: typeof doc.x === "string" ? doc.x : null,
    quiz: doc.q && typeof doc.q === "object" && Array.isArray(doc.q.hide) ? doc.q : null,
  };
}

/** The body of POST /api/graph for a state. */
export function graphRequest(state, extra = {}) {
  const body = { expression: state.program, inputs: state.inputs, ...extra };
  if (state.output) body.output = state.output;
  if (state.upstream != null) body.upstream = state.upstream;
  if (state.quiz) body.hide = state.quiz.hide;  // quiz mode: the answers stay on the server
  return body;
}
