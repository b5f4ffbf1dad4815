/**
 * The gradient-check tab: for every input, the analytic gradient of the backward pass next
 * to the numeric one from centred differences, their relative error and the verdict, all
 * as the API reports them (POST /api/graph with gradcheck: true): the threshold and every
 * pass or fail are the server's fields.
 */
import { el } from "../lib/dom.js";
import { flatten, fmt } from "../lib/format.js";

/** A gradient as short text: the number, or the first few entries of a tensor. */
function brief(v) {
  if (!Array.isArray(v)) return fmt(v);
  const flat = flatten(v);
  return `[${flat.slice(0, 4).map((x) => fmt(x)).join(", ")}${flat.length > 4 ? `, … (${flat.length})` : ""}]`;
}

function sci(v) {
  return typeof v === "number" ? v.toExponential(1) : String(v);
}

function verdictClass(passed) {
  return passed === true ? "ok" : passed === false ? "bad" : "";
}

function render(panel, check) {
  const rows = Object.entries(check.inputs || {}).map(([name, r]) => el("tr", { dataset: { input: name } }, [
    el("td", { text: name }), el("td", { class: "grad", text: brief(r.analytic) }), el("td", { text: brief(r.numeric) }),
    el("td", { class: verdictClass(r.passed), text: `${sci(r.rel_error)}${r.passed === false ? " ✗" : r.passed ? " ✓" : ""}` }),
  ]));
  const table = el("table", { class: "gradcheck" }, [
    el("thead", {}, el("tr", {}, ["input", "analytic", "numeric", "rel. error"].map((t) => el("th", { scope: "col", text: t })))),
    el("tbody", {}, rows),
  ]);
  const word = check.passed ? "passed" : check.passed === false ? "failed" : "not run";
  const verdict = el("p", { class: `verdict ${verdictClass(check.passed)}`, testid: "gradcheck-verdict",
    text: check.skipped ? `${word}: ${check.skipped}`
      : `${word}: largest relative error ${sci(check.max_rel_error)}, threshold ${sci(check.threshold)} (step h = ${check.h})` });
  const note = el("p", { class: "muted", text: "numeric: (f(x + h) − f(x − h)) / 2h for each element, computed by the server." });
  panel.replaceChildren(verdict, table, note);
}

/** Fill the tab from `load()`, which resolves to the trace with its "gradcheck" field. */
export async function showGradcheck(panel, load) {
  panel.replaceChildren(el("p", { class: "muted", text: "Checking gradients…" }));
  try {
    const trace = await load();
    if (!trace.gradcheck) throw new Error("the server sent no gradient check");
    render(panel, trace.gradcheck);
  } catch (err) {
    panel.replaceChildren(el("p", { class: "error-message", text: err.message }));
  }
}
