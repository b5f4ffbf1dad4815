/**
 * How numbers, shapes and tensors read on the page, in both views. Presentation only:
 * every number comes from the API; this file decides how many digits a student sees.
 *
 * One precision rule: numbers that stand together (one sentence, one step, one table) go
 * through fmtAll and share one format, whole numbers stay whole only when all of them are,
 * so 0.20 never stands next to 0.1966.
 */
import { NUMBER_DIGITS } from "../config.js";

const SHORT_VECTOR_CHARS = 14;  // longer vectors are labelled by their shape on the graph
const NON_FINITE = { nan: "NaN", inf: "∞", "-inf": "−∞" };

/** True for a JSON scalar from the API (a number or one of "nan", "inf", "-inf"). */
export function isScalar(v) {
  return typeof v === "number" || (typeof v === "string" && v in NON_FINITE);
}

/** One number, rounded for reading; `integers` prints whole numbers without decimals. */
export function fmt(v, integers = false) {
  if (v == null) return "—";
  if (typeof v === "string") return NON_FINITE[v] ?? v;
  if (Object.is(v, -0)) v = 0;
  if (integers && Number.isInteger(v)) return minus(String(v));
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 0.005)) return minus(v.toExponential(NUMBER_DIGITS));
  return minus(v.toFixed(NUMBER_DIGITS));
}

/**
 * A number inside a grid cell, where the width is fixed: the same two decimals as fmt but
 * never an exponent (a tiny 0.004 reads 0.00, not 4.00e-3, which would spill out of a cell).
 */
export function fmtCell(v, integers = false) {
  if (typeof v !== "number") return fmt(v);
  if (Object.is(v, -0)) v = 0;
  if (integers && Number.isInteger(v)) return minus(String(v));
  if (Math.abs(v) >= 1e5) return fmt(v);
  return minus(v.toFixed(NUMBER_DIGITS));
}

function minus(text) {
  return text.replace(/^-/, "−");
}

/** Numbers of one sentence formatted alike: whole numbers stay whole only if all are. */
export function fmtAll(values) {
  const integers = values.every((v) => typeof v === "number" && Number.isInteger(v));
  return values.map((v) => fmt(v, integers));
}

/** A factor inside a written-out product: a negative number gets parentheses. */
export function factor(text) {
  return text.startsWith("−") ? `(${text})` : text;
}

/** "2×3" for a shape list, "(4,)" for a vector (as numpy writes it), "" for a scalar. */
export function shapeText(shape) {
  if (!shape || !shape.length) return "";
  return shape.length === 1 ? `(${shape[0]},)` : shape.join("×");
}

/** Number of elements of a shape. */
export function sizeOf(shape) {
  return (shape || []).reduce((n, d) => n * d, 1);
}

/** All numbers of a nested list, in row-major order. */
export function flatten(v) {
  if (!Array.isArray(v)) return [v];
  const out = [];
  const walk = (x) => (Array.isArray(x) ? x.forEach(walk) : out.push(x));
  walk(v);
  return out;
}

/** A short label for a value on an edge: the number, a short vector, or its shape. */
export function shortValue(v, shape, integers) {
  if (isScalar(v)) return fmt(v, integers);
  if (v == null) return "—";
  const flat = flatten(v);
  if (shape && shape.length === 1 && flat.length <= 4) {
    const ints = flat.every((x) => typeof x === "number" && Number.isInteger(x));
    const text = "[" + flat.map((x) => fmt(x, ints)).join(", ") + "]";
    if (text.length <= SHORT_VECTOR_CHARS) return text;
  }
  return shapeText(shape) || "tensor";
}

/** Whether every number of a value is a whole number (then we print no decimals). */
export function allIntegers(v) {
  return flatten(v).every((x) => typeof x === "number" && Number.isInteger(x));
}

/** Bytes as words: "128 bytes", "1.5 MB", "256 GB". */
export function bytesText(n) {
  const units = ["bytes", "KB", "MB", "GB", "TB", "PB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  const digits = i === 0 || n >= 100 ? 0 : 1;
  return `${n.toFixed(digits)} ${units[i]}`;
}

/**
 * A copy gate's sum as far as it has arrived: "? + 2", then "4 + 2 = 6".
 * @param parts  [{value, arrived}] in the order of the uses; total: the gradient or null
 * @returns the text, or null when nothing has arrived or the parts are not scalars
 */
export function sumText(parts, total) {
  if (parts.length < 2 || !parts.some((p) => p.arrived) || !parts.every((p) => isScalar(p.value))) return null;
  const nums = fmtAll(parts.map((p) => p.value).concat(total == null ? [] : [total]));
  const terms = parts.map((p, i) => (p.arrived ? nums[i] : "?")).join(" + ");
  return total == null ? terms : `${terms} = ${nums[nums.length - 1]}`;
}

/**
 * Products "U × L = D" of one step, each as three strings, all in one format: two
 * decimals as usual; when the rounded numbers of any of them would not multiply to its
 * rounded result (0.20 × 2.00 printed next to 0.39), four significant digits for every
 * number of the step, so each sentence is true as printed and no two precisions mix.
 */
export function fmtProducts(triples) {
  const short = fmtAll(triples.flat());
  const honest = triples.every((_, n) => {
    const [U, L, D] = short.slice(3 * n, 3 * n + 3).map((t) => Number(t.replace("−", "-")));
    return ![U, L, D].every(Number.isFinite) || Math.abs(U * L - D) < 0.0051;
  });
  const texts = honest ? short : triples.flat().map((v) => (typeof v === "number" ? minus(Number(v).toPrecision(4)) : fmt(v)));
  return triples.map((_, n) => texts.slice(3 * n, 3 * n + 3));
}
