/**
 * Light and dark themes. A theme is a set of values of the design tokens in style.css,
 * nothing more: <html data-theme="light|dark"> picks the set. The page follows the
 * system's prefers-color-scheme until the reader presses the toggle; that choice sticks
 * (localStorage). Drawings that cannot read CSS themselves (canvas, Plotly, an exported
 * PNG) ask token() for a colour and redraw on the "themechange" event.
 */

const KEY = "chainrule-theme";
const media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
let cache = null;

function stored() {
  try {
    const value = localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    return null;  // storage refused (a private window): follow the system
  }
}

export function currentTheme() {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

function apply(theme) {
  const changed = document.documentElement.dataset.theme !== theme;
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme;
  cache = null;
  if (changed) window.dispatchEvent(new CustomEvent("themechange", { detail: { theme } }));
}

/** The value of a design token (a CSS custom property of :root) in the current theme. */
export function token(name) {
  if (!cache) cache = getComputedStyle(document.documentElement);
  return cache.getPropertyValue(name).trim();
}

/** Every `var(--token)` of a text replaced by its current value (for standalone exports). */
export function resolveTokens(text) {
  return text.replace(/var\((--[\w-]+)\)/g, (whole, name) => token(name) || whole);
}

/** Set the theme from storage or the system, and wire the toggle button. */
export function initTheme(toggle) {
  apply(stored() || (media && media.matches ? "dark" : "light"));
  if (media) {
    media.addEventListener("change", (event) => { if (!stored()) apply(event.matches ? "dark" : "light"); });
  }
  if (!toggle) return;
  const label = () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    toggle.setAttribute("aria-label", `Switch to the ${next} theme`);
    toggle.title = `Switch to the ${next} theme`;
    toggle.setAttribute("aria-pressed", String(currentTheme() === "dark"));
  };
  toggle.addEventListener("click", () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // the choice then lasts for this page only
    }
    apply(next);
    label();
  });
  label();
}
