/**
 * The page shell: the header's tabs, "Graph", "Convolution" and "Network". The hash decides
 * the view: "#conv" (optionally "#conv&...") shows the convolution view, "#net" the network
 * view, anything else the graph view ("#g=..." holds its state). The conv and network
 * views are loaded on first showing.
 */
import { mountGraphView } from "./graph/controller.js";
import { flushHash } from "./state.js";

const chrome = document.querySelector("header.app-header");
const graphRoot = document.getElementById("graph-view");
const convRoot = document.getElementById("conv-root");
const netRoot = document.getElementById("net-root");
const tabs = {
  graph: chrome.querySelector('[data-tab="graph"]'),
  conv: chrome.querySelector('[data-tab="conv"]'),
  net: chrome.querySelector('[data-tab="net"]'),
};
let netMounted = false;
let graph = null;
let convMounted = false;
let lastGraphHash = "";

function isConvHash(hash) {
  return hash === "#conv" || hash.startsWith("#conv&");
}

function isNetHash(hash) {
  return hash === "#net" || hash.startsWith("#net&");
}

function mountNet() {
  if (netMounted) return;
  netMounted = true;
  document.body.dataset.state = "busy";
  import("./net/view.js")
    .then((m) => m.mountNetView(netRoot))
    .catch(() => {
      netRoot.textContent = "The network view could not be loaded.";
      document.body.dataset.state = "ready";
    });
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
  const net = view === "net";
  graphRoot.hidden = conv || net;
  convRoot.hidden = !conv;
  netRoot.hidden = !net;
  document.body.classList.toggle("view-conv", conv);
  document.body.classList.toggle("view-net", net);
  document.body.classList.toggle("view-graph", !conv && !net);
  for (const [name, tab] of Object.entries(tabs)) {
    tab.classList.toggle("active", name === view);
    tab.setAttribute("aria-selected", String(name === view));
  }
  if (conv) mountConv();
  else if (net) mountNet();
  else if (!graph) graph = mountGraphView(graphRoot, chrome);
  else requestAnimationFrame(() => graph.fit());
}

function route() {
  if (isConvHash(location.hash)) return show("conv");
  if (isNetHash(location.hash)) return show("net");
  const mounted = graph !== null;  // a new graph view opens the hash itself once loaded
  show("graph");
  if (mounted) graph.openHash();
}

tabs.graph.addEventListener("click", (ev) => {
  ev.preventDefault();
  if (isConvHash(location.hash) || isNetHash(location.hash)) history.pushState(null, "", lastGraphHash || location.pathname);
  show("graph");
});
tabs.conv.addEventListener("click", (ev) => {
  ev.preventDefault();
  if (!isConvHash(location.hash)) {
    if (!isNetHash(location.hash)) { flushHash(); lastGraphHash = location.hash; }
    location.hash = "#conv";
  }
});
tabs.net.addEventListener("click", (ev) => {
  ev.preventDefault();
  if (!isNetHash(location.hash)) {
    if (!isConvHash(location.hash)) { flushHash(); lastGraphHash = location.hash; }
    location.hash = "#net";
  }
});
window.addEventListener("hashchange", route);
route();
