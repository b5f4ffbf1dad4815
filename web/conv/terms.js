/**
 * The arithmetic of one window position written out: for a conv filter each product
 * w × x through the whole depth, the sums per channel, "Σ + bias = value"; for a max-pool
 * window "max(...) = value". Every product and sum is the API's ("terms": products,
 * channel_sums, dot), every result its "output": the page only lays them out.
 */
import { el } from "../lib/dom.js";
import { allIntegers, factor, fmt, fmtAll } from "../lib/format.js";
import { channelName } from "./grid.js";

const CHANNEL_TABLES = 4;

/** The window's numbers: x[c][a][b] of the padded input at top-left (r0, c0). */
function windowOf(padded, r0, c0, rows, cols) {
  return padded.map((channel) => channel.slice(r0, r0 + rows).map((row) => row.slice(c0, c0 + cols)));
}

/** Format a group of numbers alike; returns a function from a number to its text. */
function formatter(values) {
  const ints = allIntegers(values);
  return (v) => fmt(v, ints);
}

/** One channel's products: each cell "w × x" above its product (both from the API). */
function channelTable(name, w, x, p, fw, fx, fp, sum) {
  const body = w.map((row, a) => el("tr", {}, row.map((wv, b) => el("td", {}, [
    el("span", { class: "conv-wx", text: `${factor(fw(wv))}×${factor(fx(x[a][b]))}` }),
    el("span", { class: "conv-prod", text: fp(p[a][b]) }),
  ]))));
  return el("table", { class: "conv-terms-table" }, [el("caption", { text: `${name}: Σ = ${sum}` }), el("tbody", {}, body)]);
}

/**
 * Conv: resp is the /api/conv answer, (k, i, j) the output cell, done whether its value
 * has been computed yet in the animation (before that the result reads "?").
 */
export function renderConvTerms(host, resp, k, i, j, done) {
  const [r0, c0] = resp.receptive_fields[i][j];
  const [fh, fw] = resp.size;
  const w = resp.weights[k];
  const depth = w.length;
  const terms = resp.terms || { channel_sums: null, dot: null, products: null };
  const sums = terms.channel_sums ? terms.channel_sums[k][i][j] : null;
  const [dot, bias, value] = fmtAll([terms.dot ? terms.dot[k][i][j] : 0, resp.bias[k], resp.output[k][i][j]]);
  const sumText = formatter(sums || []);
  const parts = [el("div", { class: "conv-terms-head", text:
    `output [${k}, ${i}, ${j}]: the window at row ${r0}, col ${c0} of the padded input, ${fh}×${fw}×${depth} = ${fh * fw * depth} products` })];
  if (terms.products) {
    const x = windowOf(resp.padded_input, r0, c0, fh, fw);
    const products = terms.products[k][i][j];
    const fw_ = formatter(w);
    const fx = formatter(x);
    const fp = formatter(products);
    const tables = w.slice(0, CHANNEL_TABLES).map((ch, c) => channelTable(channelName(c, depth), ch, x[c], products[c], fw_, fx, fp, sumText(sums[c])));
    parts.push(el("div", { class: "conv-terms-tables" }, tables));
  } else if (sums) {
    parts.push(el("ul", { class: "conv-channel-sums" }, sums.slice(0, 8).map((s, c) =>
      el("li", { text: `${channelName(c, depth)}: Σ w·x over ${fh * fw} products = ${sumText(s)}` }))));
  }
  if (depth > CHANNEL_TABLES && terms.products) parts.push(el("div", { class: "conv-note", text: `…and ${depth - CHANNEL_TABLES} more channels.` }));
  const sum = terms.dot ? `Σ w·x = ${dot}` : `Σ of the ${fh * fw * depth} products w·x`;
  parts.push(el("div", { class: "conv-sum" }, [`${sum},  + bias ${factor(bias)}  = `,
    el("strong", { class: "conv-result", testid: "conv-term-result", text: done ? value : "?" })]));
  if (resp.relu && done) {
    const [v, r] = fmtAll([resp.output[k][i][j], resp.relu[k][i][j]]);
    parts.push(el("div", { class: "conv-sum" }, [`ReLU: max(0, ${v}) = `, el("strong", { text: r })]));
  }
  host.replaceChildren(...parts);
}

/** Max pool on its own: the window's numbers and "max(...) = value" (value from the API). */
export function renderPoolTerms(host, resp, k, i, j, window, done) {
  const numbers = resp.output[k].slice(window.row, window.row + window.rows)
    .flatMap((row) => row.slice(window.col, window.col + window.cols));
  const texts = fmtAll([...numbers, resp.pool.output[k][i][j]]);
  const value = texts.pop();
  host.replaceChildren(
    el("div", { class: "conv-terms-head", text: `pooled [${k}, ${i}, ${j}]: the window at row ${window.row}, col ${window.col}, ${window.rows}×${window.cols}` }),
    el("div", { class: "conv-sum" }, [`max(${texts.join(", ")}) = `,
      el("strong", { class: "conv-result", testid: "conv-term-result", text: done ? value : "?" })]),
  );
}
