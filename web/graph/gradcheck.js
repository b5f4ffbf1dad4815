/**
 * The gradient-check tab: for every input, the analytic gradient of the backward pass next
 * to the numeric one from centred differences, and their relative error, as the API
 * reports them (POST /api/graph with gradcheck: true).
 */
import { flatten, fmt } from "./format.js";

function cell(text, cls = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

/** A gradient as short text: the number, or the first few entries of a tensor. */
function brief(v) {
  const flat = flatten(v);
  if (!Array.isArray(v)) return fmt(v);
  const head = flat.slice(0, 4).map((x) => fmt(x)).join(", ");
  return `[${head}${flat.length > 4 ? `, … (${flat.length})` : ""}]`;
}

function relError(v) {
  return typeof v === "number" ? v.toExponential(1) : String(v);
}

function render(panel, check) {
  const table = document.createElement("table");
  table.className = "gradcheck";
  const head = document.createElement("tr");
  for (const t of ["input", "analytic", "numeric", "rel. error"]) {
    const th = document.createElement("th");
    th.textContent = t;
    head.append(th);
  }
  table.append(head);
  for (const [name, r] of Object.entries(check.inputs || {})) {
    const row = document.createElement("tr");
    row.dataset.input = name;
    const ok = typeof r.rel_error === "number" && r.rel_error < 1e-5;
    row.append(cell(name), cell(brief(r.analytic), "grad"), cell(brief(r.numeric)), cell(relError(r.rel_error), ok ? "ok" : "bad"));
    table.append(row);
  }
  const verdict = document.createElement("p");
  verdict.className = check.passed ? "verdict ok" : "verdict bad";
  verdict.dataset.testid = "gradcheck-verdict";
  verdict.textContent = `${check.passed ? "passed" : "failed"}: largest relative error ${relError(check.max_rel_error)} (step h = ${check.h})`;
  const note = document.createElement("p");
  note.className = "muted";
  note.textContent = "numeric: (f(x + h) − f(x − h)) / 2h for each element, computed by the server.";
  panel.replaceChildren(verdict, table, note);
}

/** Fill the tab from `load()`, which resolves to the trace with its "gradcheck" field. */
export async function showGradcheck(panel, load) {
  panel.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "Checking gradients…" }));
  try {
    const trace = await load();
    if (!trace.gradcheck) throw new Error("the server sent no gradient check");
    render(panel, trace.gradcheck);
  } catch (err) {
    panel.replaceChildren(Object.assign(document.createElement("p"), { className: "error-message", textContent: err.message }));
  }
}
