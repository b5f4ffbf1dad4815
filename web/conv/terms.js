/**
 * The arithmetic of one window position written out: for a conv filter the products
 * w × x over its whole depth and "sum + bias = value"; for a max-pool window "max(...) =
 * value". The products are presentation (each term as the student would write it); the
 * value after "=" is always the API's output, never a sum made by the page.
 */
import { el, fmt, factor } from "./dom.js";

const INLINE_TERMS = 18;
const CHANNEL_TABLES = 4;

/** The window's numbers: x[c][a][b] of the padded input under filter k at top-left (r0, c0). */
function windowOf(padded, r0, c0, rows, cols) {
  return padded.map((channel) => channel.slice(r0, r0 + rows).map((row) => row.slice(c0, c0 + cols)));
}

/** A small table of products for one channel: each cell "w × x" above its product. */
function channelTable(c, w, x, depth) {
  const body = w.map((row, a) => el("tr", {}, row.map((wv, b) => el("td", {}, [
    el("span", { class: "conv-wx", text: `${factor(wv)}×${factor(x[a][b])}` }),
    el("span", { class: "conv-prod", text: fmt(wv * x[a][b], 2) }),
  ]))));
  const name = depth === 3 ? `channel ${c} (${"RGB"[c]})` : `channel ${c}`;
  return el("table", { class: "conv-terms-table" }, [el("caption", { text: name }), el("tbody", {}, body)]);
}

/**
 * Conv: resp is the /api/conv answer, (k, i, j) the output cell, done whether its value
 * has been computed yet in the animation (before that the result reads "?").
 */
export function renderConvTerms(host, resp, k, i, j, done) {
  const [r0, c0] = resp.receptive_fields[i][j];
  const [fh, fw] = resp.size;
  const w = resp.weights[k];
  const x = windowOf(resp.padded_input, r0, c0, fh, fw);
  const depth = w.length;
  const count = depth * fh * fw;
  const bias = resp.bias[k];
  const value = resp.output[k][i][j];
  const result = el("strong", { class: "conv-result", testid: "conv-term-result", text: done ? fmt(value, 4) : "?" });
  const head = el("div", { class: "conv-terms-head" }, [
    `Output [filter ${k + 1}, row ${i}, col ${j}]: window at row ${r0}, col ${c0} of the padded input, `,
    `${fh}×${fw}×${depth} = ${count} numbers.`,
  ]);
  const parts = [head];
  if (count <= INLINE_TERMS) {
    const products = [];
    w.forEach((ch, c) => ch.forEach((row, a) => row.forEach((wv, b) => products.push(`${factor(wv)}×${factor(x[c][a][b])}`))));
    parts.push(el("div", { class: "conv-sum" }, [products.join(" + "), ` + ${factor(bias)} (bias) = `, result]));
  } else {
    const tables = w.slice(0, CHANNEL_TABLES).map((ch, c) => channelTable(c, ch, x[c], depth));
    parts.push(el("div", { class: "conv-terms-tables" }, tables));
    if (depth > CHANNEL_TABLES) parts.push(el("div", { class: "conv-note", text: `…and ${depth - CHANNEL_TABLES} more channels.` }));
    parts.push(el("div", { class: "conv-sum" }, [`sum of the ${count} products (w × x) + ${factor(bias)} (bias) = `, result]));
  }
  if (resp.relu && done) {
    parts.push(el("div", { class: "conv-sum" }, [`ReLU: max(0, ${fmt(value, 4)}) = `, el("strong", { text: fmt(resp.relu[k][i][j], 4) })]));
  }
  host.replaceChildren(...parts);
}

/** Max pool on its own: the window's numbers and "max(...) = value" (value from the API). */
export function renderPoolTerms(host, resp, k, i, j, window, done) {
  const source = resp.output[k];
  const numbers = source.slice(window.row, window.row + window.rows)
    .flatMap((row) => row.slice(window.col, window.col + window.cols));
  const value = resp.pool.output[k][i][j];
  host.replaceChildren(
    el("div", { class: "conv-terms-head", text: `Pooled [map ${k + 1}, row ${i}, col ${j}]: window at row ${window.row}, col ${window.col}, ${window.rows}×${window.cols}.` }),
    el("div", { class: "conv-sum" }, [`max(${numbers.map((v) => fmt(v, 2)).join(", ")}) = `,
      el("strong", { class: "conv-result", testid: "conv-term-result", text: done ? fmt(value, 4) : "?" })]),
  );
}
