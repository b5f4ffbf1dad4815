"""One page.evaluate that measures what a reader sees, for the design tests: every visible
text label's box, pairs of labels that overlap, text cut off by a container that hides
overflow, text smaller than a minimum, and horizontal scrolling of the page.

A drawing larger than its window (a big graph, or any graph zoomed for a projector) is a
map one pans: the graph's box clips it, labels are measured as far as they show, and a
label at the edge of that window is out of view rather than cut off.

Text boxes come from Range.getClientRects of each text node (HTML) and from the rendered
box of each <text> (SVG, Plotly included), so a label is measured as drawn, after zoom."""
from __future__ import annotations

from pathlib import Path

CHECKS_JS = (Path(__file__).parent / "layout_checks.js").read_text()
