/**
 * Pan and zoom for the graph's SVG: drag to pan, wheel (or the +/- buttons and keys) to
 * zoom around the pointer, "fit" to see the graph.
 *
 * Semantic zoom: every kind of text on the graph is shown only while it is at least
 * MIN_TEXT_PX tall on screen; smaller, it gives way to the shapes (and group names, which
 * keep their size), and zooming in brings it back. So a new graph opens whole (every
 * node in view, as a picture of its shape), "fit" shows the whole graph when it can be
 * read and otherwise a readable stretch around the current gate, and while stepping the
 * current gate is kept in view, zoomed to a readable scale. A minimap shows where the
 * view is whenever the graph does not fit it readably.
 */
import { createMinimap } from "./minimap.js";

const MIN_SCALE = 0.004;
const MAX_SCALE = 4;
const DRAG_THRESHOLD = 4;  // pixels a press must move before it is a pan, not a click
const READABLE_SCALE = 0.85;  // zoom of a readable stretch of a graph too large to read whole
const GLIDE_MS = 250;
const MIN_TEXT_PX = 11;       // smaller text is not drawn (the design tests read nothing under 11 px)
// base font sizes (px at zoom 1) of the graph's kinds of text, see svgstyle.js
const TEXT_SIZES = [11, 12, 14, 15, 17];

/** The growth of text when zoomed out (up to 30%), so the lecture's numbers stay legible. */
function textGrowth(k) {
  return Math.min(1.3, Math.max(1, 0.8 / k));
}

/** The smallest zoom at which edge labels (14 px) are legible. */
function legibleScale() {
  let k = 0.2;
  while (14 * textGrowth(k) * k < MIN_TEXT_PX) k += 0.01;
  return k;
}
const LEGIBLE = legibleScale();

export function createPanZoom(svg, viewport) {
  let t = { x: 0, y: 0, k: 1 };
  let maxFitScale = 1.6;
  let glide = 0;
  let fitted = false;  // the view shows the graph as fit() left it (no zoom or pan since)
  let focus = null;    // the drawing's point of interest: the current gate, else the start
  const minimap = createMinimap(svg.parentElement, { onPan: (x, y) => centreOn(x, y, t.k) });
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
    if (fitted) whole(lastSize);  // a new box (presenter, side panel, window): fit it again
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
    const growth = textGrowth(t.k);
    svg.classList.toggle("far", 14 * growth * t.k < MIN_TEXT_PX);
    for (const size of TEXT_SIZES) svg.classList.toggle(`tiny-${size}`, size * growth * t.k < MIN_TEXT_PX);
    svg.style.setProperty("--ls", growth.toFixed(3));
    // group names keep their size on screen as one zooms out (up to 4x), then give way
    const headerGrowth = Math.min(4, Math.max(1, 1 / t.k));
    svg.style.setProperty("--hs", headerGrowth.toFixed(3));
    svg.classList.toggle("tiny-headers", 13 * headerGrowth * t.k < MIN_TEXT_PX);
    svg.style.setProperty("--k", t.k.toFixed(4));
    svg.dataset.scale = t.k.toFixed(3);
    // the minimap shows when part of a graph too large to read whole is out of view
    const size = lastSize;
    const big = !!size && (size.width * LEGIBLE > view.width || size.height * LEGIBLE > view.height);
    const all = !!size && t.x >= -1 && t.y >= -1 && t.x + size.width * t.k <= view.width + 1 &&
      t.y + size.height * t.k <= view.height + 1;
    minimap.update(t, view, big && !all);
  }

  /** Glide (or jump) to the view t = {x, y, k}. */
  function moveTo(to, smooth) {
    cancelAnimationFrame(glide);
    if (!smooth) {
      t = to;
      apply();
      return;
    }
    const from = { ...t };
    const start = performance.now();
    const stepFrame = (now) => {
      const u = Math.min(1, (now - start) / GLIDE_MS);
      const e = u * (2 - u);
      t = { k: from.k + (to.k - from.k) * e, x: from.x + (to.x - from.x) * e, y: from.y + (to.y - from.y) * e };
      apply();
      if (u < 1) glide = requestAnimationFrame(stepFrame);
    };
    glide = requestAnimationFrame(stepFrame);
  }

  /** Put the drawing's point (x, y) in the middle of the view at zoom k. */
  function centreOn(x, y, k, smooth = false) {
    fitted = false;
    const r = viewSize();
    moveTo({ k, x: r.width / 2 - x * k, y: r.height / 2 - y * k }, smooth);
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
  function whole(size) {
    if (!size) return;
    lastSize = size;
    const r = viewSize();
    if (!r.width || !r.height) return;
    const k = Math.max(MIN_SCALE, Math.min(maxFitScale, r.width / size.width, r.height / size.height));
    t = { k, x: (r.width - size.width * k) / 2, y: (r.height - size.height * k) / 2 };
    apply();
    fitted = true;
  }

  /**
   * "Fit": the whole drawing when it can be read whole; otherwise a readable stretch
   * around the current gate (the start of the graph before the first step).
   */
  function fit(size) {
    if (!size) return;
    lastSize = size;
    const r = viewSize();
    if (!r.width || !r.height) return;
    if (Math.min(maxFitScale, r.width / size.width, r.height / size.height) >= LEGIBLE) {
      whole(size);
      return;
    }
    const at = focus || startPoint(size);
    centreOn(at.x, at.y, READABLE_SCALE);
  }

  /** The start of a graph: its left end, in the middle of its height (or its top rows). */
  function startPoint(size) {
    const r = viewSize();
    const k = READABLE_SCALE;
    return { x: r.width / 2 / k, y: size.height * k < r.height ? size.height / 2 : r.height / 2 / k };
  }

  /** Fit again after the view's box changed, unless the user has zoomed or panned since. */
  function refit(size) {
    if (fitted) whole(size);
  }

  /** The first view of a new graph: all of it (text too small to read gives way to shapes). */
  function initial(size) {
    focus = null;
    minimap.mark(null);
    whole(size);
  }

  /**
   * Keep the drawing's point (x, y), the current gate, in view: pan (smoothly) when it is
   * near the edge or out of view; zoom in to a readable scale when the view is too far out
   * to read it.
   */
  function follow(x, y) {
    focus = { x, y };
    minimap.mark(focus);
    if (t.k < LEGIBLE) {
      centreOn(x, y, READABLE_SCALE, true);
      return;
    }
    const r = viewSize();
    const sx = x * t.k + t.x;
    const sy = y * t.k + t.y;
    const mx = Math.min(160, r.width * 0.2);
    const my = Math.min(100, r.height * 0.2);
    if (sx >= mx && sx <= r.width - mx && sy >= my && sy <= r.height - my) return;
    centreOn(x, y, t.k, true);
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
  return { fit, whole, refit, initial, follow, zoomBy, setMaxFitScale, minimap, viewSize, scale: () => t.k };
}
