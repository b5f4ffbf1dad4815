"""POST /api/grade and /api/grade/batch: the grading rules, checked against the lecture's
numbers (q = 3, f = -12, df/dx = df/dy = -4, df/dz = 3, df/dq = -4)."""
from __future__ import annotations

import time

from tests.server.conftest import detail, strict_json

PROGRAM = {"expression": "q = x + y; f = q * z", "inputs": {"x": -2, "y": 5, "z": -4}}
RIGHT = {"grad": {"x": -4, "y": -4, "z": 3, "q": -4}, "value": {"q": 3, "f": -12}}


def grade(client, answers, **options):
    r = client.post("/api/grade", json={**PROGRAM, "answers": answers, **options})
    assert r.status_code == 200, r.text
    return strict_json(r)


def test_all_right_scores_one(client):
    g = grade(client, RIGHT)
    assert (g["score"], g["correct"], g["total"]) == (1.0, 6, 6)
    assert all(v["correct"] and v["message"] == "correct"
               for kind in ("grad", "value") for v in g["results"][kind].values())


def test_score_is_the_fraction_correct(client):
    g = grade(client, {"grad": {"x": -4, "y": 4, "z": 3, "q": 0}})
    assert (g["correct"], g["total"]) == (2, 4) and g["score"] == 0.5
    assert g["results"]["grad"]["y"]["correct"] is False
    assert "tolerance" in g["results"]["grad"]["y"]["message"]


def test_expected_only_with_reveal(client):
    hidden = grade(client, {"grad": {"x": 4}})["results"]["grad"]["x"]
    assert "expected" not in hidden and "-4" not in hidden["message"]
    shown = grade(client, {"grad": {"x": 4}}, reveal=True)["results"]["grad"]["x"]
    assert shown["expected"] == -4 and shown["given"] == 4


def test_default_tolerance_edges(client):
    # numpy.isclose: |given - expected| <= atol + rtol * |expected| = 1e-6 + 1e-4 * 12
    edge = 1e-6 + 1e-4 * 12
    inside = grade(client, {"value": {"f": -12 + 0.99 * edge}})
    outside = grade(client, {"value": {"f": -12 + 1.01 * edge}})
    assert inside["results"]["value"]["f"]["correct"] is True
    assert outside["results"]["value"]["f"]["correct"] is False


def test_custom_tolerances(client):
    assert grade(client, {"grad": {"z": 3.1}}, rtol=0.05)["score"] == 1.0
    assert grade(client, {"grad": {"z": 3.1}}, rtol=0.01)["score"] == 0.0
    assert grade(client, {"grad": {"z": 3.1}}, rtol=0, atol=0.2)["score"] == 1.0
    assert grade(client, {"grad": {"z": 3.0000001}}, rtol=0, atol=0)["score"] == 0.0


def test_negative_tolerance_is_a_validation_error(client):
    r = client.post("/api/grade", json={**PROGRAM, "answers": RIGHT, "rtol": -1})
    assert detail(r)["loc"] == ["body", "rtol"]


def test_wrong_shape_is_a_wrong_answer_not_an_error(client):
    g = grade(client, {"grad": {"x": [-4], "z": [[3, 3]]}})
    for name, got in (("x", "shape (1)"), ("z", "shape (1, 2)")):
        v = g["results"]["grad"][name]
        assert v["correct"] is False
        assert "wrong shape" in v["message"] and "a scalar" in v["message"] and got in v["message"]


def test_tensor_answers_compare_entrywise():
    from fastapi.testclient import TestClient

    from server.app import create_app
    body = {"expression": "y = relu(x)", "inputs": {"x": [1, -2, 3, -1]},
            "upstream": [4, -1, 5, 9]}
    with TestClient(create_app()) as c:
        right = c.post("/api/grade", json={**body, "answers": {"grad": {"x": [4, 0, 5, 0]},
                                                              "value": {"y": [1, 0, 3, 0]}}})
        wrong = c.post("/api/grade", json={**body, "answers": {"grad": {"x": [4, -1, 5, 9]}}})
    assert strict_json(right)["score"] == 1.0
    v = strict_json(wrong)["results"]["grad"]["x"]
    assert v["correct"] is False and v["message"].startswith("2 of 4 entries")


def test_unknown_name_is_wrong_with_a_message(client):
    g = grade(client, {"grad": {"nope": 1}, "value": {"x": -2}})
    v = g["results"]["grad"]["nope"]
    assert v["correct"] is False and "unknown name 'nope'" in v["message"]
    assert g["results"]["value"]["x"]["correct"] is True
    assert (g["correct"], g["total"]) == (1, 2)


def test_unreadable_answers_are_wrong_with_a_message(client):
    g = grade(client, {"grad": {"x": "minus four", "y": [[1, 2], [3]], "z": None,
                                "q": {"a": 1}}})
    assert g["score"] == 0 and g["total"] == 4
    msgs = {k: v["message"] for k, v in g["results"]["grad"].items()}
    assert "not a number" in msgs["x"]
    assert "rectangular" in msgs["y"]
    assert msgs["z"] == "no answer given"
    assert "number" in msgs["q"]


def test_missing_required_answers_count_as_wrong(client):
    g = grade(client, {"grad": {"x": -4}}, require={"grad": ["x", "y", "z"], "value": ["f"]})
    assert (g["correct"], g["total"]) == (1, 4)
    assert g["results"]["grad"]["y"]["message"] == "no answer given"
    assert g["results"]["value"]["f"]["correct"] is False


def test_no_answers_scores_zero(client):
    g = grade(client, {})
    assert (g["score"], g["correct"], g["total"]) == (0.0, 0, 0)


def test_non_finite_answers_as_strings(client):
    r = client.post("/api/grade", json={"expression": "f = log(x)", "inputs": {"x": 0},
                                        "answers": {"value": {"f": "-inf"}, "grad": {"x": 5}},
                                        "reveal": True})
    g = strict_json(r)
    assert g["results"]["value"]["f"]["correct"] is True
    assert g["results"]["grad"]["x"]["expected"] == "inf"


def test_engine_errors_still_422_when_grading(client):
    r = client.post("/api/grade", json={"expression": "f = x +", "inputs": {},
                                        "answers": RIGHT})
    assert detail(r)["type"] == "parse"


def batch(n, wrong_every=3):
    subs = [{"id": f"s{i}", "answers": {"grad": {"x": 4 if i % wrong_every == 0 else -4,
                                                 "y": -4, "z": 3}}} for i in range(n)]
    return {**PROGRAM, "submissions": subs}


def test_batch_results_keyed_by_id_in_order(client):
    body = batch(7)
    body["submissions"].reverse()
    r = client.post("/api/grade/batch", json=body)
    g = strict_json(r)
    assert list(g["results"]) == [s["id"] for s in body["submissions"]]
    for key, res in g["results"].items():
        want = 2 / 3 if int(key[1:]) % 3 == 0 else 1.0
        assert res["score"] == want, key
    assert g["count"] == 7


def test_batch_of_1000_is_fast(client):
    body = batch(1000)
    start = time.perf_counter()
    r = client.post("/api/grade/batch", json=body)
    elapsed = time.perf_counter() - start
    g = strict_json(r)
    assert r.status_code == 200 and g["count"] == 1000
    wrong = sum(1 for i in range(1000) if i % 3 == 0)
    assert abs(g["mean_score"] - (1000 - wrong / 3) / 1000) < 1e-12
    assert elapsed < 1.5, f"1,000 submissions took {elapsed:.2f} s"


def test_batch_duplicate_ids_are_refused(client):
    body = {**PROGRAM, "submissions": [{"id": 1, "answers": {}}, {"id": "1", "answers": {}}]}
    item = detail(client.post("/api/grade/batch", json=body))
    assert "duplicate" in item["msg"]


def test_batch_over_the_submission_limit_is_refused(client, settings):
    item = detail(client.post("/api/grade/batch", json=batch(settings.max_submissions + 1)))
    assert item["type"] == "limit"
