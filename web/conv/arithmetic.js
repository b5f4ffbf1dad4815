/**
 * The arithmetic strip: the input volume, the output-size rule worked out with the
 * current numbers, the output volume (the lecture's width × height × depth) and the
 * parameter count, all as /api/conv words them ("arithmetic" fields). When the window
 * does not fit, the server's refusal is drawn: the window at each stride step along the
 * input, the last one hanging over the edge, so the 2.33 is seen; its nearest fitting
 * strides / pads are buttons.
 */
import { el, svgEl } from "../lib/dom.js";

function cell(label, ...body) {
  return el("div", { class: "arith-cell" }, [el("span", { class: "arith-key", text: label }), ...body]);
}

function formula(name, text) {
  return el("div", { class: "arith-formula" }, [el("span", { class: "arith-name", text: name }), el("code", { text })]);
}

/** The windows of a misfit along one axis, the last one hanging over the edge (geometry from the API). */
function misfitDrawing(geo, label) {
  const alongCols = geo.overhang[1] > 0 || geo.overhang[0] === 0;
  const [rows, cols] = geo.padded;
  const starts = alongCols ? geo.cols : geo.rows;
  const over = alongCols ? geo.overhang[1] : geo.overhang[0];
  const [fh, fw] = geo.size;
  const cellPx = Math.max(10, Math.min(26, Math.floor(230 / (Math.max(rows, cols) + over))));
  const width = (cols + (alongCols ? over : 0)) * cellPx + 2;
  const height = (rows + (alongCols ? 0 : over)) * cellPx + 2;
  const svg = svgEl("svg", { class: "misfit", width, height, viewBox: `-1 -1 ${width} ${height}`, role: "img", "aria-label": label });
  svg.dataset.testid = "conv-misfit";
  svg.dataset.overhang = String(over);
  svg.dataset.starts = starts.join(",");
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const padded = r < geo.pad[0] || r >= rows - geo.pad[0] || c < geo.pad[1] || c >= cols - geo.pad[1];
      svgEl("rect", { x: c * cellPx, y: r * cellPx, width: cellPx, height: cellPx, class: padded ? "misfit-pad" : "misfit-cell" }, svg);
    }
  }
  starts.forEach((start, n) => {
    const hang = n === starts.length - 1 && over > 0;
    const x = (alongCols ? start : 0) * cellPx;
    const y = (alongCols ? 0 : start) * cellPx;
    const w = fw * cellPx;
    const h = fh * cellPx;
    if (hang) {
      const ox = alongCols ? cols * cellPx : 0;
      const oy = alongCols ? 0 : rows * cellPx;
      svgEl("rect", { x: ox, y: oy, width: alongCols ? over * cellPx : w, height: alongCols ? h : over * cellPx, class: "misfit-over" }, svg);
    }
    svgEl("rect", { x: x + 1, y: y + 1, width: w - 2, height: h - 2, rx: 3, class: hang ? "misfit-window hang" : "misfit-window" }, svg);
  });
  return svg;
}

export function createArithmeticPanel(host, { onSuggest }) {
  const inputValue = el("span", { class: "arith-value" });
  const inputNote = el("small", { class: "muted" });
  const formulas = el("div", { class: "arith-formulas" });
  const shape = el("span", { testid: "conv-output-shape", class: "arith-value conv-big" });
  const shapeKey = el("span", { class: "arith-key", text: "Output volume" });
  const params = el("span", { testid: "conv-params", class: "arith-value conv-big" });
  const paramsText = el("small", { class: "muted conv-params-text" });
  const pool = el("div", { class: "arith-cell conv-pool-arith" });
  const rule = el("div", { class: "conv-rule" });
  const error = el("div", { testid: "conv-error", class: "conv-error", role: "alert", hidden: true });
  const message = el("div", { testid: "conv-message", class: "conv-message", role: "status", hidden: true });
  host.append(
    el("div", { class: "arith-row" }, [
      cell("Input volume", inputValue, inputNote),
      el("div", { class: "arith-cell arith-wide" }, [el("span", { class: "arith-key", text: "Output size" }), formulas]),
      el("div", { class: "arith-cell" }, [shapeKey, shape]),
      cell("Parameters", params, paramsText),
      pool,
    ]),
    rule, error, message,
  );

  /** Fill the strip from a successful /api/conv answer. */
  function render(resp) {
    error.hidden = true;
    message.hidden = true;
    const a = resp.arithmetic;
    const [depth, height, width] = resp.input_shape;
    inputValue.textContent = a ? a.input_text : `${width}×${height}×${depth}`;
    inputNote.textContent = a ? a.input_note : "";
    shape.textContent = resp.shape_text;
    rule.hidden = !a;
    rule.textContent = a ? `${a.rule}; ${a.per_filter_text}` : "";
    if (a) {
      shapeKey.textContent = "Output volume";
      shapeKey.title = "width × height × depth, the lecture's order";
      formulas.replaceChildren(formula("W2 =", a.width), formula("H2 =", a.height));
      params.textContent = String(resp.params.total);
      paramsText.textContent = a.params_text;
      paramsText.title = a.per_filter_text;
    } else {
      shapeKey.textContent = "Volume into the pool";
      formulas.replaceChildren(el("span", { class: "conv-note", text: "No conv layer: the max pool works on the input itself." }));
      params.textContent = "0";
      paramsText.textContent = "pooling has no parameters";
    }
    pool.hidden = !resp.pool;
    if (resp.pool) {
      const pa = resp.pool.arithmetic;
      pool.replaceChildren(el("span", { class: "arith-key", text: "After max pool" }),
        el("span", { testid: "conv-pool-shape", class: "arith-value conv-big", text: resp.pool.shape_text }),
        formula("W3 =", pa.width));
      pool.title = pa.rule;
    }
  }

  /** Show a 422: "does not fit" with its picture and suggestions, or any other message. */
  function renderError(err) {
    const detail = Array.isArray(err.detail) ? err.detail[0] : null;
    shape.textContent = "—";
    params.textContent = "—";
    paramsText.textContent = "";
    formulas.replaceChildren();
    pool.hidden = true;
    if (detail && detail.type === "shape" && detail.formula) {
      message.hidden = true;
      const pooling = detail.stage === "pool";
      error.replaceChildren(
        el("div", { class: "misfit-text" }, [
          el("strong", { text: `${pooling ? "The max pool does" : "The filter does"} not fit: ` }),
          el("code", { text: detail.formula }),
          el("p", { text: detail.msg }),
          detail.why ? el("p", { class: "misfit-why", text: detail.why }) : null,
          suggestionsOf(detail.suggestions || [], pooling),
        ]),
        detail.geometry ? misfitDrawing(detail.geometry, detail.why || detail.msg) : null,
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
    if (!list.length) return el("div", { text: "No stride or pad nearby fits." });
    const label = (s) => (pooling ? `pool stride ${s.stride} → ${s.output}` : `stride ${s.stride}, pad ${s.pad} → ${s.output}`);
    const patch = (s) => (pooling ? { poolStride: s.stride } : { stride: s.stride, pad: s.pad });
    return el("div", { class: "conv-suggest" }, [el("span", { text: "These fit:" }), ...list.map((s) => el("button", {
      type: "button", class: "small", testid: "conv-suggestion", text: label(s), on: { click: () => onSuggest(patch(s)) },
    }))]);
  }

  /** A message that leaves the layer as it is (e.g. an upload that is not a picture). */
  function showMessage(text) {
    message.textContent = text;
    message.hidden = false;
  }

  return { render, renderError, showMessage };
}
