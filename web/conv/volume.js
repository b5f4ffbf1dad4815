/**
 * A small drawing of the output volume as the lecture draws it: the K activation maps as
 * sheets stacked one behind the other (W2 × H2 × K), the map being filled highlighted.
 * Shape text comes from the API (shape_text); the drawing is only sheets.
 */
const NS = "http://www.w3.org/2000/svg";
const MAX_SHEETS = 16;
const FACE = 70;       // px side of the front sheet
const STEP = [9, -7];  // offset of each sheet behind the previous one

function svg(tag, attrs) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

export function createVolume(host) {
  const root = svg("svg", { class: "conv-volume", role: "img" });
  root.dataset.testid = "conv-volume";
  host.append(root);
  let sheets = [];

  /** Draw `count` sheets of a rows x cols map; label is the API's shape text. */
  function render(count, rows, cols, label) {
    root.replaceChildren();
    const drawn = Math.min(count, MAX_SHEETS);
    const w = cols >= rows ? FACE : Math.round((FACE * cols) / rows);
    const h = rows >= cols ? FACE : Math.round((FACE * rows) / cols);
    const width = w + STEP[0] * (drawn - 1) + 12;
    const height = h - STEP[1] * (drawn - 1) + 34;
    root.setAttribute("width", width);
    root.setAttribute("height", height);
    root.setAttribute("aria-label", `output volume ${label}`);
    sheets = [];
    // Back to front, so the first map is the front sheet as in the lecture's picture.
    for (let k = drawn - 1; k >= 0; k--) {
      const x = 4 + STEP[0] * k;
      const y = 4 - STEP[1] * (drawn - 1 - k);
      const sheet = svg("rect", { x, y, width: w, height: h, class: "conv-sheet" });
      sheet.append(Object.assign(svg("title", {}), { textContent: `map ${k + 1}` }));
      root.append(sheet);
      sheets[k] = sheet;
    }
    const text = svg("text", { x: 4, y: height - 8, class: "conv-volume-label" });
    text.textContent = count > drawn ? `${label} (${drawn} of ${count} sheets drawn)` : label;
    root.append(text);
  }

  /** Highlight sheet k (the map being filled), or none. */
  function setCurrent(k) {
    sheets.forEach((sheet, n) => sheet.classList.toggle("current", n === k));
  }

  return { render, setCurrent };
}
