/**
 * The page shell: the header (views, API docs, theme), the phone drawer and routing. The
 * hash decides the view: "#conv" (or "#conv&...") shows the convolution view, "#net" the
 * network view, anything else the graph view ("#g=..." holds its state). The conv and
 * network views are loaded on first showing.
 */
import { mountGraphView } from "./graph/controller.js";
import { flushHash, viewOf } from "./lib/hash.js";
import { initTheme } from "./lib/theme.js";

const chrome = document.querySelector("header.app-header");
const graphRoot = document.getElementById("graph-view");
const convRoot = document.getElementById("conv-root");
const netRoot = document.getElementById("net-root");
const drawerToggle = chrome.querySelector('[data-testid="drawer-toggle"]');
const scrim = document.querySelector('[data-testid="drawer-scrim"]');
const tabs = {
  graph: chrome.querySelector('[data-tab="graph"]'),
  conv: chrome.querySelector('[data-tab="conv"]'),
  net: chrome.querySelector('[data-tab="net"]'),
};
let netMounted = false;
let graph = null;
let convMounted = false;
let lastGraphHash = "";

initTheme(chrome.querySelector('[data-testid="theme-toggle"]'));

/** On a phone the controls of the current view live in a drawer over the page. */
function setDrawer(open) {
  document.body.classList.toggle("drawer-open", open);
  drawerToggle.setAttribute("aria-expanded", String(open));
  drawerToggle.setAttribute("aria-label", open ? "Hide the controls" : "Show the controls");
  scrim.hidden = !open;
  if (open) {
    const panel = document.body.classList.contains("view-conv") ? convRoot.querySelector(".conv-controls") : graphRoot.querySelector(".sidebar");
    const first = panel && panel.querySelector("select, textarea, input, button");
    if (first) first.focus();
  }
}
drawerToggle.addEventListener("click", () => setDrawer(!document.body.classList.contains("drawer-open")));
scrim.addEventListener("click", () => setDrawer(false));
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && document.body.classList.contains("drawer-open")) setDrawer(false);
});
// Running a program or picking an example closes the drawer, so the phone shows the result.
document.addEventListener("chainrule:ran", () => setDrawer(false));

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

function show(view) {
  const conv = view === "conv";
  const net = view === "net";
  graphRoot.hidden = conv || net;
  convRoot.hidden = !conv;
  netRoot.hidden = !net;
  document.body.classList.toggle("view-conv", conv);
  document.body.classList.toggle("view-net", net);
  document.body.classList.toggle("view-graph", !conv && !net);
  drawerToggle.setAttribute("aria-controls", conv ? "conv-controls" : net ? "net-controls" : "graph-sidebar");
  setDrawer(false);
  for (const [name, tab] of Object.entries(tabs)) {
    tab.classList.toggle("active", name === view);
    if (name === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  if (conv) mountConv();
  else if (net) mountNet();
  else if (!graph) graph = mountGraphView(graphRoot, chrome);
  else requestAnimationFrame(() => graph.fit());
}

function route() {
  if (viewOf(location.hash) !== "graph") return show(viewOf(location.hash));
  const mounted = graph !== null;  // a new graph view opens the hash itself once loaded
  show("graph");
  if (mounted) graph.openHash();
}

tabs.graph.addEventListener("click", (ev) => {
  ev.preventDefault();
  if (viewOf(location.hash) !== "graph") history.pushState(null, "", lastGraphHash || location.pathname);
  show("graph");
});
tabs.conv.addEventListener("click", (ev) => {
  ev.preventDefault();
  if (viewOf(location.hash) !== "conv") {
    if (viewOf(location.hash) === "graph") { flushHash(); lastGraphHash = location.hash; }
    location.hash = "#conv";
  }
});
tabs.net.addEventListener("click", (ev) => {
  ev.preventDefault();
  if (viewOf(location.hash) !== "net") {
    if (viewOf(location.hash) === "graph") { flushHash(); lastGraphHash = location.hash; }
    location.hash = "#net";
  }
});
chrome.querySelector(".brand").addEventListener("click", (ev) => {
  ev.preventDefault();
  tabs.graph.click();
});
window.addEventListener("hashchange", route);
route();
