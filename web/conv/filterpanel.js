/**
 * The current filter's weights and bias as small coloured tables, one per channel: the
 * student sees what slides over the picture. Values are the API's `weights[k]` (C, FH, FW)
 * and `bias[k]`; colours are the page's one diverging scheme.
 */
import { el } from "../lib/dom.js";
import { allIntegers, fmt } from "../lib/format.js";
import { cellRgb, rgbCss, textOn, rangeOf } from "../lib/heatmap.js";
import { channelName } from "./grid.js";

const MAX_CHANNELS = 4;

export function renderFilterPanel(host, resp, k) {
  if (!resp.weights.length) {
    host.replaceChildren(el("div", { class: "conv-note", text: "No filter: max pooling has no weights." }));
    return;
  }
  const w = resp.weights[k];
  const range = rangeOf(resp.weights);
  const ints = allIntegers(w);
  const [fh, fw] = resp.size;
  const px = fh * fw > 25 || (w.length > 1 && fh * fw > 9) ? 16 : fh * fw > 9 ? 26 : 36;
  const tables = w.slice(0, MAX_CHANNELS).map((channel, c) => el("table", { class: "conv-weights" }, [
    el("caption", { text: channelName(c, w.length) }),
    el("tbody", {}, channel.map((row) => el("tr", {}, row.map((v) => {
      const rgb = cellRgb(v, range);
      return el("td", { title: String(v), style: { background: rgbCss(rgb), color: textOn(rgb), width: `${px}px`, height: `${px}px` },
        text: px >= 26 ? fmt(v, ints) : "" });
    })))),
  ]));
  const more = w.length > MAX_CHANNELS ? [el("div", { class: "conv-note", text: `…and ${w.length - MAX_CHANNELS} more channels` })] : [];
  host.replaceChildren(
    el("div", { class: "conv-filter-title", text: `filter ${k}: ${fh}×${fw}×${w.length}` }),
    el("div", { class: "conv-filter-tables" }, tables),
    ...more,
    el("div", { class: "conv-bias", text: `bias b[${k}] = ${fmt(resp.bias[k], allIntegers(resp.bias))}` }),
  );
}
