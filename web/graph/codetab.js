/**
 * The code tab: the lecture's "flat" code for the current program, forward pass then
 * backward pass, as the API generates it (POST /api/graph with code: true), copyable.
 */

function block(title, text) {
  const box = document.createElement("section");
  box.className = "code-block";
  const head = document.createElement("header");
  const h = document.createElement("h4");
  h.textContent = title;
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "small";
  copy.textContent = "Copy";
  const pre = document.createElement("pre");
  pre.textContent = text;
  copy.addEventListener("click", () => {
    selectText(pre);
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(() => { copy.textContent = "Copied"; }, () => { copy.textContent = "Selected"; });
    }
  });
  head.append(h, copy);
  box.append(head, pre);
  return box;
}

function selectText(pre) {
  const range = document.createRange();
  range.selectNodeContents(pre);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}

/** Fill the tab from `load()`, which resolves to the trace with its "code" field. */
export async function showCode(panel, load) {
  panel.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "Generating code…" }));
  try {
    const trace = await load();
    const code = trace.code || {};
    panel.replaceChildren(block("Forward pass", code.forward || ""), block("Backward pass", code.backward || ""));
  } catch (err) {
    panel.replaceChildren(Object.assign(document.createElement("p"), { className: "error-message", textContent: err.message }));
  }
}
