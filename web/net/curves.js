/**
 * Loss and accuracy curves in Plotly, train and test, extended point by point as the
 * training run streams them (TensorFlow Playground's loss chart, with accuracy beside it).
 * Colours are the theme's: train in the accent colour, test in the gradient red.
 */
import { token } from "../lib/theme.js";

const CONFIG = { displayModeBar: false, responsive: true };

function layout(title, yaxis) {
  const ink = token("--ink");
  const grid = token("--line");
  return {
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: ink },
    title: { text: title, font: { size: 13 } }, margin: { l: 44, r: 10, t: 28, b: 34 }, height: 210,
    xaxis: { title: { text: "epochs", font: { size: 11 } }, zeroline: false, gridcolor: grid },
    yaxis: { ...yaxis, gridcolor: grid }, legend: { orientation: "h", y: -0.32, font: { size: 11 } }, showlegend: true,
  };
}

function traces() {
  return [
    { x: [], y: [], name: "train", mode: "lines", line: { color: token("--accent") } },
    { x: [], y: [], name: "test", mode: "lines", line: { color: token("--grad") } },
  ];
}

/** createCurves(lossDiv, accuracyDiv): {reset(), add(point), points()} */
export function createCurves(lossDiv, accuracyDiv) {
  let count = 0;

  function reset() {
    count = 0;
    window.Plotly.newPlot(lossDiv, traces(), layout("loss", { rangemode: "tozero" }), CONFIG);
    window.Plotly.newPlot(accuracyDiv, traces(), layout("accuracy", { range: [0, 1.02] }), CONFIG);
  }

  /** Streamed points {epochs_done, loss, train_accuracy, test_loss, test_accuracy}, drawn
   * in one Plotly call per curve however many arrived since the last frame. */
  function add(...points) {
    if (!points.length) return;
    const x = points.map((p) => p.epochs_done);
    window.Plotly.extendTraces(lossDiv, { x: [x, x], y: [points.map((p) => p.loss ?? null), points.map((p) => p.test_loss)] }, [0, 1]);
    window.Plotly.extendTraces(accuracyDiv, { x: [x, x], y: [points.map((p) => p.train_accuracy ?? null), points.map((p) => p.test_accuracy)] }, [0, 1]);
    count += points.length;
    lossDiv.dataset.points = String(count);
  }

  reset();
  return { reset, add, points: () => count };
}
