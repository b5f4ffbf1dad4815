/**
 * The conv view's controls: lecture presets, the layer's numbers (each an <input
 * type=number> with a slider beside it), ReLU and pooling switches, the input picture or an
 * upload, filter presets and the upstream gradient. Controls only report what the student
 * chose (onChange(patch)); the view decides what to fetch.
 */
import { el } from "../lib/dom.js";
import { NUMBERS, clampNumber } from "./state.js";
import { PICTURES } from "./images.js";
import { FILTER_PRESETS } from "./filters.js";

/** [state name, test id, label, title] of every numeric control, in panel order. */
const NUMBER_CONTROLS = [
  ["height", "conv-input-size", "input size", "side of the square input (H = W); W1 in the formula"],
  ["width", "conv-input-width", "width W", "width W1 when the input is not square"],
  ["depth", "conv-depth", "depth C", "channels of the input (3 for an RGB image)"],
  ["filters", "conv-filters", "filters K", "number of filters = depth of the output"],
  ["size", "conv-filter-size", "filter size F", "each filter is F×F×C"],
  ["stride", "conv-stride", "stride S", "how many cells the window moves per step"],
  ["pad", "conv-pad", "pad P", "zero padding around the input"],
  ["poolSize", "conv-pool-size", "pool size", "max-pool window side"],
  ["poolStride", "conv-pool-stride", "pool stride", "max-pool stride"],
  ["seed", "conv-seed", "seed", "seed of the random input, weights and upstream"],
];

/** Sliders stop at a smaller maximum than the typed number, so small values stay easy to pick. */
const SLIDER_MAX = { height: 40, width: 40, depth: 8, filters: 16, seed: 50 };

function numberControl(name, testid, label, title, onChange) {
  const spec = NUMBERS[name];
  const number = el("input", { type: "number", testid, min: spec.min, max: spec.max, step: 1, value: spec.value, title });
  const slider = el("input", { type: "range", min: spec.min, max: SLIDER_MAX[name] ?? spec.max, step: 1, value: spec.value,
    tabindex: -1, "aria-label": `${label} (slider)`, testid: `${testid}-slider` });
  number.addEventListener("input", () => {
    if (number.value === "" || !number.checkValidity()) return;  // wait until the text is a number in range
    slider.value = number.value;
    onChange({ [name]: clampNumber(name, number.value) });
  });
  number.addEventListener("change", () => {
    const value = clampNumber(name, number.value);
    number.value = value;
    onChange({ [name]: value });
  });
  slider.addEventListener("input", () => {
    number.value = slider.value;
    onChange({ [name]: clampNumber(name, slider.value) });
  });
  number.setAttribute("aria-label", label);
  const row = el("label", { class: "conv-control", dataset: { name } }, [el("span", { text: label }), number, slider]);
  return { row, set(value) { if (document.activeElement !== number) number.value = value; slider.value = value; } };
}

function checkbox(testid, label, onToggle) {
  const box = el("input", { type: "checkbox", testid, on: { change: () => onToggle(box.checked) } });
  return { row: el("label", { class: "conv-check" }, [box, ` ${label}`]), box };
}

function select(testid, label, options, onPick) {
  const node = el("select", { testid, on: { change: () => onPick(node.value) } },
    options.map(([value, text]) => el("option", { value, text })));
  return { row: el("label", { class: "conv-control conv-select" }, [el("span", { text: label }), node]), node };
}

export function createControls(host, { onChange, onUpload, onExample }) {
  const numbers = {};
  for (const [name, testid, label, title] of NUMBER_CONTROLS) {
    numbers[name] = numberControl(name, testid, label, title, (patch) => {
      // One side sets a square input; the width control alone makes it rectangular.
      if (name === "height") patch.width = patch.height;
      onChange(patch);
    });
  }
  const example = select("conv-example", "lecture example", [["", "— your own settings —"]], (id) => onExample(id));
  const conv = checkbox("conv-conv", "conv layer", (on) => onChange({ conv: on }));
  const relu = checkbox("conv-relu", "ReLU after the conv", (on) => onChange({ relu: on }));
  const pool = checkbox("conv-pool", "max pool", (on) => onChange({ pool: on }));
  const pictures = Object.entries(PICTURES).map(([name, text]) => [`image:${name}`, `picture: ${text}`]);
  const input = select("conv-input-source", "input", [["random", "random values"], ...pictures,
    ["upload", "your image (upload)"], ["example", "the example's input"]], (value) => {
    if (value === "upload") upload.click();
    else onChange({ input: value });
  });
  const upload = el("input", { type: "file", accept: "image/*", testid: "conv-upload", class: "conv-upload", tabindex: -1,
    "aria-label": "upload an image",
    on: { change: () => { if (upload.files[0]) onUpload(upload.files[0]); upload.value = ""; } } });
  const uploadButton = el("button", { type: "button", class: "small", text: "Upload an image…", on: { click: () => upload.click() } });
  const weights = select("conv-weights", "filters", [...Object.entries(FILTER_PRESETS), ["example", "the example's weights"]],
    (value) => onChange({ weights: value }));
  const upstream = select("conv-upstream", "upstream gradient", [["ones", "ones"], ["random", "random (seeded)"]],
    (value) => onChange({ upstream: value }));

  const group = (title, rows) => el("fieldset", { class: "conv-group" }, [el("legend", { text: title }), ...rows]);
  host.append(
    group("Preset", [example.row]),
    group("Input", [numbers.height.row, numbers.width.row, numbers.depth.row, input.row, el("div", { class: "conv-upload-row" }, [uploadButton, upload]), numbers.seed.row]),
    group("Conv layer", [conv.row, numbers.filters.row, numbers.size.row, numbers.stride.row, numbers.pad.row, weights.row, relu.row]),
    group("Pooling", [pool.row, numbers.poolSize.row, numbers.poolStride.row]),
    group("Backward", [upstream.row]),
  );

  /** Show `state` in the controls (after a preset, a hash change or a suggestion). */
  function sync(state) {
    for (const [name, control] of Object.entries(numbers)) control.set(state[name]);
    conv.box.checked = state.conv;
    relu.box.checked = state.relu;
    pool.box.checked = state.pool;
    input.node.value = state.input;
    weights.node.value = state.weights;
    upstream.node.value = state.upstream;
    example.node.value = state.example;
    for (const name of ["filters", "size", "stride", "pad"]) numbers[name].row.classList.toggle("conv-off", !state.conv);
    weights.row.classList.toggle("conv-off", !state.conv);
    for (const name of ["poolSize", "poolStride"]) numbers[name].row.classList.toggle("conv-off", !state.pool);
  }

  /** Offer the lecture's conv examples (entries of GET /api/examples with kind "conv"). */
  function setExamples(list) {
    example.node.append(...list.map((ex) => el("option", { value: ex.id, text: ex.title })));
  }

  return { sync, setExamples };
}
