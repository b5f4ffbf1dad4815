/**
 * A play / pause / step / speed control for stepping through a sequence of `total` steps,
 * like the graph view's timeline. The position is a float in [0, total]: its integer part
 * is the number of steps done, its fraction how far the animation is towards the next one.
 * Playing advances it from requestAnimationFrame at `speed` steps per second.
 */
import { el } from "./dom.js";

const SPEEDS = [
  [1, "slow: 1 step/s"], [2, "2 steps/s"], [4, "normal: 4 steps/s"], [8, "8 steps/s"],
  [16, "16 steps/s"], [64, "64 steps/s"], [256, "256 steps/s"],
];
export const NORMAL_SPEED = 4;

/**
 * prefix: test-id prefix ("conv" gives conv-play, conv-step-forward...). onChange(position)
 * runs after every change, once per animation frame while playing.
 */
export function createTimeline(host, { prefix, label, onChange }) {
  let total = 0;
  let position = 0;
  let speed = NORMAL_SPEED;
  let playing = false;
  let last = null;
  let frame = null;

  const button = (id, text, title, action) => el("button", {
    type: "button", class: "conv-btn", testid: `${prefix}-${id}`, title, "aria-label": title, text,
    on: { click: action },
  });
  const start = button("step-start", "|◀ start", "back to the start", () => go(0));
  const back = button("step-back", "◀ back", "one step back", () => go(Math.ceil(position) - 1));
  const play = button("play", "▶ play", "play / pause", () => (playing ? stop() : resume()));
  const forward = button("step-forward", "step ▶", "one step forward", () => go(Math.floor(position) + 1));
  const end = button("step-end", "end ▶|", "to the end", () => go(total));
  const speedSelect = el("select", { testid: `${prefix}-speed`, title: "speed", on: { change: () => { speed = Number(speedSelect.value); } } },
    SPEEDS.map(([value, text]) => el("option", { value, text, selected: value === speed })));
  const where = el("span", { class: "conv-position", testid: `${prefix}-position` });
  host.append(el("div", { class: "conv-timeline", role: "group", "aria-label": label },
    [start, back, play, forward, end, speedSelect, where]));

  /** Write the step label and play button, touching the DOM only when they change. */
  function show() {
    const text = `step ${Math.floor(position)} of ${total}`;
    if (where.textContent !== text) where.textContent = text;
    const label = playing ? "❚❚ pause" : "▶ play";
    if (play.textContent !== label) {
      play.textContent = label;
      play.dataset.playing = playing ? "1" : "0";
    }
  }

  function go(next) {
    pause();
    position = Math.max(0, Math.min(total, next));
    show();
    onChange(position);
  }

  function tick(now) {
    if (!playing) return;
    const dt = last === null ? 0 : Math.min(0.1, (now - last) / 1000);
    last = now;
    position = Math.min(total, position + dt * speed);
    if (position >= total) playing = false;
    show();
    onChange(position);
    if (playing) frame = requestAnimationFrame(tick);
  }

  function resume() {
    if (total === 0) return;
    if (position >= total) position = 0;
    playing = true;
    last = null;
    show();
    frame = requestAnimationFrame(tick);
  }

  /** Pause on the last finished step, so the window, the sum and the map agree. */
  function stop() {
    pause();
    position = Math.floor(position);
    show();
    onChange(position);
  }

  function pause() {
    playing = false;
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    show();
  }

  /** A new sequence: back to step 0, paused. */
  function reset(nextTotal) {
    pause();
    total = nextTotal;
    position = 0;
    show();
  }

  function setEnabled(on) {
    for (const b of [start, back, play, forward, end]) b.disabled = !on;
    if (!on) pause();
  }

  /** Keyboard stepping for instructors: arrows step, space plays, Home/End jump. */
  function onKey(event) {
    const keys = { ArrowRight: () => go(Math.floor(position) + 1), ArrowLeft: () => go(Math.ceil(position) - 1),
      " ": () => (playing ? stop() : resume()), Home: () => go(0), End: () => go(total) };
    if (!keys[event.key] || play.disabled) return false;
    keys[event.key]();
    return true;
  }

  return {
    reset, setEnabled, onKey, pause, go,
    get position() { return position; },
    get playing() { return playing; },
    setSpeed(value) { speed = value; speedSelect.value = String(value); },
  };
}
