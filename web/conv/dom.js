/**
 * Small DOM helpers shared by the conv view's modules: build elements, format numbers.
 * Nothing here knows about convolutions.
 */

/**
 * Create an element. attrs: {class, text, dataset: {...}, style: {...}, on: {event: fn},
 * any other key is set as an attribute (testid becomes data-testid)}.
 */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "testid") node.dataset.testid = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value);
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of [].concat(children)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A number as a student reads it: integers plain, others with up to `digits` decimals. */
export function fmt(value, digits = 2) {
  if (typeof value === "string") return value;  // "nan", "inf", "-inf" from the server
  if (Number.isInteger(value)) return String(value);
  const text = value.toFixed(digits);
  // Trim trailing zeros so 0.50 reads 0.5, but keep "-0" from showing up as a sign.
  const trimmed = text.replace(/\.?0+$/, "");
  return trimmed === "-0" ? "0" : trimmed;
}

/** A factor inside a written-out product: negative numbers get parentheses. */
export function factor(value, digits = 2) {
  const text = fmt(value, digits);
  return text.startsWith("-") ? `(${text})` : text;
}

/** Remove every child of `node`. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}
