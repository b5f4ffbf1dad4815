/**
 * The node inspector (click a node): its value and gradient side by side, as numbers for
 * scalars, tables for small tensors and Plotly heatmaps for large ones; the copy-gate
 * contributions; for small elementwise gates the implicit Jacobian the lecture draws
 * (diag(1, 0, 1, 0)); and the memory an explicit Jacobian would take at this size.
 */
import { INSPECTOR } from "../config.js";
import { allIntegers, bytesText, flatten, fmt, isScalar, shapeText, sizeOf, sumText } from "./format.js";
import { refName, jacobianText } from "./explain.js";
import { partsAt } from "./steps.js";

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children.filter((c) => c != null));
  return e;
}

/** A 0-, 1- or 2-D value as rows of numbers (a vector is one row). */
function asRows(v) {
  if (!Array.isArray(v)) return [[v]];
  if (!Array.isArray(v[0])) return [v];
  return v;
}

function table(v, cls) {
  const ints = allIntegers(v);
  const body = asRows(v).map((row) => h("tr", {}, ...row.map((x) => h("td", {}, fmt(x, ints)))));
  return h("table", { class: `tensor ${cls}` }, h("tbody", {}, ...body));
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

function plotRows(rows) {
  return rows.map((r) => r.map((x) => (typeof x === "number" ? x : null)));
}

function heatmap(div, rows, kind) {
  const gradient = kind === "grad";
  const width = Math.max(140, div.clientWidth || 150);
  const aspect = rows.length / Math.max(1, rows[0].length);
  const trace = {
    z: plotRows(rows), type: "heatmap", showscale: true,
    colorscale: gradient ? "RdBu" : "Greens", reversescale: !gradient,
    zmid: gradient ? 0 : undefined, hovertemplate: "row %{y}, col %{x}: %{z:.4g}<extra></extra>",
    colorbar: { thickness: 8, len: 0.9, outlinewidth: 0, tickfont: { size: 9 } },
  };
  const layout = {
    margin: { l: 24, r: 4, t: 4, b: 20 }, width,
    height: Math.min(320, Math.max(90, (width - 60) * aspect + 30)),
    yaxis: { autorange: "reversed", tickfont: { size: 9 } }, xaxis: { tickfont: { size: 9 } },
    paper_bgcolor: "rgba(0,0,0,0)",
  };
  window.Plotly.newPlot(div, [trace], layout, { displayModeBar: false, staticPlot: false });
}

function scalarBlock(label, v, cls) {
  return h("div", { class: `scalar ${cls}` }, h("span", { class: "what" }, label),
    v == null ? h("span", { class: "muted" }, "not yet known at this step")
      : h("span", { class: "number" }, fmt(v, allIntegers(v))));
}

/** Value and gradient side by side, in the form their size calls for. */
function valueAndGrad(node, showValue, showGrad) {
  const value = showValue ? node.value : null;
  const grad = showGrad ? node.grad : null;
  if (!node.shape || !node.shape.length) {
    return h("div", { class: "pair" }, scalarBlock("value", value, "val"), scalarBlock("gradient dL/d·", grad, "grad"));
  }
  const size = sizeOf(node.shape);
  const cell = (label, v, cls) => {
    const box = h("div", { class: `cell ${cls}` }, h("div", { class: "what" }, label));
    if (v == null) box.append(h("div", { class: "muted" }, "not yet known at this step"));
    else if (size <= INSPECTOR.tableMaxElements && node.shape.length <= 2) box.append(table(v, cls));
    else box.append(h("div", { class: "heatmap", "data-kind": cls }));
    return box;
  };
  const pair = h("div", { class: "pair" }, cell("value", value, "val"), cell("gradient dL/d·", grad, "grad"));
  if (size > INSPECTOR.tableMaxElements || node.shape.length > 2) pair.dataset.heatmaps = "pending";
  return pair;
}

function drawHeatmaps(pair, node, showValue, showGrad, sliceIndex) {
  const cells = pair.querySelectorAll(".heatmap");
  for (const div of cells) {
    const kind = div.dataset.kind;
    const v = kind === "val" ? (showValue ? node.value : null) : (showGrad ? node.grad : null);
    if (v == null) continue;
    const parts = slices(v, node.shape);
    heatmap(div, parts[Math.min(sliceIndex, parts.length - 1)].rows, kind);
  }
}

function gradParts(model, node) {
  if (!node.grad_parts || node.grad_parts.length < 2) return null;
  const items = node.grad_parts.map((p) => {
    const from = model.nodes.get(p.from);
    const v = isScalar(p.value) ? fmt(p.value, allIntegers(p.value)) : `${shapeText(node.shape)} tensor`;
    return h("li", {}, `from ${refName(from)}: ${v}`);
  });
  const sum = sumText(partsAt(model, node, Infinity), node.grad);
  const total = sum ? h("p", { class: "sum-line" }, `copy gate: ${sum}`) : null;
  return h("section", { class: "parts" }, h("h4", {}, `Used ${node.grad_parts.length} times: gradients add`), h("ul", {}, ...items), total);
}

/** The implicit Jacobians of this gate (from its backward step) and the cost of explicit ones. */
function jacobians(model, node) {
  if (node.kind !== "op") return null;
  const entry = model.steps.find((s) => s.kind === "backward" && s.node === node.id)?.entry;
  const outSize = sizeOf(node.shape);
  const rows = [];
  node.inputs.forEach((id, slot) => {
    const input = model.nodes.get(id);
    const inSize = sizeOf(input.shape);
    const local = entry && entry.local ? entry.local[slot] : null;
    const jac = jacobianText(local);
    if (jac) {
      rows.push(h("p", {}, `d${refName(node)}/d${refName(input)} = ${jac}`));
      if (Array.isArray(local) && flatten(local).length <= INSPECTOR.jacobianMaxElements * INSPECTOR.jacobianMaxElements) {
        rows.push(table(local, "jac"));
      }
    }
    if (outSize > 1 || inSize > 1) {
      const bytes = outSize * inSize * INSPECTOR.bytesPerNumber;
      rows.push(h("p", { class: "memory" },
        `An explicit Jacobian d${refName(node)}/d${refName(input)} would hold ${outSize} × ${inSize} = ` +
        `${(outSize * inSize).toLocaleString("en")} numbers = ${bytesText(bytes)} (float64); the engine multiplies implicitly.`));
    }
  });
  if (!rows.length) return null;
  return h("section", { class: "jacobian" }, h("h4", {}, "Jacobian"), ...rows);
}

function extraData(node) {
  if (!node.data || typeof node.data !== "object") return null;
  const items = Object.entries(node.data).map(([k, v]) =>
    h("li", {}, `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`));
  return h("section", { class: "data" }, h("h4", {}, "Details"), h("ul", {}, ...items));
}

export function createInspector(panel) {
  let current = null;  // {model, id, key}

  function empty() {
    panel.replaceChildren(h("p", { class: "muted" }, "Click a node of the graph to see its value and gradient."));
    current = null;
  }

  /** Show node `id` as known at step s (values before their forward step stay hidden). */
  function show(model, id, s) {
    const node = model.nodes.get(id);
    if (!node) return empty();
    const showValue = (model.valueStep.get(id) ?? Infinity) <= s;
    const showGrad = node.grad != null && (model.gradStep.get(id) ?? Infinity) <= s;
    const key = `${id}:${showValue}:${showGrad}`;
    if (current && current.model === model && current.key === key) return;
    current = { model, id, key };
    const title = node.name ? `${node.name}` : node.kind === "op" ? `gate ${node.label}` : refName(node);
    const kindText = node.kind === "op" ? `${node.op} gate “${node.label}”` : node.kind;
    const shape = node.shape && node.shape.length ? `shape ${shapeText(node.shape)}` : "scalar";
    panel.replaceChildren(
      h("header", {}, h("h3", {}, title), h("span", { class: "muted" }, `${kindText} · ${shape}`)),
    );
    panel.dataset.nodeId = id;
    const pair = valueAndGrad(node, showValue, showGrad);
    panel.append(pair);
    let sliceIndex = 0;
    if (pair.dataset.heatmaps) {
      const count = node.shape.length > 2 ? sizeOf(node.shape.slice(0, -2)) : 1;
      if (count > 1) {
        const picker = h("input", { type: "range", min: 0, max: count - 1, value: 0, className: "slice" });
        const caption = h("span", { class: "muted" }, "slice 0");
        picker.addEventListener("input", () => {
          sliceIndex = Number(picker.value);
          caption.textContent = `slice ${sliceIndex}`;
          drawHeatmaps(pair, node, showValue, showGrad, sliceIndex);
        });
        panel.append(h("label", { class: "slice-picker" }, "leading index ", picker, caption));
      }
      if (window.Plotly) drawHeatmaps(pair, node, showValue, showGrad, sliceIndex);
    }
    for (const section of [gradParts(model, node), jacobians(model, node), extraData(node)]) {
      if (section) panel.append(section);
    }
  }

  empty();
  return { show, empty, nodeId: () => (current ? current.id : null) };
}
