/**
 * Pan and zoom for the graph's SVG: drag to pan, wheel (or the +/- buttons and keys) to
 * zoom around the pointer, "fit" to see the whole graph. Below a zoom where edge labels
 * would be unreadably small the SVG gets the class "far" and hides them, so a 300-node
 * graph stays a clean picture until one zooms in.
 */
import { SIZES } from "../config.js";

const MIN_SCALE = 0.03;
const MAX_SCALE = 4;
const DRAG_THRESHOLD = 4;  // pixels a press must move before it is a pan, not a click

export function createPanZoom(svg, viewport) {
  let t = { x: 0, y: 0, k: 1 };
  let maxFitScale = 1.6;

  function apply() {
    viewport.setAttribute("transform", `translate(${t.x.toFixed(2)},${t.y.toFixed(2)}) scale(${t.k.toFixed(4)})`);
    svg.classList.toggle("far", t.k < SIZES.farScale);
    // zoomed out, text grows a little (up to 30%) so the lecture's numbers stay legible
    svg.style.setProperty("--ls", Math.min(1.3, Math.max(1, 0.8 / t.k)).toFixed(3));
    svg.dataset.scale = t.k.toFixed(3);
  }

  function zoomAt(factor, cx, cy) {
    const k = Math.min(MAX_SCALE, Math.max(MIN_SCALE, t.k * factor));
    t = { x: cx - ((cx - t.x) * k) / t.k, y: cy - ((cy - t.y) * k) / t.k, k };
    apply();
  }

  /** Zoom around the centre of the view. */
  function zoomBy(factor) {
    const r = svg.getBoundingClientRect();
    zoomAt(factor, r.width / 2, r.height / 2);
  }

  /** Show a width x height drawing whole, centred, no larger than the current cap. */
  function fit(size) {
    if (!size) return;
    const r = svg.getBoundingClientRect();
    if (!r.width || !r.height) return;
    const k = Math.max(MIN_SCALE, Math.min(maxFitScale, r.width / size.width, r.height / size.height));
    t = { k, x: (r.width - size.width * k) / 2, y: (r.height - size.height * k) / 2 };
    apply();
  }

  function setMaxFitScale(k) {
    maxFitScale = k;
  }

  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect();
    zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
  }, { passive: false });

  let drag = null;
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, tx: t.x, ty: t.y, moved: false, id: ev.pointerId };
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    const dy = ev.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
    if (!drag.moved) {
      drag.moved = true;
      svg.setPointerCapture(drag.id);
      svg.classList.add("panning");
    }
    t = { ...t, x: drag.tx + dx, y: drag.ty + dy };
    apply();
  });
  const end = () => {
    if (drag && drag.moved) {
      // swallow the click that ends a pan so it does not select a node
      svg.addEventListener("click", (e) => e.stopPropagation(), { capture: true, once: true });
    }
    drag = null;
    svg.classList.remove("panning");
  };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);

  apply();
  return { fit, zoomBy, setMaxFitScale, scale: () => t.k };
}
