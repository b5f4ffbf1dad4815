/**
 * Presenter mode for a projector: large type, high contrast, only the graph and the
 * explanation; the keyboard drives it (P toggles, Esc leaves, ←/→ and space step).
 */

export function createPresenter(button, { onChange }) {
  const on = () => document.body.classList.contains("presenter");

  function set(value) {
    document.body.classList.toggle("presenter", value);
    button.setAttribute("aria-pressed", String(value));
    button.textContent = value ? "Leave presenter" : "Presenter";
    onChange(value);
  }

  button.addEventListener("click", () => set(!on()));
  return { toggle: () => set(!on()), leave: () => on() && set(false), active: on };
}
