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
const READABLE_SCALE = 0.85;  // first zoom of a graph too large to read whole
const GLIDE_MS = 250;

export function createPanZoom(svg, viewport) {
  let t = { x: 0, y: 0, k: 1 };
  let maxFitScale = 1.6;
  let glide = 0;
  let fitted = false;  // the view shows the graph as fit() left it (no zoom or pan since)
  // The view's size, kept by a ResizeObserver: asking the layout for it while stepping
  // would force a synchronous layout of the whole drawing on every step.
  // The SVG gets its size in pixels from its box: with a percentage size every layout of
  // the page (a new explanation, a new step label) would lay out the whole drawing again.
  let view = { width: 0, height: 0 };
  const setView = (width, height) => {
    view = { width, height };
    svg.style.width = `${width}px`;
    svg.style.height = `${height}px`;
  };
  let lastSize = null;
  new ResizeObserver(([entry]) => {
    setView(entry.contentRect.width, entry.contentRect.height);
    if (fitted) fit(lastSize);  // a new box (presenter, side panel, window): fit it again
  }).observe(svg.parentElement);
  const viewSize = () => {
    if (!view.width) {
      const r = svg.parentElement.getBoundingClientRect();
      setView(r.width, r.height);
    }
    return view;
  };

  function apply() {
    viewport.setAttribute("transform", `translate(${t.x.toFixed(2)},${t.y.toFixed(2)}) scale(${t.k.toFixed(4)})`);
    svg.classList.toggle("far", t.k < SIZES.farScale);
    // zoomed out, text grows a little (up to 30%) so the lecture's numbers stay legible
    svg.style.setProperty("--ls", Math.min(1.3, Math.max(1, 0.8 / t.k)).toFixed(3));
    svg.dataset.scale = t.k.toFixed(3);
  }

  function zoomAt(factor, cx, cy) {
    fitted = false;
    const k = Math.min(MAX_SCALE, Math.max(MIN_SCALE, t.k * factor));
    t = { x: cx - ((cx - t.x) * k) / t.k, y: cy - ((cy - t.y) * k) / t.k, k };
    apply();
  }

  /** Zoom around the centre of the view. */
  function zoomBy(factor) {
    const r = viewSize();
    zoomAt(factor, r.width / 2, r.height / 2);
  }

  /** Show a width x height drawing whole, centred, no larger than the current cap. */
  function fit(size) {
    if (!size) return;
    lastSize = size;
    const r = viewSize();
    if (!r.width || !r.height) return;
    const k = Math.max(MIN_SCALE, Math.min(maxFitScale, r.width / size.width, r.height / size.height));
    t = { k, x: (r.width - size.width * k) / 2, y: (r.height - size.height * k) / 2 };
    apply();
    fitted = true;
  }

  /** Fit again after the view's box changed, unless the user has zoomed or panned since. */
  function refit(size) {
    if (fitted) fit(size);
  }

  /**
   * The first view of a new graph: the whole graph when it fits at a readable scale;
   * otherwise a readable scale showing its start (the inputs, left), as stepping begins there.
   */
  function initial(size) {
    if (!size) return;
    fit(size);
    if (t.k >= SIZES.farScale + 0.1) return;
    fitted = false;
    const r = viewSize();
    const k = READABLE_SCALE;
    t = { k, x: 0, y: size.height * k < r.height ? (r.height - size.height * k) / 2 : 0 };
    apply();
  }

  /** Pan (smoothly) so that the point (x, y) of the drawing is in view, when it is not. */
  function follow(x, y) {
    const r = viewSize();
    const sx = x * t.k + t.x;
    const sy = y * t.k + t.y;
    const mx = Math.min(160, r.width * 0.2);
    const my = Math.min(100, r.height * 0.2);
    if (sx >= mx && sx <= r.width - mx && sy >= my && sy <= r.height - my) return;
    const from = { ...t };
    const to = { k: t.k, x: r.width / 2 - x * t.k, y: r.height / 2 - y * t.k };
    const start = performance.now();
    cancelAnimationFrame(glide);
    const stepFrame = (now) => {
      const u = Math.min(1, (now - start) / GLIDE_MS);
      const e = u * (2 - u);
      t = { k: to.k, x: from.x + (to.x - from.x) * e, y: from.y + (to.y - from.y) * e };
      apply();
      if (u < 1) glide = requestAnimationFrame(stepFrame);
    };
    glide = requestAnimationFrame(stepFrame);
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
      fitted = false;
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
  return { fit, refit, initial, follow, zoomBy, setMaxFitScale, scale: () => t.k };
}
