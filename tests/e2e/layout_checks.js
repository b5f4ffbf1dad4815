({minPx, bigPx, bigSelector}) => {
  const vw = innerWidth, vh = innerHeight;
  const problems = [];
  const seen = [];
  const skip = (el) => el.closest("input, select, textarea, option, script, style, title, .travel, [aria-hidden=true] .visually-hidden");
  const visible = (el) => {
    if (!el.isConnected || el.closest("[hidden]")) return false;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === "none" || cs.visibility === "hidden" || parseFloat(cs.opacity) < 0.05) return false;
      const up = e.parentElement;
      if (up && up.tagName === "DETAILS" && !up.open && e.tagName !== "SUMMARY") return false;
    }
    return true;
  };
  const onScreen = (r) => r.width > 0.5 && r.height > 0.5 && r.right > 0 && r.bottom > 0 && r.left < vw && r.top < vh;
  const name = (el) => {
    const id = el.closest("[data-testid]");
    return `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : ""}`
      + (id ? ` in ${id.dataset.testid}` : "");
  };
  /** The box of the nearest scrolling ancestor: text scrolled out of it is out of view. */
  const scroller = (el) => {
    // the text's own box may be a window scrolled in step with another (the editor's gutter)
    const own = getComputedStyle(el);
    if (/(hidden|auto|scroll)/.test(own.overflowX + own.overflowY) && el.scrollHeight > el.clientHeight + 1) {
      return el.getBoundingClientRect();
    }
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (/(auto|scroll)/.test(cs.overflowX + cs.overflowY)) return e.getBoundingClientRect();
    }
    return null;
  };
  /** The nearest ancestor that clips its content (overflow hidden / clip), or null. */
  const clipper = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (/(hidden|clip)/.test(cs.overflowX + cs.overflowY)) return e;
      if (/(auto|scroll)/.test(cs.overflowX + cs.overflowY)) return null;
    }
    return null;
  };
  const add = (el, rect, px, text) => {
    if (!onScreen(rect)) return;
    seen.push({ el, rect, px, text });
  };
  // HTML text
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.textContent.trim() && n.parentElement && !n.parentElement.closest("svg") ? 1 : 2),
  });
  const range = document.createRange();
  const visCache = new Map();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (skip(el)) continue;
    if (!visCache.has(el)) visCache.set(el, visible(el));
    if (!visCache.get(el)) continue;
    range.selectNodeContents(n);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0.5);
    if (!rects.length) continue;
    const box = rects.reduce((a, r) => ({ left: Math.min(a.left, r.left), top: Math.min(a.top, r.top),
      right: Math.max(a.right, r.right), bottom: Math.max(a.bottom, r.bottom) }),
      { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity });
    box.width = box.right - box.left; box.height = box.bottom - box.top;
    const view = scroller(el);
    const ownWindow = view && el.scrollHeight > el.clientHeight + 1;
    if (view) {
      const left = Math.max(box.left, view.left), right = Math.min(box.right, view.right);
      const top = Math.max(box.top, view.top), bottom = Math.min(box.bottom, view.bottom);
      if (right <= left || bottom <= top) continue;   // scrolled out of view
      Object.assign(box, { left, right, top, bottom, width: right - left, height: bottom - top });
    }
    add(el, box, parseFloat(getComputedStyle(el).fontSize), n.textContent.trim());
    // cut off: the text reaches outside a container that hides overflow
    const clip = ownWindow ? null : clipper(el);
    if (clip && onScreen(box)) {
      const c = clip.getBoundingClientRect();
      if (box.right > c.right + 1.5 || box.left < c.left - 1.5 || box.bottom > c.bottom + 1.5 || box.top < c.top - 1.5) {
        problems.push(`cut off: "${n.textContent.trim().slice(0, 40)}" (${name(el)}) outside ${name(clip)}`);
      }
    }
  }
  // SVG text (the graph, Plotly figures, drawings)
  const intersect = (r, c) => {
    const left = Math.max(r.left, c.left), top = Math.max(r.top, c.top);
    const right = Math.min(r.right, c.right), bottom = Math.min(r.bottom, c.bottom);
    return right > left && bottom > top ? { left, top, right, bottom, width: right - left, height: bottom - top } : null;
  };
  const wrap = document.querySelector(".graph-wrap");
  const wrapRect = wrap && wrap.getBoundingClientRect();
  const drawing = wrap && wrap.querySelector("g.viewport");
  const d = drawing && drawing.getBoundingClientRect();
  // a drawing larger than its window is a map one pans: what lies past the edge is out of view
  const panned = d && (d.left < wrapRect.left - 1 || d.right > wrapRect.right + 1 || d.top < wrapRect.top - 1 || d.bottom > wrapRect.bottom + 1);
  for (const t of document.querySelectorAll("svg text")) {
    if (!t.textContent.trim() || skip(t) || !visible(t)) continue;
    let r = t.getBoundingClientRect();
    const ctm = t.getScreenCTM();
    const scale = ctm ? Math.hypot(ctm.a, ctm.b) : 1;
    const inGraph = wrap && wrap.contains(t);
    if (inGraph) {
      const shown = intersect(r, wrapRect);  // the graph's box clips its drawing
      if (!shown) continue;
      if (!panned && (shown.width < r.width - 1.5 || shown.height < r.height - 1.5)) {
        problems.push(`cut off: "${t.textContent.trim().slice(0, 40)}" (${name(t)}) at the edge of the graph`);
      }
      r = shown;
    } else {
      const plot = t.closest(".conv-plot");
      const c = plot && plot.getBoundingClientRect();
      if (c && onScreen(r) && (r.right > c.right + 1.5 || r.left < c.left - 1.5 || r.bottom > c.bottom + 1.5 || r.top < c.top - 1.5)) {
        problems.push(`cut off: "${t.textContent.trim().slice(0, 40)}" (${name(t)}) outside its figure`);
      }
    }
    add(t, r, parseFloat(getComputedStyle(t).fontSize) * scale, t.textContent.trim());
  }
  // sizes
  for (const s of seen) {
    const need = bigSelector && s.el.closest(bigSelector) ? bigPx : minPx;
    if (s.px < need - 0.25) problems.push(`small: "${s.text.slice(0, 40)}" (${name(s.el)}) ${s.px.toFixed(1)}px < ${need}px`);
  }
  // overlaps between labels that are not the same box or nested
  const inset = 1.5;
  for (let i = 0; i < seen.length; i++) {
    const a = seen[i];
    for (let j = i + 1; j < seen.length; j++) {
      const b = seen[j];
      if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const w = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
      const h = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
      if (w > inset && h > inset) {
        problems.push(`overlap: "${a.text.slice(0, 30)}" (${name(a.el)}) and "${b.text.slice(0, 30)}" (${name(b.el)})`);
      }
    }
  }
  const sw = document.documentElement.scrollWidth;
  if (sw > vw + 1) problems.push(`horizontal scroll: the page is ${sw}px wide in a ${vw}px window`);
  return { problems: [...new Set(problems)], labels: seen.length };
}
