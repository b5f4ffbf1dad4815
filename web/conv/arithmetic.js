/**
 * The arithmetic panel: the output-size formula worked out with the current numbers, the
 * output shape in the lecture's order (width × height × depth) and the parameter count.
 * When the filter does not fit, it says so with the server's number (2.33) and offers the
 * nearest stride/pad pairs that fit, as buttons. Every number shown comes from /api/conv.
 */
import { el, fmt } from "./dom.js";

export function createArithmeticPanel(host, { onSuggest }) {
  const formulas = el("div", { class: "conv-formulas" });
  const shape = el("span", { testid: "conv-output-shape", class: "conv-big" });
  const params = el("span", { testid: "conv-params", class: "conv-big" });
  const paramsText = el("span", { class: "conv-params-text" });
  const pool = el("div", { class: "conv-pool-arith" });
  const rule = el("div", { class: "conv-rule", text: "W2 = (W1 − F + 2P)/S + 1,  H2 = (H1 − F + 2P)/S + 1,  depth K" });
  const shapeLabel = el("span", { text: "Output volume (width × height × depth): " });
  const error = el("div", { testid: "conv-error", class: "conv-error", role: "alert", hidden: true });
  const message = el("div", { testid: "conv-message", class: "conv-message", role: "alert", hidden: true });
  host.append(
    el("h3", { text: "Output size and parameters" }),
    rule,
    formulas,
    el("div", { class: "conv-shape-line" }, [shapeLabel, shape]),
    el("div", { class: "conv-shape-line" }, ["Parameters: ", params, " ", paramsText]),
    pool, error, message,
  );

  function formulaLine(name, text) {
    return el("div", { class: "conv-formula" }, [el("span", { class: "conv-formula-name", text: name }), el("code", { text })]);
  }

  /** Fill the panel from a successful /api/conv answer. */
  function render(resp) {
    error.hidden = true;
    message.hidden = true;
    const [depth, height, width] = resp.input_shape;
    const [k] = resp.output_shape;
    const conv = resp.params.total > 0 || resp.weights.length > 0;
    rule.hidden = !conv;
    shapeLabel.textContent = conv ? "Output volume (width × height × depth): " : "Volume going into the pool (width × height × depth): ";
    formulas.replaceChildren(
      el("div", { class: "conv-input-line", text: `Input W1 × H1 × C = ${width}×${height}×${depth}  (the API writes (C, H, W) = (${depth}, ${height}, ${width}))` }),
    );
    if (conv) {
      formulas.append(formulaLine("W2 =", resp.formula.width), formulaLine("H2 =", resp.formula.height));
      shape.textContent = resp.shape_text;
      const [f1, f2] = resp.size;
      const p = resp.params;
      params.textContent = String(p.total);
      paramsText.textContent = `= F·F·C·K + K = ${f1}·${f2}·${depth}·${k} + ${k} = ${p.weights} weights + ${p.biases} biases`
        + `  (each filter ${f1}·${f2}·${depth} + 1 = ${p.per_filter})`;
    } else {
      formulas.append(el("div", { class: "conv-note", text: "No conv layer here: the max pool works on the input itself." }));
      shape.textContent = resp.shape_text;
      params.textContent = "0";
      paramsText.textContent = "(pooling has no parameters)";
    }
    pool.replaceChildren();
    if (resp.pool) {
      const pw = resp.pool.formula.width ?? "";
      const ph = resp.pool.formula.height ?? "";
      pool.append(
        el("div", { class: "conv-rule", text: "Max pool: W3 = (W2 − F)/S + 1, no parameters, each depth slice on its own" }),
        formulaLine("W3 =", pw), formulaLine("H3 =", ph),
        el("div", { class: "conv-shape-line" }, ["After pooling: ", el("span", { testid: "conv-pool-shape", class: "conv-big", text: resp.pool.shape_text })]),
      );
    }
  }

  /** Show a 422: "does not fit" with its formula and suggestions, or any other message. */
  function renderError(err) {
    const detail = Array.isArray(err.detail) ? err.detail[0] : null;
    shape.textContent = "—";
    params.textContent = "—";
    paramsText.textContent = "";
    formulas.replaceChildren();
    pool.replaceChildren();
    if (detail && detail.type === "shape" && detail.formula) {
      message.hidden = true;
      const pooling = /^maxpool/.test(detail.msg);
      const why = detail.value < 1
        ? "The window is bigger than the (padded) input."
        : "An output size must be a whole number, or the window would hang over the edge.";
      error.replaceChildren(
        el("strong", { text: `${pooling ? "The max pool does" : "Does"} not fit (${fmt(detail.value, 2)}): ` }),
        el("code", { text: detail.formula }),
        el("div", { text: `${detail.msg}. ${why}` }),
        suggestionsOf(detail.suggestions || [], pooling),
      );
      error.hidden = false;
      return;
    }
    error.hidden = true;
    message.textContent = detail ? detail.msg : err.message;
    message.hidden = false;
  }

  /** Buttons for the server's nearest fitting settings (pool: its stride; conv: stride, pad). */
  function suggestionsOf(list, pooling) {
    if (!list.length) return el("div", { text: "No stride/pad nearby fits." });
    const label = (s) => (pooling ? `pool stride ${s.stride} → ${s.output}` : `stride ${s.stride}, pad ${s.pad} → ${s.output}`);
    const patch = (s) => (pooling ? { poolStride: s.stride } : { stride: s.stride, pad: s.pad });
    return el("div", { class: "conv-suggest" }, ["These fit: ", ...list.map((s) => el("button", {
      type: "button", class: "conv-btn", testid: "conv-suggestion", text: label(s),
      on: { click: () => onSuggest(patch(s)) },
    }))]);
  }

  /** A message that leaves the layer as it is (e.g. an upload that is not a picture). */
  function showMessage(text) {
    message.textContent = text;
    message.hidden = false;
  }

  return { render, renderError, showMessage };
}
