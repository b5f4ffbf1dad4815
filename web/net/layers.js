/**
 * The network as a column of layers: each with its output volume (W × H × D) and its
 * parameter count from POST /api/net/plan; layers can be added, removed and changed.
 * A stack that does not fit shows the server's explanation at the layer that breaks it.
 */
import { postJSON } from "../api.js";
import { el } from "../lib/dom.js";

/** The settings each layer type takes, with the bounds of their inputs. */
const FIELDS = {
  conv: { filters: [1, 32], size: [1, 8], stride: [1, 4], pad: [0, 4] },
  relu: {},
  maxpool: { size: [1, 8], stride: [1, 8] },
  flatten: {},
  fc: { units: [1, 256] },
  softmax_ce: {},
};
const DEFAULTS = {
  conv: { type: "conv", filters: 8, size: 3, stride: 1, pad: 1 },
  relu: { type: "relu" },
  maxpool: { type: "maxpool", size: 2, stride: 2 },
  flatten: { type: "flatten" },
  fc: { type: "fc", units: 10 },
};
const LABELS = { conv: "conv", relu: "ReLU", maxpool: "max pool", flatten: "flatten", fc: "FC", softmax_ce: "softmax + CE" };

export const DEFAULT_NETWORK = [
  { type: "conv", filters: 8, size: 3, stride: 1, pad: 1 }, { type: "relu" },
  { type: "maxpool", size: 2, stride: 2 }, { type: "flatten" }, { type: "fc", units: 10 },
  { type: "softmax_ce" },
];

/**
 * createLayerColumn(host, {onChange(network, plan)}): returns {network(), plan()}.
 * onChange runs after every edit, with the new stack and its plan (plan.fits false when it
 * does not fit). Clicking a layer marks where "Add layer" inserts (before it); otherwise
 * new layers go just before the loss, which always ends the stack.
 */
export function createLayerColumn(host, { onChange }) {
  let network = DEFAULT_NETWORK.map((l) => ({ ...l }));
  let plan = null;
  let request = 0;
  const list = el("ol", { class: "net-layers", testid: "net-layers" });
  const total = el("p", { class: "net-total muted", testid: "net-parameters" });
  const error = el("div", { class: "net-error", testid: "net-plan-error", role: "alert", hidden: true });
  const addType = el("select", { testid: "net-add-type", "aria-label": "layer type to add" },
    Object.keys(DEFAULTS).map((t) => el("option", { value: t, text: LABELS[t] })));
  const addButton = el("button", { type: "button", testid: "net-add-layer", text: "Add layer", on: { click: add } });
  host.append(el("h3", { text: "Network" }), list, error, total,
    el("div", { class: "net-add" }, [addType, addButton]));

  let selected = null;   // a new layer goes before this one (by default, before the loss)

  function add() {
    const last = Math.max(0, network.length - 1);
    const at = selected === null ? last : Math.min(selected, last);
    network.splice(at, 0, { ...DEFAULTS[addType.value] });
    selected = null;
    refresh();
  }

  function field(i, key, layer) {
    const [lo, hi] = FIELDS[layer.type][key];
    const input = el("input", { type: "number", min: lo, max: hi, step: 1, value: layer[key], testid: `net-layer-${i}-${key}`, "aria-label": key });
    input.addEventListener("change", () => {
      const n = Math.round(Number(input.value));
      network[i] = { ...network[i], [key]: Math.min(hi, Math.max(lo, Number.isFinite(n) ? n : lo)) };
      refresh();
    });
    return el("label", { class: "net-field" }, [key, input]);
  }

  function row(layer, i, info, broken) {
    const fields = Object.keys(FIELDS[layer.type]).map((key) => field(i, key, layer));
    const remove = layer.type === "softmax_ce" ? null : el("button", {
      type: "button", class: "small", title: "remove this layer", "aria-label": "remove layer", testid: `net-layer-${i}-remove`,
      text: "×", on: { click: () => { network.splice(i, 1); selected = null; refresh(); } },
    });
    const shape = info ? el("span", { class: "net-shape", testid: `net-layer-${i}-shape`, text: info.shape_text }) : null;
    const params = info && info.parameters.total ? el("span", { class: "net-params muted", title: info.parameter_formula || "", text: `${info.parameters.total.toLocaleString("en")} params` }) : null;
    const formula = info && info.formula ? el("div", { class: "net-formula muted", text: info.formula.width }) : null;
    const item = el("li", { class: `net-layer net-${layer.type}${broken ? " broken" : ""}`, testid: `net-layer-${i}` }, [
      el("div", { class: "net-layer-head" }, [el("b", { text: LABELS[layer.type] }), shape, params, remove]),
      fields.length ? el("div", { class: "net-fields" }, fields) : null, formula]);
    if (i === selected) item.classList.add("selected");
    item.title = "click to add new layers before this one";
    item.addEventListener("click", (ev) => {
      if (ev.target.closest("input, button")) return;
      selected = selected === i ? null : i;
      render();
    });
    return item;
  }

  function render() {
    const layers = plan ? plan.layers : [];
    const broken = plan && plan.error && Number.isInteger(plan.error.layer) ? plan.error.layer : -1;
    list.replaceChildren(el("li", { class: "net-layer net-input" }, [el("b", { text: "input" }), el("span", { class: "net-shape", text: plan ? plan.input_text : "8×8×1" })]),
      ...network.map((layer, i) => row(layer, i, layers[i], i === broken)));
    error.hidden = !(plan && plan.error);
    if (plan && plan.error) {
      const tips = (plan.error.suggestions || []).map((s) => `stride ${s.stride}, pad ${s.pad} → ${Array.isArray(s.output) ? s.output.join("×") : s.output}`);
      error.replaceChildren(el("div", { text: plan.error.msg }), tips.length ? el("div", { class: "muted", text: `fits with: ${tips.join("; ")}` }) : null);
    }
    total.textContent = plan && plan.fits ? `${plan.parameters.toLocaleString("en")} parameters in all` : "";
  }

  async function refresh() {
    const id = ++request;
    render();
    try {
      plan = await postJSON("/api/net/plan", { network });
    } catch (err) {
      plan = { fits: false, layers: [], parameters: 0, input_text: "8×8×1", error: { msg: err.message } };
    }
    if (id !== request) return;
    render();
    onChange(network.map((l) => ({ ...l })), plan);
  }

  refresh();
  return {
    network: () => network.map((l) => ({ ...l })),
    plan: () => plan,
  };
}
