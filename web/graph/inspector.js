/**
 * The node inspector (click a node): its value and gradient side by side, as numbers for
 * scalars, tables for small tensors and heatmaps (the page's one heatmap, lib/heatmap.js)
 * for large ones; the copy-gate contributions; and for small elementwise gates the
 * implicit Jacobian the lecture draws (diag(1, 0, 1, 0)), from the backward step's "local".
 */
import { INSPECTOR } from "../config.js";
import { el } from "../lib/dom.js";
import { allIntegers, flatten, fmt, isScalar, shapeText, sizeOf, sumText } from "../lib/format.js";
import { renderHeatmaps } from "../lib/heatmap.js";
import { refName, jacobianText } from "./explain.js";
import { partsAt } from "./steps.js";

/** A 0-, 1- or 2-D value as rows of numbers (a vector is one row). */
function asRows(v) {
  if (!Array.isArray(v)) return [[v]];
  if (!Array.isArray(v[0])) return [v];
  return v;
}

function table(v, cls) {
  const ints = allIntegers(v);
  return el("table", { class: `tensor ${cls}` }, el("tbody", {}, asRows(v).map((row) =>
    el("tr", {}, row.map((x) => el("td", { text: fmt(x, ints) }))))));
}

/** 2-D slices of an n-D value: [{title, rows}] with leading indices flattened. */
function slices(v, shape) {
  if (shape.length <= 2) return [{ title: "", rows: asRows(v) }];
  const out = [];
  const walk = (x, idx) => {
    if (idx.length === shape.length - 2) out.push({ title: `[${idx.join(", ")}, :, :]`, rows: x });
    else x.forEach((sub, i) => walk(sub, idx.concat(i)));
  };
  walk(v, []);
  return out;
}

function scalarBlock(label, v, cls) {
  return el("div", { class: `scalar ${cls}` }, [el("span", { class: "what", text: label }),
    v == null ? el("span", { class: "muted", text: "not yet known at this step" })
      : el("span", { class: "number", text: fmt(v, allIntegers(v)) })]);
}

/** Value and gradient side by side, in the form their size calls for. */
function valueAndGrad(node, showValue, showGrad) {
  const value = showValue ? node.value : null;
  const grad = showGrad ? node.grad : null;
  if (!node.shape || !node.shape.length) {
    return el("div", { class: "pair" }, [scalarBlock("value", value, "val"), scalarBlock("gradient dL/d·", grad, "grad")]);
  }
  const size = sizeOf(node.shape);
  const big = size > INSPECTOR.tableMaxElements || node.shape.length > 2;
  const cell = (label, v, cls) => el("div", { class: `cell ${cls}` }, [el("div", { class: "what", text: label }),
    v == null ? el("div", { class: "muted", text: "not yet known at this step" })
      : big ? el("div", { class: "heatmap", dataset: { kind: cls } }) : table(v, cls)]);
  const pair = el("div", { class: big ? "stacked" : "pair" }, [cell("value", value, "val"), cell("gradient dL/d·", grad, "grad")]);
  if (big) pair.dataset.heatmaps = "pending";
  return pair;
}

function drawHeatmaps(pair, node, showValue, showGrad, sliceIndex) {
  for (const div of pair.querySelectorAll(".heatmap")) {
    const kind = div.dataset.kind;
    const v = kind === "val" ? (showValue ? node.value : null) : (showGrad ? node.grad : null);
    if (v == null) continue;
    const parts = slices(v, node.shape);
    const rows = parts[Math.min(sliceIndex, parts.length - 1)].rows;
    renderHeatmaps(div, [{ z: rows.map((r) => r.map((x) => (typeof x === "number" ? x : null))), title: "" }],
      { cols: 1, size: 300, width: div.clientWidth || 300, label: kind === "val" ? "value" : "gradient" });
  }
}

function gradParts(model, node) {
  if (!node.grad_parts || node.grad_parts.length < 2) return null;
  const items = node.grad_parts.map((p) => {
    const v = isScalar(p.value) ? fmt(p.value, allIntegers(p.value)) : `${shapeText(node.shape)} tensor`;
    return el("li", { text: `from ${refName(model.nodes.get(p.from))}: ${v}` });
  });
  const sum = sumText(partsAt(model, node, Infinity), node.grad);
  return el("section", { class: "parts" }, [el("h4", { text: `Used ${node.grad_parts.length} times: gradients add` }),
    el("ul", {}, items), sum ? el("p", { class: "sum-line", text: `copy gate: ${sum}` }) : null]);
}

/** The implicit Jacobians of this gate, as its backward step gives them ("local"). */
function jacobians(model, node) {
  if (node.kind !== "op") return null;
  const entry = model.steps.find((s) => s.kind === "backward" && s.node === node.id)?.entry;
  const rows = [];
  node.inputs.forEach((id, slot) => {
    const local = entry && entry.local ? entry.local[slot] : null;
    const jac = jacobianText(local);
    if (!jac) return;
    rows.push(el("p", { text: `d${refName(node)}/d${refName(model.nodes.get(id))} = ${jac}` }));
    if (Array.isArray(local) && flatten(local).length <= INSPECTOR.jacobianMaxElements ** 2) rows.push(table(local, "jac"));
  });
  if (!rows.length) return null;
  return el("section", { class: "jacobian" }, [el("h4", { text: "Jacobian (implicit: the engine never builds it)" }), ...rows]);
}

function extraData(node) {
  if (!node.data || typeof node.data !== "object") return null;
  const items = Object.entries(node.data).map(([k, v]) => el("li", { text: `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}` }));
  return el("section", { class: "data" }, [el("h4", { text: "Details" }), el("ul", {}, items)]);
}

export function createInspector(panel) {
  let current = null;  // {model, id, key}

  function empty() {
    panel.replaceChildren(el("p", { class: "muted", text: "Click a node of the graph to see its value and gradient." }));
    current = null;
  }

  /** Show node `id` as known at step s (values before their forward step stay hidden). */
  function show(model, id, s, { force = false } = {}) {
    const node = model.nodes.get(id);
    if (!node) return empty();
    const showValue = (model.valueStep.get(id) ?? Infinity) <= s;
    const showGrad = node.grad != null && (model.gradStep.get(id) ?? Infinity) <= s;
    const key = `${id}:${showValue}:${showGrad}`;
    if (!force && current && current.model === model && current.key === key) return;
    current = { model, id, key };
    const title = node.kind === "op" && !node.display && !node.name ? `gate ${node.label}` : refName(node);
    const kindText = node.kind === "op" ? `${node.op} gate “${node.label}”` : node.kind;
    const shape = node.shape && node.shape.length ? `shape ${shapeText(node.shape)}` : "scalar";
    const dtype = node.dtype ? ` · ${node.dtype}` : "";
    panel.replaceChildren(el("header", {}, [el("h3", { text: title }), el("span", { class: "muted", text: `${kindText} · ${shape}${dtype}` })]));
    panel.dataset.nodeId = id;
    const pair = valueAndGrad(node, showValue, showGrad);
    panel.append(pair);
    if (pair.dataset.heatmaps) {
      const count = node.shape.length > 2 ? sizeOf(node.shape.slice(0, -2)) : 1;
      if (count > 1) {
        const caption = el("span", { class: "muted", text: "slice 0" });
        const picker = el("input", { type: "range", min: 0, max: count - 1, value: 0, class: "slice", "aria-label": "leading index" });
        picker.addEventListener("input", () => {
          caption.textContent = `slice ${picker.value}`;
          drawHeatmaps(pair, node, showValue, showGrad, Number(picker.value));
        });
        panel.append(el("label", { class: "slice-picker" }, ["leading index ", picker, caption]));
      }
      if (window.Plotly) requestAnimationFrame(() => drawHeatmaps(pair, node, showValue, showGrad, 0));
    }
    for (const section of [gradParts(model, node), jacobians(model, node), extraData(node)]) {
      if (section) panel.append(section);
    }
  }

  empty();
  return { show, empty, nodeId: () => (current ? current.id : null) };
}
