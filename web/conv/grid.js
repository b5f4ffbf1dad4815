/**
 * The sliding-filter grid: the (zero-padded) input volume drawn on a canvas, one panel per
 * channel, with the filter window and the receptive field of a chosen output on top.
 * The cells are painted once into an offscreen canvas; an animation frame only copies that
 * image and strokes the window, so a 32x32x3 input slides at full frame rate.
 * Coordinates are padded-input (row, col), as the API's receptive_fields give them.
 */
import { el } from "../lib/dom.js";
import { cellRgb, rgbCss, textOn, rangeOf } from "../lib/heatmap.js";
import { token } from "../lib/theme.js";
import { allIntegers, fmtCell } from "../lib/format.js";

const MAX_CHANNELS_DRAWN = 4;
const MARGIN = 8;
const LABEL = 18;
const GAP = 16;

/** Pixel size of one cell so that the panels fit `maxWidth` and stay under `maxHeight`. */
function cellSize(shown, rows, cols, maxWidth, maxHeight) {
  const byWidth = Math.floor((maxWidth - 2 * MARGIN - (shown - 1) * GAP) / (shown * cols));
  const byHeight = Math.floor((maxHeight - 2 * MARGIN - LABEL) / rows);
  return Math.max(3, Math.min(52, byWidth, byHeight));
}

/** Channels are numbered from 0, as the API's arrays index them. */
export function channelName(c, depth) {
  return depth === 3 ? `channel ${c} (${"RGB"[c]})` : `channel ${c}`;
}

export function createInputGrid(host) {
  const canvas = el("canvas", { testid: "conv-input-grid", class: "conv-canvas", role: "img",
    "aria-label": "the input volume, one grid per channel, zero padding hatched, the filter window outlined" });
  const overlay = el("div", { class: "conv-grid-overlay" });
  const tip = el("div", { class: "conv-tip", hidden: true });
  const note = el("div", { class: "conv-note" });
  const wrap = el("div", { class: "conv-grid-wrap" }, [canvas, overlay, tip]);
  host.append(wrap, note);
  const base = document.createElement("canvas");
  let layout = null;
  let volume = null;
  let win = null;

  /** Top-left pixel of cell (row, col) of channel panel c, in CSS pixels. */
  const cellXY = (c, row, col) => [
    MARGIN + c * (layout.cols * layout.cell + GAP) + col * layout.cell,
    MARGIN + LABEL + row * layout.cell,
  ];

  function paintBase() {
    const { cell, rows, cols, shown, pad, range, kind, dpr } = layout;
    const ctx = base.getContext("2d");
    const font = token("--font-sans");
    const padFill = token("--surface-2");
    const hatch = token("--line-strong");
    const frame = token("--muted");
    const padText = token("--muted");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, layout.width, layout.height);
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let c = 0; c < shown; c++) {
      const [x0, y0] = cellXY(c, 0, 0);
      ctx.fillStyle = token("--muted");
      ctx.textAlign = "left";
      ctx.font = `600 12px ${font}`;
      ctx.fillText(channelName(c, volume.length), x0, MARGIN + LABEL / 2);
      ctx.font = `${Math.max(11, Math.min(13, cell * 0.3))}px ${font}`;
      ctx.textAlign = "center";
      for (let r = 0; r < rows; r++) {
        for (let q = 0; q < cols; q++) {
          const [x, y] = cellXY(c, r, q);
          const padded = r < pad[0] || r >= rows - pad[0] || q < pad[1] || q >= cols - pad[1];
          const value = volume[c][r][q];
          const rgb = padded ? null : cellRgb(value, range, kind);
          ctx.fillStyle = padded ? padFill : rgbCss(rgb);
          ctx.fillRect(x, y, cell, cell);
          if (padded && cell >= 10) {
            // Hatching tells padding apart from a real zero pixel at a glance.
            ctx.strokeStyle = hatch;
            ctx.lineWidth = 1;
            ctx.beginPath();
            ctx.moveTo(x, y + cell); ctx.lineTo(x + cell, y);
            ctx.stroke();
          }
          if (cell >= 34) {
            ctx.fillStyle = padded ? padText : textOn(rgb);
            ctx.fillText(padded ? "0" : formatCell(value), x + cell / 2, y + cell / 2);
          }
        }
      }
      // Thin grid lines, then a dark frame around the real (unpadded) input.
      // Faint lines on small cells, or a 32x32 picture turns into a mesh.
      ctx.strokeStyle = token("--bg");
      ctx.globalAlpha = cell >= 14 ? 0.7 : 0.25;
      ctx.lineWidth = cell >= 10 ? 1 : 0.5;
      ctx.beginPath();
      for (let r = 0; r <= rows; r++) { ctx.moveTo(x0, y0 + r * cell); ctx.lineTo(x0 + cols * cell, y0 + r * cell); }
      for (let q = 0; q <= cols; q++) { ctx.moveTo(x0 + q * cell, y0); ctx.lineTo(x0 + q * cell, y0 + rows * cell); }
      ctx.stroke();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = frame;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(pad[0] || pad[1] ? [4, 3] : []);
      const [ix, iy] = cellXY(c, pad[0], pad[1]);
      ctx.strokeRect(ix, iy, (cols - 2 * pad[1]) * cell, (rows - 2 * pad[0]) * cell);
      ctx.setLineDash([]);
    }
  }

  function formatCell(value) {
    return fmtCell(value, layout.integers);
  }

  /** Copy the painted cells and stroke the filter window at its (possibly fractional) place. */
  function draw() {
    if (!layout) return;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(base, 0, 0);
    if (!win) return;
    ctx.setTransform(layout.dpr, 0, 0, layout.dpr, 0, 0);
    const { cell } = layout;
    const colour = token("--window");
    for (let c = 0; c < layout.shown; c++) {
      const [x, y] = cellXY(c, win.row, win.col);
      ctx.fillStyle = colour;
      ctx.globalAlpha = 0.16;
      ctx.fillRect(x, y, win.cols * cell, win.rows * cell);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = colour;
      ctx.lineWidth = 3;
      ctx.strokeRect(x, y, win.cols * cell, win.rows * cell);
    }
  }

  /**
   * Show a volume (C, Hp, Wp). pad: [PH, PW] rows/cols of it that are zero padding.
   * kind: "image" (grey scale) or "value" (signed colours).
   */
  function setVolume(nextVolume, pad, kind, maxWidth, maxHeight = 460) {
    volume = nextVolume;
    const depth = volume.length;
    const shown = Math.min(depth, MAX_CHANNELS_DRAWN);
    const rows = volume[0].length;
    const cols = volume[0][0].length;
    const cell = cellSize(shown, rows, cols, maxWidth, maxHeight);
    const width = 2 * MARGIN + shown * cols * cell + (shown - 1) * GAP;
    const height = 2 * MARGIN + LABEL + rows * cell;
    const dpr = window.devicePixelRatio || 1;
    layout = { cell, rows, cols, shown, pad, kind, dpr, width, height, range: rangeOf(volume), integers: allIntegers(volume) };
    for (const c of [canvas, base]) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
    }
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    Object.assign(canvas.dataset, { cellPx: cell, originX: MARGIN, originY: MARGIN + LABEL, pad: pad.join(",") });
    note.textContent = depth > shown ? `Showing ${shown} of ${depth} channels; the filter spans all ${depth}.` : "";
    paintBase();
    setField(null);
    draw();
  }

  /** Move the window: {row, col, rows, cols} in padded-input cells, or null to hide it. */
  function setWindow(next) {
    win = next;
    const where = win ? `${Math.round(win.row)},${Math.round(win.col)}` : "";
    if ((canvas.dataset.window ?? "") !== where) {
      if (where) canvas.dataset.window = where;
      else delete canvas.dataset.window;
    }
    draw();
  }

  /** The window {row, col, rows, cols} on the last channel drawn, as a box in the canvas's CSS pixels. */
  function windowBox(w) {
    if (!layout || !w) return null;
    const [x, y] = cellXY(layout.shown - 1, w.row, w.col);
    return { x, y, width: w.cols * layout.cell, height: w.rows * layout.cell };
  }

  /** Paint again in the current theme's colours. */
  function repaint() {
    if (!layout) return;
    paintBase();
    draw();
  }

  /** Outline a receptive field {row, col, rows, cols, label} on every channel, or clear it. */
  function setField(field) {
    overlay.replaceChildren();
    if (!field || !layout) return;
    for (let c = 0; c < layout.shown; c++) {
      const [x, y] = cellXY(c, field.row, field.col);
      const box = el("div", {
        class: "conv-field",
        style: { left: `${x}px`, top: `${y}px`, width: `${field.cols * layout.cell}px`, height: `${field.rows * layout.cell}px` },
      });
      if (c === 0) {
        box.dataset.testid = "receptive-field";
        Object.assign(box.dataset, { row: field.row, col: field.col, rows: field.rows, cols: field.cols, cell: field.label });
      }
      overlay.append(box);
    }
  }

  /** Tooltip with the value under the pointer (padded cells say so). */
  function onMove(event) {
    if (!layout) return;
    const rect = canvas.getBoundingClientRect();
    const px = event.clientX - rect.left;
    const py = event.clientY - rect.top;
    const panel = layout.cols * layout.cell + GAP;
    const c = Math.floor((px - MARGIN) / panel);
    const q = Math.floor((px - MARGIN - c * panel) / layout.cell);
    const r = Math.floor((py - MARGIN - LABEL) / layout.cell);
    if (c < 0 || c >= layout.shown || q < 0 || q >= layout.cols || r < 0 || r >= layout.rows) {
      tip.hidden = true;
      return;
    }
    const [pr, pc] = layout.pad;
    const inside = r >= pr && r < layout.rows - pr && q >= pc && q < layout.cols - pc;
    tip.textContent = inside
      ? `x[${c}, ${r - pr}, ${q - pc}] = ${volume[c][r][q]}`
      : `zero padding (row ${r}, col ${q} of the padded input)`;
    tip.style.left = `${px + 12}px`;
    tip.style.top = `${py + 12}px`;
    tip.hidden = false;
  }
  canvas.addEventListener("mousemove", onMove);
  canvas.addEventListener("mouseleave", () => { tip.hidden = true; });

  return { setVolume, setWindow, setField, draw, repaint, windowBox, canvas, element: wrap };
}
