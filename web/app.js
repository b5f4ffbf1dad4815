/**
 * The page shell: the header's two tabs, "Graph" and "Convolution". The hash decides the
 * view: "#conv" (optionally "#conv&...") shows the convolution view, anything else the
 * graph view ("#g=..." holds its state). The conv view is loaded on first showing.
 */
import { mountGraphView } from "./graph/controller.js";
import { flushHash } from "./state.js";

const chrome = document.querySelector("header.app-header");
const graphRoot = document.getElementById("graph-view");
const convRoot = document.getElementById("conv-root");
const tabs = {
  graph: chrome.querySelector('[data-tab="graph"]'),
  conv: chrome.querySelector('[data-tab="conv"]'),
};
let graph = null;
let convMounted = false;
let lastGraphHash = "";

function isConvHash(hash) {
  return hash === "#conv" || hash.startsWith("#conv&");
}

function mountConv() {
  if (convMounted) return;
  convMounted = true;
  document.body.dataset.state = "busy";
  import("./conv/view.js")
    .then((m) => m.mountConvView(convRoot))
    .catch(() => {
      convRoot.textContent = "The convolution view could not be loaded.";
      document.body.dataset.state = "ready";
    });
}

function show(view) {
  const conv = view === "conv";
  graphRoot.hidden = conv;
  convRoot.hidden = !conv;
  document.body.classList.toggle("view-conv", conv);
  document.body.classList.toggle("view-graph", !conv);
  for (const [name, tab] of Object.entries(tabs)) {
    tab.classList.toggle("active", name === view);
    tab.setAttribute("aria-selected", String(name === view));
  }
  if (conv) mountConv();
  else if (!graph) graph = mountGraphView(graphRoot, chrome);
  else requestAnimationFrame(() => graph.fit());
}

function route() {
  if (isConvHash(location.hash)) return show("conv");
  const mounted = graph !== null;  // a new graph view opens the hash itself once loaded
  show("graph");
  if (mounted) graph.openHash();
}

tabs.graph.addEventListener("click", (ev) => {
  ev.preventDefault();
  if (isConvHash(location.hash)) history.pushState(null, "", lastGraphHash || location.pathname);
  show("graph");
});
tabs.conv.addEventListener("click", (ev) => {
  ev.preventDefault();
  if (!isConvHash(location.hash)) {
    flushHash();
    lastGraphHash = location.hash;
    location.hash = "#conv";
  }
});
window.addEventListener("hashchange", route);
route();
