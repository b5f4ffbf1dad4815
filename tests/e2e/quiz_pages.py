"""Page helpers for the quiz browser tests: the quiz panel's questions, and a recorder of
the API's answers so a test can say what the network carried."""
from __future__ import annotations

import json

from tests.e2e.pages import GraphPage

# Keys under which an /api/graph or /api/grade answer carries a gradient or an answer.
GRADIENT_KEYS = {"grad", "gradients", "upstream", "local", "downstream", "grad_parts",
                 "gradcheck", "code", "worked", "expected"}


class ApiRecorder:
    """Every JSON answer of a POST to /api/* the page receives, in order, as (path, request,
    body); and the examples catalogue it loaded."""

    def __init__(self, page):
        self.seen: list[tuple[str, dict | None, object]] = []
        self.examples: list[dict] = []  # the last GET /api/examples answer
        page.on("response", self._on_response)

    def _on_response(self, response):
        path = response.url.split("//", 1)[-1].split("/", 1)[-1]
        if path.startswith("api/examples"):
            self.examples = response.json()
        if not path.startswith("api/") or response.request.method != "POST":
            return
        try:
            body = response.json()
        except Exception:  # a body that is not JSON cannot carry a number either
            body = None
        self.seen.append(("/" + path.split("?")[0], json.loads(response.request.post_data or
                                                                  "null"), body))

    def clear(self) -> None:
        self.seen.clear()

    def bodies(self, path: str) -> list:
        return [body for p, _, body in self.seen if p == path]


def gradients_in(doc, output_id: str | None = None) -> list:
    """Every non-null value held under a gradient key (the output's own seed excepted)."""
    found = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            own_seed = key == "grad" and doc.get("id") == output_id and "kind" in doc
            if key in GRADIENT_KEYS and value not in (None, {}, []) and not own_seed:
                if key == "gradients" and all(v is None for v in value.values()):
                    continue
                if key == "grad_parts" and all(p.get("value") is None for p in value):
                    continue
                if isinstance(value, list) and all(v is None for v in value):
                    continue
                found.append((key, value))
            else:
                found += gradients_in(value, output_id)
    elif isinstance(doc, list):
        for item in doc:
            found += gradients_in(item, output_id)
    return found


class QuizPage(GraphPage):
    """The graph view in quiz mode."""

    def toggle_quiz(self, on: bool = True) -> None:
        with self.page.expect_response(lambda r: r.url.endswith("/api/graph")):
            self.testid("quiz-toggle").click()
        self.wait_quiz(on)

    def wait_quiz(self, on: bool) -> None:
        self.page.wait_for_function(
            "document.body.dataset.state === 'ready' && "
            f"document.body.classList.contains('quiz') === {str(on).lower()}")

    def question(self, node_id: str, kind: str = "grad"):
        return self.page.locator(f"[data-quiz-node='{node_id}'][data-quiz-kind='{kind}']")

    def answer(self, node_id: str, text: str, kind: str = "grad"):
        """Type an answer and press Enter; returns the /api/grade request it sent."""
        box = self.question(node_id, kind).locator("input")
        box.fill(text)
        with self.page.expect_response(lambda r: r.url.endswith("/api/grade")) as info:
            box.press("Enter")
        response = info.value
        self.page.wait_for_function(
            f"document.querySelector(\"[data-quiz-node='{node_id}'][data-quiz-kind='{kind}']\")"
            ".dataset.verdict !== undefined")
        return response

    def reveal(self, node_id: str, kind: str = "grad"):
        row = self.question(node_id, kind)
        row.locator("[data-quiz-action=hint]").click()
        with self.page.expect_response(lambda r: r.url.endswith("/api/grade")) as info:
            row.locator("[data-quiz-action=reveal]").click()
        self.page.wait_for_function(
            f"document.querySelector(\"[data-quiz-node='{node_id}'][data-quiz-kind='{kind}']\")"
            ".dataset.revealed === 'true'")
        return info.value

    def score(self) -> dict:
        el = self.testid("quiz-score")
        return {k: int(el.get_attribute(f"data-{k}")) for k in ("right", "total", "revealed")}

    def grads_in_dom(self) -> dict:
        """Node id -> data-grad of every drawn node that shows a gradient."""
        return {i: json.loads(g) for i, g in self.page.eval_on_selector_all(
            "[data-testid=graph] [data-node-id][data-grad]",
            "els => els.map(e => [e.dataset.nodeId, e.dataset.grad])")}
