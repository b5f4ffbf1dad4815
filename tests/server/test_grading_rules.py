"""Grading rules: only the answers asked for count, answers are read alike at every depth,
one malformed submission does not sink a batch, and grading needs no server.

Right answers from LECTURE.md's simple example: q = x + y = 3, f = q * z = -12;
df/dx = df/dy = df/dq = -4, df/dz = 3."""
from __future__ import annotations

import subprocess
import sys

from engine import grading
from tests.server.conftest import strict_json

PROGRAM = {"expression": "q = x + y; f = q * z", "inputs": {"x": -2, "y": 5, "z": -4}}


def test_answers_not_asked_for_are_reported_but_not_scored(client):
    body = {**PROGRAM, "require": {"grad": ["x", "z"]},
            # both required answers wrong; two right answers that nobody asked for
            "answers": {"grad": {"x": 4, "z": -3, "y": -4}, "value": {"q": 3}}}
    g = strict_json(client.post("/api/grade", json=body))
    assert (g["score"], g["correct"], g["total"]) == (0.0, 0, 2)
    assert g["results"]["grad"]["y"]["correct"] and not g["results"]["grad"]["y"]["scored"]
    assert g["results"]["value"]["q"]["correct"] and not g["results"]["value"]["q"]["scored"]
    assert g["results"]["grad"]["x"]["scored"] and not g["results"]["grad"]["x"]["correct"]


def test_without_require_every_answer_counts(client):
    body = {**PROGRAM, "answers": {"grad": {"x": 4, "y": -4}}}
    g = strict_json(client.post("/api/grade", json=body))
    assert (g["score"], g["correct"], g["total"]) == (0.5, 1, 2)


def test_answers_are_read_alike_at_every_depth(client):
    program = {"expression": "f = sum(w * 2)", "inputs": {"w": [1.0, 2.0]}}
    cases = {"strings nested": ["2", "2"], "booleans nested": [True, 2],
             "string on top": "2", "boolean on top": True}
    for label, given in cases.items():
        body = {**program, "answers": {"grad": {"w": given}}}
        verdict = strict_json(client.post("/api/grade", json=body))["results"]["grad"]["w"]
        assert not verdict["correct"] and "not a number" in verdict["message"], (label, verdict)
    # the names of non-finite numbers are numbers at every depth
    inf = {"expression": "f = sum(w * 2)", "inputs": {"w": [1e308, 1e308]},
           "answers": {"value": {"f": "inf"}, "grad": {"w": ["2", 2]}}}
    g = strict_json(client.post("/api/grade", json=inf))
    assert g["results"]["value"]["f"]["correct"]
    assert "'2' at [0] is not a number" in g["results"]["grad"]["w"]["message"]


def test_a_malformed_submission_gets_its_own_error_and_the_others_are_graded(client):
    body = {**PROGRAM, "submissions": [
        {"id": "alice", "answers": {"grad": {"x": -4, "z": 3}}},
        {"id": "mallory", "answers": 5},
        {"answers": {"grad": {"x": -4}}},
        "not even an object",
        {"id": "bob", "answers": {"grad": {"x": 4, "z": 3}}, "extra": 1},
        {"id": "carol", "answers": {"grad": {"x": 4, "z": 3}}},
    ]}
    r = client.post("/api/grade/batch", json=body)
    assert r.status_code == 200, r.text
    g = strict_json(r)
    results = g["results"]
    assert list(results) == ["alice", "mallory", "#2", "#3", "bob", "carol"]
    assert results["alice"]["score"] == 1.0 and results["carol"]["score"] == 0.5
    for key in ("mallory", "#2", "#3", "bob"):
        item = results[key]["detail"][0]
        assert {"type", "msg", "loc"} <= set(item) and item["loc"][:2] == ["body", "submissions"]
    assert results["mallory"]["detail"][0]["loc"] == ["body", "submissions", 1, "answers"]
    assert (g["count"], g["graded"], g["mean_score"]) == (6, 2, (1.0 + 0.5) / 2)


def test_the_library_grades_without_the_server():
    code = ("import sys, engine.grading as g; "
            "r = g.grade_program('q = x + y; f = q * z', {'x': -2, 'y': 5, 'z': -4}, "
            "{'grad': {'x': -4, 'y': 4}}); "
            "assert (r['score'], r['correct'], r['total']) == (0.5, 1, 2), r; "
            "assert not any(m == 'server' or m.startswith(('server.', 'fastapi')) "
            "for m in sys.modules), 'the server was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
    batch = grading.grade_batch("f = x * y", {"x": 3, "y": 4},
                                [{"id": 1, "answers": {"grad": {"x": 4, "y": 3}}}])
    assert batch["results"]["1"]["score"] == 1.0
