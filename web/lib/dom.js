/**
 * The one element builder of the page, for HTML and for SVG.
 *
 *   el("button", {class: "run", text: "Run", testid: "run-button", on: {click: run}}, [child, "text"])
 *   svgEl("circle", {class: "gate", r: 22}, parent)
 *
 * attrs: class, text, testid (-> data-testid), dataset {...}, style {...}, on {event: fn};
 * any other key is an attribute (true -> "", null / undefined / false -> left out).
 */

export const SVG_NS = "http://www.w3.org/2000/svg";

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.setAttribute("class", value);
    else if (key === "text") node.textContent = value;
    else if (key === "testid") node.dataset.testid = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value);
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else node.setAttribute(key, value === true ? "" : value);
  }
  return node;
}

function append(node, children) {
  for (const child of [].concat(children)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element with attributes and children (nodes or text). */
export function el(tag, attrs = {}, children = []) {
  return append(setAttrs(document.createElement(tag), attrs), children);
}

/** An SVG element with attributes, appended to `parent` when one is given. */
export function svgEl(tag, attrs = {}, parent = null) {
  const node = setAttrs(document.createElementNS(SVG_NS, tag), attrs);
  if (parent) parent.append(node);
  return node;
}

/** Select the whole text of an element (so Ctrl+C copies it when the clipboard is refused). */
export function selectText(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
