/**
 * Choosing the image to look inside the network with: a strip of test digits (from
 * GET /api/net/images), or an 8×8 pad to draw one with the mouse.
 */
import { getJSON } from "../api.js";
import { el } from "../lib/dom.js";
import { gridCanvas } from "./grid.js";

const THUMB_CELL = 4;
const PAD_CELL = 22;

/** createDigitPicker(host, {onPick(image, label)}): image is {split, index} or {pixels}. */
export function createDigitPicker(host, { onPick }) {
  const strip = el("div", { class: "net-thumbs", testid: "net-images" });
  const pixels = Array.from({ length: 8 }, () => Array(8).fill(0));
  const pad = el("canvas", { class: "net-pad", testid: "draw-pad", width: 8 * PAD_CELL, height: 8 * PAD_CELL, title: "draw a digit: drag the mouse (shift: erase)" });
  const clear = el("button", { type: "button", class: "small", testid: "draw-clear", text: "Clear" });
  const use = el("button", { type: "button", class: "small", testid: "draw-use", text: "Classify my drawing" });
  host.append(el("h3", { text: "Image" }), strip,
    el("div", { class: "net-draw" }, [pad, el("div", { class: "net-draw-buttons" }, [use, clear])]));
  let selected = null;

  function paintPad() {
    const ctx = pad.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, pad.width, pad.height);
    ctx.drawImage(gridCanvas(pixels, PAD_CELL, { scale: 1, picture: true }), 0, 0);
    ctx.strokeStyle = "#d0d7de";
    for (let i = 0; i <= 8; i++) {
      ctx.beginPath(); ctx.moveTo(i * PAD_CELL, 0); ctx.lineTo(i * PAD_CELL, pad.height); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, i * PAD_CELL); ctx.lineTo(pad.width, i * PAD_CELL); ctx.stroke();
    }
  }

  /** A stroke darkens the cell under the mouse fully and its neighbours a little. */
  function ink(ev) {
    const box = pad.getBoundingClientRect();
    const c = Math.floor(((ev.clientX - box.left) / box.width) * 8);
    const r = Math.floor(((ev.clientY - box.top) / box.height) * 8);
    if (r < 0 || r > 7 || c < 0 || c > 7) return;
    if (ev.shiftKey) { pixels[r][c] = 0; paintPad(); return; }
    pixels[r][c] = 1;
    for (const [dr, dc] of [[0, 1], [1, 0], [0, -1], [-1, 0]]) {
      const rr = r + dr; const cc = c + dc;
      if (rr >= 0 && rr < 8 && cc >= 0 && cc < 8) pixels[rr][cc] = Math.max(pixels[rr][cc], 0.35);
    }
    paintPad();
  }

  let drawing = false;
  pad.addEventListener("pointerdown", (ev) => { drawing = true; pad.setPointerCapture(ev.pointerId); ink(ev); });
  pad.addEventListener("pointermove", (ev) => { if (drawing) ink(ev); });
  pad.addEventListener("pointerup", () => {
    if (!drawing) return;
    drawing = false;
    pick({ pixels: pixels.map((row) => row.slice()) }, "your drawing", null);
  });
  clear.addEventListener("click", () => { for (const row of pixels) row.fill(0); paintPad(); });
  use.addEventListener("click", () => pick({ pixels: pixels.map((row) => row.slice()) }, "your drawing", null));

  function pick(image, name, thumb) {
    selected = { image, name };
    for (const t of strip.children) t.classList.toggle("chosen", t === thumb);
    onPick(image, name);
  }

  getJSON("/api/net/images?split=test&start=0&count=24").then((answer) => {
    for (const item of answer.images) {
      const thumb = el("button", { type: "button", class: "net-thumb", testid: `net-image-${item.index}`, title: `test image ${item.index}: a ${item.label}` },
        [gridCanvas(item.pixels, THUMB_CELL, { scale: 1, picture: true }), el("span", { text: String(item.label) })]);
      thumb.addEventListener("click", () => pick({ split: "test", index: item.index }, `test image ${item.index} (a ${item.label})`, thumb));
      strip.append(thumb);
    }
    if (!selected && strip.firstChild) strip.firstChild.click();
  }).catch(() => { strip.textContent = "The digits could not be loaded."; });

  paintPad();
  return { selected: () => selected };
}
