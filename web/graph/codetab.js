/**
 * The code tab: the lecture's "flat" code for the current program, forward pass then
 * backward pass, as the API generates it (POST /api/graph with code: true), copyable.
 */

import { el, selectText } from "../lib/dom.js";

function block(title, text) {
  const pre = el("pre", { text, tabindex: 0, "aria-label": title });
  const copy = el("button", { type: "button", class: "small", text: "Copy", on: { click: () => {
    selectText(pre);
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(() => { copy.textContent = "Copied"; }, () => { copy.textContent = "Selected"; });
    }
  } } });
  return el("section", { class: "code-block" }, [el("header", {}, [el("h4", { text: title }), copy]), pre]);
}

/** Fill the tab from `load()`, which resolves to the trace with its "code" field. */
export async function showCode(panel, load) {
  panel.replaceChildren(el("p", { class: "muted", text: "Generating code…" }));
  try {
    const trace = await load();
    const code = trace.code || {};
    panel.replaceChildren(block("Forward pass", code.forward || ""), block("Backward pass", code.backward || ""));
  } catch (err) {
    panel.replaceChildren(el("p", { class: "error-message", text: err.message }));
  }
}
