/**
 * The minimap: the whole graph in a small box in the corner of the view (gates and inputs
 * as dots, groups as boxes), with a frame where the view is and a dot at the current gate.
 * A click or a drag on it moves the view there. Drawn once per graph on a canvas; moving
 * the view moves only the frame, so panning and stepping cost nothing here.
 * Shown only when the graph does not fit the view at a readable scale.
 */
import { token } from "../lib/theme.js";

const WIDTH = 220;    // CSS pixels of the box, at most
const HEIGHT = 132;

// The box's look lives here with its behaviour (theme colours through the page's tokens).
const BOX_STYLE = {
  position: "absolute", right: "12px", bottom: "12px", overflow: "hidden", cursor: "pointer",
  background: "var(--surface)", border: "1px solid var(--line)", borderRadius: "6px",
  boxShadow: "var(--shadow)", touchAction: "none",
};
const FRAME_STYLE = {
  position: "absolute", left: "0", top: "0", border: "2px solid var(--selected)", borderRadius: "2px",
  background: "color-mix(in srgb, var(--selected) 8%, transparent)", pointerEvents: "none", boxSizing: "border-box",
};
const HERE_STYLE = {
  position: "absolute", left: "0", top: "0", width: "8px", height: "8px", borderRadius: "50%",
  background: "var(--grad)", pointerEvents: "none",
};

export function createMinimap(wrap, { onPan } = {}) {
  const box = document.createElement("div");
  box.className = "minimap";
  box.dataset.testid = "minimap";
  box.setAttribute("role", "img");
  box.setAttribute("aria-label", "overview of the whole graph; click to move the view there");
  box.hidden = true;
  const canvas = document.createElement("canvas");
  const frame = document.createElement("div");
  frame.className = "minimap-frame";
  const here = document.createElement("div");
  here.className = "minimap-here";
  here.hidden = true;
  Object.assign(box.style, BOX_STYLE);
  Object.assign(frame.style, FRAME_STYLE);
  Object.assign(here.style, HERE_STYLE);
  canvas.style.display = "block";
  box.append(canvas, frame, here);
  wrap.append(box);

  let scale = 1;      // minimap pixels per drawing unit
  let size = null;    // {width, height} of the drawing

  /** Draw the graph's overview: `dots` [{x, y, kind}], `boxes` [{x, y, width, height}]. */
  function draw(drawing, dots, boxes = []) {
    size = drawing;
    scale = Math.min(WIDTH / drawing.width, HEIGHT / drawing.height);
    const w = Math.max(24, Math.round(drawing.width * scale));
    const h = Math.max(16, Math.round(drawing.height * scale));
    const ratio = window.devicePixelRatio || 1;
    canvas.width = w * ratio;
    canvas.height = h * ratio;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    box.style.width = `${w}px`;
    box.style.height = `${h}px`;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio * scale, 0, 0, ratio * scale, 0, 0);
    ctx.clearRect(0, 0, drawing.width, drawing.height);
    const accent = token("--accent");
    ctx.fillStyle = accent;
    ctx.strokeStyle = accent;
    ctx.lineWidth = 1 / scale;
    for (const b of boxes) {
      ctx.globalAlpha = 0.08;
      ctx.fillRect(b.x, b.y, b.width, b.height);
      ctx.globalAlpha = 1;
      ctx.strokeRect(b.x, b.y, b.width, b.height);
    }
    const r = Math.max(1.2 / scale, 10);
    for (const d of dots) {
      ctx.fillStyle = d.kind === "op" ? token("--ink") : accent;
      ctx.fillRect(d.x - r, d.y - r, 2 * r, 2 * r);
    }
  }

  /** Show or hide the box; place the frame of the view t = {x, y, k} over a view of w x h. */
  function update(t, view, visible) {
    box.hidden = !visible || !size;
    if (box.hidden) return;
    const x0 = (-t.x / t.k) * scale;
    const y0 = (-t.y / t.k) * scale;
    frame.style.transform = `translate(${x0.toFixed(1)}px, ${y0.toFixed(1)}px)`;
    frame.style.width = `${Math.max(3, (view.width / t.k) * scale).toFixed(1)}px`;
    frame.style.height = `${Math.max(3, (view.height / t.k) * scale).toFixed(1)}px`;
  }

  /** Mark the current gate (null: no mark). */
  function mark(point) {
    here.hidden = !point;
    if (point) here.style.transform = `translate(${(point.x * scale - 4).toFixed(1)}px, ${(point.y * scale - 4).toFixed(1)}px)`;
  }

  let dragging = false;
  const panTo = (ev) => {
    const r = canvas.getBoundingClientRect();
    if (onPan) onPan((ev.clientX - r.left) / scale, (ev.clientY - r.top) / scale);
  };
  box.addEventListener("pointerdown", (ev) => {
    ev.stopPropagation();
    dragging = true;
    box.setPointerCapture(ev.pointerId);
    panTo(ev);
  });
  box.addEventListener("pointermove", (ev) => { if (dragging) panTo(ev); });
  box.addEventListener("pointerup", () => { dragging = false; });
  box.addEventListener("wheel", (ev) => ev.stopPropagation());

  return { draw, update, mark };
}
