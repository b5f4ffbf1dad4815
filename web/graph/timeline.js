/**
 * The timeline: start, step back, play/pause, step forward, end, a scrubber and a speed
 * menu, plus the keyboard (←/→, space, Home/End). It owns only "which step"; whoever
 * creates it draws the step in onStep(step, {animate}).
 */
import { TIMING } from "../config.js";

const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);

export function createTimeline(root, { onStep }) {
  const q = (id) => root.querySelector(`[data-testid="${id}"]`);
  const buttons = {
    start: q("step-start"), back: q("step-back"), play: q("play"),
    forward: q("step-forward"), end: q("step-end"),
  };
  const scrubber = q("scrubber");
  const speedMenu = q("speed");
  const label = q("step-label");
  let last = 0;
  let step = 0;
  let timer = null;
  let titleOf = () => "";

  function refresh() {
    scrubber.max = String(last);
    scrubber.value = String(step);
    buttons.start.disabled = buttons.back.disabled = step <= 0;
    buttons.forward.disabled = buttons.end.disabled = step >= last;
    buttons.play.disabled = last === 0;
    label.textContent = titleOf(step);
    root.dataset.step = String(step);
  }

  function go(s, { animate = false } = {}) {
    step = Math.max(0, Math.min(last, s));
    refresh();
    onStep(step, { animate });
  }

  function setPlaying(on) {
    clearTimeout(timer);
    timer = null;
    buttons.play.classList.toggle("playing", on);
    buttons.play.setAttribute("aria-pressed", String(on));
    buttons.play.title = on ? "Pause (space)" : "Play (space)";
    root.classList.toggle("playing", on);
    if (on) tick();
  }

  function tick() {
    const speed = Number(speedMenu.value) || 1;
    timer = setTimeout(() => {
      if (step >= last) return setPlaying(false);
      go(step + 1, { animate: true });
      if (step >= last) setPlaying(false);
      else tick();
    }, TIMING.stepMs / speed);
  }

  const actions = {
    start: () => { setPlaying(false); go(0); },
    back: () => { setPlaying(false); go(step - 1); },
    forward: () => { setPlaying(false); go(step + 1, { animate: true }); },
    end: () => { setPlaying(false); go(last); },
    toggle: () => {
      if (timer) return setPlaying(false);
      if (step >= last) go(0);
      else go(step + 1, { animate: true });
      if (step < last) setPlaying(true);
    },
  };
  buttons.start.addEventListener("click", actions.start);
  buttons.back.addEventListener("click", actions.back);
  buttons.forward.addEventListener("click", actions.forward);
  buttons.end.addEventListener("click", actions.end);
  buttons.play.addEventListener("click", actions.toggle);
  scrubber.addEventListener("input", () => { setPlaying(false); go(Number(scrubber.value)); });

  /** ←/→ step, space plays or pauses, Home/End jump; ignored while typing in a field. */
  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || TYPING.has(ev.target.tagName)) return false;
    const handlers = { ArrowRight: actions.forward, ArrowLeft: actions.back, " ": actions.toggle,
      Home: actions.start, End: actions.end };
    const handler = handlers[ev.key];
    if (!handler || last === 0) return false;
    ev.preventDefault();
    handler();
    return true;
  }

  /** A new graph: `lastStep` steps, titles from `title(step)`, start at `at`. */
  function reset(lastStep, title, at = 0) {
    setPlaying(false);
    last = lastStep;
    titleOf = title;
    go(at);
  }

  refresh();
  return { reset, go, onKey, pause: () => setPlaying(false), step: () => step, last: () => last };
}
