/**
 * Input pictures for the conv view: small built-in images drawn in code (digit-like strokes,
 * edges, a checkerboard) so that edge and blur filters mean something, and the student's own
 * uploaded image, turned into a small (C, H, W) array in the browser with a canvas.
 * Values are pixel intensities in [0, 1] rounded to 3 decimals.
 */

/** Names and labels of the built-in pictures. */
export const PICTURES = {
  seven: "digit 7",
  one: "digit 1",
  zero: "digit 0",
  cross: "cross",
  vedge: "vertical edge",
  hedge: "horizontal edge",
  diagonal: "diagonal edge",
  checker: "checkerboard",
};

/** Draw one picture on a W x H 2D context, strokes in `ink` on `paper`. */
function drawPicture(ctx, name, width, height, ink, paper) {
  ctx.fillStyle = paper;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = ink;
  ctx.strokeStyle = ink;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.lineWidth = Math.max(1, Math.min(width, height) * 0.16);
  const x = (u) => u * width;
  const y = (v) => v * height;
  const stroke = (points) => {
    ctx.beginPath();
    ctx.moveTo(x(points[0][0]), y(points[0][1]));
    for (const [u, v] of points.slice(1)) ctx.lineTo(x(u), y(v));
    ctx.stroke();
  };
  if (name === "seven") stroke([[0.2, 0.2], [0.8, 0.2], [0.42, 0.85]]);
  else if (name === "one") { stroke([[0.35, 0.3], [0.55, 0.15], [0.55, 0.85]]); }
  else if (name === "zero") {
    ctx.beginPath();
    ctx.ellipse(x(0.5), y(0.5), width * 0.26, height * 0.34, 0, 0, 2 * Math.PI);
    ctx.stroke();
  } else if (name === "cross") { stroke([[0.5, 0.15], [0.5, 0.85]]); stroke([[0.15, 0.5], [0.85, 0.5]]); }
  else if (name === "vedge") ctx.fillRect(Math.floor(width / 2), 0, width, height);
  else if (name === "hedge") ctx.fillRect(0, Math.floor(height / 2), width, height);
  else if (name === "diagonal") {
    ctx.beginPath();
    ctx.moveTo(width, 0); ctx.lineTo(width, height); ctx.lineTo(0, height);
    ctx.closePath();
    ctx.fill();
  } else if (name === "checker") {
    const cell = Math.max(1, Math.round(Math.min(width, height) / 4));
    for (let r = 0; r < height; r += cell) {
      for (let c = 0; c < width; c += cell) {
        if (((r + c) / cell) % 2 === 0) ctx.fillRect(c, r, cell, cell);
      }
    }
  }
}

/** A canvas of the given size with image smoothing on (for downscaling photos). */
function canvasOf(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

const round3 = (v) => Math.round(v * 1000) / 1000;

/**
 * Pixels of a canvas as a nested list (C, H, W): three channels are R, G, B; any other
 * depth repeats the grey level (0.299 R + 0.587 G + 0.114 B) in every channel.
 */
function pixelsToVolume(canvas, depth) {
  const { width, height } = canvas;
  const data = canvas.getContext("2d", { willReadFrequently: true }).getImageData(0, 0, width, height).data;
  const channel = (pick) => Array.from({ length: height }, (_, r) =>
    Array.from({ length: width }, (_, c) => round3(pick(4 * (r * width + c)) / 255)));
  if (depth === 3) return [0, 1, 2].map((k) => channel((i) => data[i + k]));
  const grey = channel((i) => Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]));
  return Array.from({ length: depth }, () => grey);
}

/** A built-in picture as a (C, H, W) nested list; in colour when C is 3. */
export function makeImage(name, depth, height, width) {
  const canvas = canvasOf(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const colour = depth === 3;
  drawPicture(ctx, name in PICTURES ? name : "seven", width, height,
    colour ? "#ff9a1f" : "#ffffff", colour ? "#1d3b80" : "#000000");
  return pixelsToVolume(canvas, depth);
}

/** Decode an uploaded image file; resolves to something a canvas can draw. */
export async function readUpload(file) {
  return createImageBitmap(file);
}

/** An uploaded image resized to W x H, as a (C, H, W) nested list (RGB when C is 3). */
export function rasterize(bitmap, depth, height, width) {
  const canvas = canvasOf(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, width, height);
  return pixelsToVolume(canvas, depth);
}
