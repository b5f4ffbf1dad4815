/**
 * Share and export: copy a link that reopens this graph at this step, save the drawing
 * as SVG or PNG, and download the trace JSON. Everything stays in the browser (blob URLs).
 */

function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Put the current address in the link box (selected) and on the clipboard when allowed. */
export function copyLink(box, field, status) {
  field.value = location.href;
  box.hidden = false;
  field.focus();
  field.select();
  status.textContent = "Link ready: it reopens this graph at this step.";
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(location.href).then(
      () => { status.textContent = "Link copied: it reopens this graph at this step."; },
      () => { status.textContent = "Press Ctrl+C to copy the link: it reopens this graph at this step."; });
  }
}

export function exportSVG(svgText) {
  download("chainrule-graph.svg", new Blob([svgText], { type: "image/svg+xml" }));
}

/** Rasterise the standalone SVG at twice its size (capped) on `background` and save it as PNG. */
export function exportPNG(svgText, size, background) {
  return new Promise((resolve, reject) => {
    const scale = Math.min(2, 8000 / Math.max(size.width, size.height));
    const img = new Image();
    const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
    img.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = Math.ceil(size.width * scale);
      canvas.height = Math.ceil(size.height * scale);
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = background;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      canvas.toBlob((blob) => {
        if (!blob) return reject(new Error("the browser could not draw the PNG"));
        download("chainrule-graph.png", blob);
        resolve();
      }, "image/png");
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error("the browser could not draw the SVG"));
    };
    img.src = url;
  });
}

export function downloadTrace(trace) {
  download("chainrule-trace.json", new Blob([JSON.stringify(trace, null, 2)], { type: "application/json" }));
}
