/**
 * The one timeline both views step with: start, back, play / pause, forward, end, a
 * scrubber, a speed menu and the step label, plus the keys (←/→, space, Home/End).
 *
 * The position is a number in [0, total]: its whole part is the number of steps done,
 * its fraction how far the animation is towards the next one. Playing advances it from
 * requestAnimationFrame at `rate × speed` steps per second.
 *   smooth: true   onChange(position) every frame while playing (the conv window glides)
 *   smooth: false  onChange(step, {animate}) once per whole step (the graph's gates)
 * It owns only "where"; whoever creates it draws that place.
 */
import { el, svgEl } from "./dom.js";

const ICONS = {
  start: "M6 5h2v14H6zM20 5v14L9 12z",
  back: "M17 5v14L6 12z",
  play: "M7 4v16l13-8z",
  pause: "M6 4h4v16H6zM14 4h4v16h-4z",
  forward: "M7 5v14l11-7z",
  end: "M4 5v14l11-7zM16 5h2v14h-2z",
};

function icon(name) {
  const svg = svgEl("svg", { viewBox: "0 0 24 24", "aria-hidden": "true", class: `icon icon-${name}` });
  svgEl("path", { d: ICONS[name] }, svg);
  return svg;
}

/**
 * host: the element to fill (it gets data-step). Options: prefix of the test ids ("conv"
 * gives conv-play...; "" gives play...), label (what is being stepped, for screen readers),
 * labelId (test id of the step label), speeds [[value, text]], speed (initial value), rate
 * (steps per second at speed 1), smooth, onChange.
 */
export function createTimeline(host, { prefix = "", label = "steps", labelId = null, speeds, speed,
  rate = 1, smooth = false, onChange }) {
  const id = (name) => (prefix ? `${prefix}-${name}` : name);
  let total = 0;
  let position = 0;
  let playing = false;
  let last = null;
  let frame = null;
  let title = (s, n) => `step ${s} of ${n}`;

  const button = (name, text, keyHint, action, cls = "") => el("button", {
    type: "button", class: `tl-btn ${cls}`.trim(), testid: id(name), title: `${text} (${keyHint})`, "aria-label": text,
    on: { click: action },
  }, [icon(name === "step-start" ? "start" : name === "step-back" ? "back" : name === "step-end" ? "end" : name === "play" ? "play" : "forward")]);
  const start = button("step-start", "Start", "Home", () => go(0));
  const back = button("step-back", "Step back", "←", () => go(Math.ceil(position) - 1));
  const play = button("play", "Play", "space", () => toggle(), "tl-play");
  play.append(icon("pause"));
  play.setAttribute("aria-pressed", "false");
  const forward = button("step-forward", "Step forward", "→", () => go(Math.floor(position) + 1, { animate: true }));
  const end = button("step-end", "End", "End", () => go(total));
  const scrubber = el("input", { type: "range", min: 0, max: 0, step: 1, value: 0, testid: id("scrubber"),
    class: "tl-scrubber", "aria-label": `${label}: step` });
  scrubber.addEventListener("input", () => go(Number(scrubber.value)));
  const speedMenu = el("select", { testid: id("speed"), class: "tl-speed", "aria-label": "speed", title: "speed" },
    speeds.map(([value, text]) => el("option", { value, text, selected: String(value) === String(speed) })));
  const where = el("span", { class: "tl-label", testid: labelId || id("position"), "aria-live": "off" });
  host.classList.add("timeline");
  host.setAttribute("role", "group");
  host.setAttribute("aria-label", label);
  host.replaceChildren(el("div", { class: "tl-buttons" }, [start, back, play, forward, end]), scrubber, where,
    el("label", { class: "tl-speed-label" }, [el("span", { class: "tl-speed-word", text: "speed" }), speedMenu]));

  const whole = () => Math.floor(position + 1e-9);

  /** Write the controls, touching the DOM only where something changed. */
  function refresh() {
    const s = whole();
    const text = title(s, total);
    if (where.textContent !== text) where.textContent = text;
    if (scrubber.max !== String(total)) scrubber.max = String(total);
    if (scrubber.value !== String(s)) scrubber.value = String(s);
    if (host.dataset.step !== String(s)) host.dataset.step = String(s);
    const off = host.classList.contains("tl-off");
    start.disabled = back.disabled = off || position <= 0;
    forward.disabled = end.disabled = off || position >= total;
    play.disabled = off || total === 0;
    scrubber.disabled = off || total === 0;
    play.classList.toggle("playing", playing);
    play.setAttribute("aria-pressed", String(playing));
    play.setAttribute("aria-label", playing ? "Pause" : "Play");
    play.title = playing ? "Pause (space)" : "Play (space)";
    play.dataset.playing = playing ? "1" : "0";
    host.classList.toggle("playing", playing);
  }

  function stepsPerSecond() {
    return rate * (Number(speedMenu.value) || 1);
  }

  function emit(animate) {
    if (smooth) onChange(position, { animate });
    else onChange(whole(), { animate });
  }

  /** Jump to step `next` (paused). */
  function go(next, { animate = false } = {}) {
    pause();
    position = Math.max(0, Math.min(total, Math.round(next)));
    refresh();
    emit(animate);
  }

  function tick(now) {
    if (!playing) return;
    const dt = last === null ? 0 : Math.min(0.25, (now - last) / 1000);
    last = now;
    const before = whole();
    position = Math.min(total, position + dt * stepsPerSecond());
    if (position >= total) playing = false;
    refresh();
    if (smooth) onChange(position, { animate: true });
    else if (whole() !== before) onChange(whole(), { animate: true });
    if (playing) frame = requestAnimationFrame(tick);
  }

  /** Play from here; at the end, from the start. A whole-step timeline shows the next step at once. */
  function resume() {
    if (total === 0) return;
    if (position >= total) position = 0;
    if (!smooth) {
      position = whole() + 1;
      refresh();
      emit(true);
      if (position >= total) return;
    }
    playing = true;
    last = null;
    refresh();
    frame = requestAnimationFrame(tick);
  }

  /** Pause on the last finished step, so everything on screen agrees. */
  function stop() {
    pause();
    position = whole();
    refresh();
    emit(false);
  }

  function pause() {
    playing = false;
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    refresh();
  }

  function toggle() {
    if (playing) stop();
    else resume();
  }

  /** ←/→ step, space plays or pauses, Home/End jump. Returns whether the key was used. */
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    if (event.target.closest && event.target.closest("input, textarea, select, [contenteditable]")) return false;
    const keys = {
      ArrowRight: () => go(Math.floor(position) + 1, { animate: true }), ArrowLeft: () => go(Math.ceil(position) - 1),
      " ": toggle, Home: () => go(0), End: () => go(total),
    };
    if (!keys[event.key] || play.disabled) return false;
    event.preventDefault();
    keys[event.key]();
    return true;
  }

  /** A new sequence of `n` steps, paused at `at`; `titleOf(step, n)` words the label. */
  function reset(n, { at = 0, titleOf = null } = {}) {
    // the new length and place first: the label must never ask for a step the new sequence lacks
    total = n;
    if (titleOf) title = titleOf;
    position = Math.max(0, Math.min(total, at));
    pause();
  }

  function setEnabled(on) {
    if (!on) pause();
    host.classList.toggle("tl-off", !on);
    refresh();
  }

  refresh();
  return {
    reset, go, onKey, pause, setEnabled, toggle,
    step: whole,
    last: () => total,
    get position() { return position; },
    get playing() { return playing; },
    setSpeed(value) { speedMenu.value = String(value); },
  };
}
