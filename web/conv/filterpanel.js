/**
 * The current filter's weights and bias drawn as small coloured tables, one per channel,
 * beside the input grid: the student sees what slides over the picture. Values are the
 * API's `weights[k]` (C, FH, FW) and `bias[k]`.
 */
import { el, fmt } from "./dom.js";
import { cellRgb, rgbCss, textOn, rangeOf } from "./palette.js";

const MAX_CHANNELS = 4;

export function renderFilterPanel(host, resp, k) {
  if (!resp.weights.length) {
    host.replaceChildren(el("div", { class: "conv-note", text: "No filter: max pooling has no weights." }));
    return;
  }
  const w = resp.weights[k];
  const range = rangeOf(resp.weights);
  const [fh, fw] = resp.size;
  const px = fh * fw > 49 ? 22 : 34;
  const tables = w.slice(0, MAX_CHANNELS).map((channel, c) => el("table", { class: "conv-weights" }, [
    el("caption", { text: w.length === 3 ? `channel ${c} (${"RGB"[c]})` : `channel ${c}` }),
    el("tbody", {}, channel.map((row) => el("tr", {}, row.map((v) => {
      const rgb = cellRgb(v, range, "value");
      return el("td", { title: String(v), style: { background: rgbCss(rgb), color: textOn(rgb), width: `${px}px`, height: `${px}px` },
        text: px >= 30 ? fmt(v, 2) : "" });
    })))),
  ]));
  const more = w.length > MAX_CHANNELS ? [el("div", { class: "conv-note", text: `…and ${w.length - MAX_CHANNELS} more channels` })] : [];
  host.replaceChildren(
    el("div", { class: "conv-filter-title", text: `filter ${k + 1} of ${resp.weights.length}: ${fh}×${fw}×${w.length}` }),
    el("div", { class: "conv-filter-tables" }, tables),
    ...more,
    el("div", { class: "conv-bias", text: `bias b = ${fmt(resp.bias[k], 4)}` }),
  );
}
