/**
 * Filter presets written out as explicit weights, so a student can see what an edge detector
 * or a blur looks like: weights (K, C, F, F) and biases (K,). Preset "edges" cycles through
 * vertical, horizontal and two diagonal edge detectors over the K filters.
 */

export const FILTER_PRESETS = {
  random: "random (seeded)",
  vertical: "vertical edge",
  horizontal: "horizontal edge",
  edges: "edge detectors (mixed)",
  blur: "blur (box)",
  sharpen: "sharpen",
};

const EDGE_KINDS = ["vertical", "horizontal", "diagonal", "antidiagonal"];

/**
 * One F x F kernel of a preset: the sign pattern of an edge detector (+1 on one side, -1 on
 * the other, 0 on the middle line), a box blur 1/(F*F), or a sharpen (centre 2, rest -1/(F*F)).
 */
function kernel(kind, f) {
  const mid = (f - 1) / 2;
  const sign = (d) => (d < 0 ? 1 : d > 0 ? -1 : 0);
  const round3 = (v) => Math.round(v * 1000) / 1000;
  return Array.from({ length: f }, (_, r) => Array.from({ length: f }, (_, c) => {
    if (f === 1) return 1;
    if (kind === "vertical") return sign(c - mid);
    if (kind === "horizontal") return sign(r - mid);
    if (kind === "diagonal") return sign((c - mid) + (r - mid));
    if (kind === "antidiagonal") return sign((c - mid) - (r - mid));
    if (kind === "blur") return round3(1 / (f * f));
    if (kind === "sharpen") return r === Math.floor(mid) && c === Math.floor(mid) ? 2 : round3(-1 / (f * f));
    return 0;
  }));
}

/** Weights (K, C, F, F) and zero biases (K,) for a preset; every channel gets the same kernel. */
export function makeWeights(preset, filters, depth, size) {
  const weights = Array.from({ length: filters }, (_, k) => {
    const kind = preset === "edges" ? EDGE_KINDS[k % EDGE_KINDS.length] : preset;
    const one = kernel(kind, size);
    return Array.from({ length: depth }, () => one);
  });
  return { weights, bias: Array.from({ length: filters }, () => 0) };
}
