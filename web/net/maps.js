/**
 * Inside the network for one image (CNN Explainer's overview, plus the backward pass):
 * every layer's activation maps, the gradient of the image's loss arriving at each layer
 * drawn the same way, and the class probabilities. All numbers come from
 * POST /api/net/runs/{run}/inspect. Clicking a conv block's map opens the conv view on it;
 * clicking an FC unit opens the graph view on that unit's dot product.
 */
import { el } from "../lib/dom.js";
import { fmt } from "../lib/format.js";
import { extent, gridCanvas, vectorRows } from "./grid.js";

const VOLUME_CELL = 9;
const VECTOR_WIDTH = 32;

function isVolume(value) {
  return Array.isArray(value[0]) && Array.isArray(value[0][0]);
}

/** The conv layer a map belongs to: this one, or the conv that starts its block. */
function convFor(layers, i) {
  for (let j = i; j >= 0; j--) {
    if (layers[j].type === "conv") return j;
    if (layers[j].type === "flatten" || layers[j].type === "fc") return null;
  }
  return null;
}

function volumeMaps(value, i, kind, onClick) {
  const scale = extent(value);
  return value.map((channel, c) => {
    const canvas = gridCanvas(channel, VOLUME_CELL, {
      scale, testid: `layer-${kind === "grad" ? "grad" : "map"}-${i}-${c}`,
      title: `${kind === "grad" ? "gradient" : "map"} ${c + 1}`,
    });
    if (onClick) { canvas.classList.add("clickable"); canvas.addEventListener("click", onClick); }
    return canvas;
  });
}

function vectorMap(value, i, kind) {
  return [gridCanvas(vectorRows(value, VECTOR_WIDTH), VOLUME_CELL, {
    testid: `layer-${kind === "grad" ? "grad" : "map"}-${i}-0`,
    title: `${value.length} ${kind === "grad" ? "gradients" : "values"}`,
  })];
}

/** An FC layer's units as buttons with their values: one click opens the graph view. */
function unitButtons(value, i, onNeuron, grads) {
  return value.map((v, u) => el("button", {
    type: "button", class: "net-unit", testid: `neuron-${i}-${u}`,
    title: `unit ${u}: ${v}${grads ? `, gradient ${grads[u]}` : ""}; click to open its computation in the graph view`,
    on: { click: () => onNeuron(i, u) },
  }, [el("span", { class: "muted", text: String(u) }), el("span", { text: fmt(v) })]));
}

function probabilities(result) {
  const best = result.predicted;
  return el("div", { class: "net-probs", testid: "class-probabilities" }, result.probabilities.map((p, k) =>
    el("div", { class: `net-prob${k === best ? " best" : ""}`, testid: `prob-${k}` }, [
      el("span", { class: "net-prob-label", text: String(k) }),
      el("span", { class: "net-prob-bar" }, [el("span", { style: { width: `${(100 * p).toFixed(1)}%` } })]),
      el("span", { class: "net-prob-value", text: `${(100 * p).toFixed(1)}%` }),
    ])));
}

/** renderMaps(host, result, plan, {onConv(layer), onNeuron(layer, unit)}) */
export function renderMaps(host, result, plan, { onConv, onNeuron }) {
  const layers = plan.layers;
  const rows = [el("div", { class: "net-maps-row", testid: "net-maps-input" }, [
    el("div", { class: "net-maps-title" }, [el("b", { text: "input" }), el("span", { class: "muted", text: ` ${plan.input_text}` })]),
    el("div", { class: "net-maps-pair" }, [
      el("div", { class: "net-maps-cells" }, volumeMaps(result.input, "input", "map")),
      el("div", { class: "net-maps-cells" }, volumeMaps(result.grad_input, "input", "grad"))]),
  ])];
  result.layers.forEach((layer, i) => {
    const info = layers[i];
    const conv = convFor(layers, i);
    const open = conv === null ? null : () => onConv(conv);
    const last = i === result.layers.length - 1;
    let forward;
    if (isVolume(layer.output)) forward = volumeMaps(layer.output, i, "map", open);
    else if (layer.type === "fc" && layer.output.length <= 32) forward = unitButtons(layer.output, i, onNeuron, layer.grad);
    else forward = vectorMap(layer.output, i, "map");
    const backward = isVolume(layer.grad) ? volumeMaps(layer.grad, i, "grad", open) : vectorMap(layer.grad, i, "grad");
    rows.push(el("div", { class: "net-maps-row", testid: `net-maps-${i}` }, [
      el("div", { class: "net-maps-title" }, [el("b", { text: `${i + 1}. ${info.name}` }), el("span", { class: "muted", text: ` ${info.shape_text}` }),
        open ? el("span", { class: "muted hint", text: " · click a map: conv view" }) : null,
        last && layer.type === "fc" ? el("span", { class: "muted hint", text: " · click a unit: graph view" }) : null]),
      el("div", { class: "net-maps-pair" }, [
        el("div", { class: `net-maps-cells${layer.type === "fc" && !isVolume(layer.output) && layer.output.length <= 32 ? " units" : ""}` }, forward),
        el("div", { class: "net-maps-cells grads" }, backward)]),
    ]));
  });
  const verdict = result.label === null || result.label === undefined
    ? `the network reads it as a ${result.predicted}`
    : `a ${result.label}; the network reads a ${result.predicted}`;
  host.replaceChildren(
    el("p", { class: "net-maps-caption" }, [el("b", { text: result.source }), `: ${verdict}. Loss ${fmt(result.loss)} (cross-entropy against ${result.target}). `,
      el("span", { class: "muted", text: "Left: each layer's output; right: dL/d(that output), red positive, blue negative." })]),
    probabilities(result), ...rows);
}
