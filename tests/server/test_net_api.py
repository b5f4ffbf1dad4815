"""The network view's API: planning a stack, the digits, and a training run in its worker
process (started, stepped, paused, inspected, linked to the conv and graph views, stopped),
with every bad input a 422."""
from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.conftest import detail, strict_json

DEFAULT = [{"type": "conv", "filters": 8, "size": 3, "stride": 1, "pad": 1}, {"type": "relu"},
           {"type": "maxpool", "size": 2, "stride": 2}, {"type": "flatten"},
           {"type": "fc", "units": 10}, {"type": "softmax_ce"}]
TEST_IMAGE = {"split": "test", "index": 4}


def softmax(s):
    e = np.exp(np.asarray(s) - np.max(s))
    return e / e.sum()


def test_plan_lists_volumes_and_parameters(client):
    body = strict_json(client.post("/api/net/plan", json={"network": DEFAULT}))
    assert body["fits"] and body["parameters"] == 3 * 3 * 1 * 8 + 8 + 128 * 10 + 10
    assert [x["shape_text"] for x in body["layers"]] == ["8×8×8", "8×8×8", "4×4×8", "128",
                                                         "10", "loss"]


def test_plan_explains_a_stack_that_does_not_fit(client):
    layers = [{"type": "conv", "size": 5, "stride": 2}] + DEFAULT[1:]
    body = strict_json(client.post("/api/net/plan", json={"network": layers}))
    assert not body["fits"] and body["layers"] == []
    # (8 - 5)/2 + 1 = 2.5
    assert "5x5 filter does not fit a 8x8 input with stride 2: (8 - 5)/2 + 1 = 2.5" \
        in body["error"]["msg"]
    assert body["error"]["suggestions"]


@pytest.mark.parametrize("path, body", [
    ("/api/net/plan", {"network": []}),
    ("/api/net/plan", {"network": [{"type": "dense"}]}),
    ("/api/net/plan", {"network": [{"type": "conv", "filters": 10_000}]}),
    ("/api/net/plan", {"network": [{"type": "relu", "bogus": 1}]}),
    ("/api/net/plan", {"network": [{"type": "relu"}] * 17}),
    ("/api/net/runs", {"lr": 0}),
    ("/api/net/runs", {"lr": 1e308}),
    ("/api/net/runs", {"batch": 0}),
    ("/api/net/runs", {"optimizer": "rmsprop"}),
    ("/api/net/runs", {"network": [{"type": "conv", "stride": 3}, {"type": "softmax_ce"}]}),
])
def test_bad_settings_are_422(client, path, body):
    detail(client.post(path, json=body))


def test_images_of_the_test_split(client):
    body = strict_json(client.get("/api/net/images", params={"start": 350, "count": 20}))
    assert body["total"] == 359 and len(body["images"]) == 9
    pixels = np.asarray(body["images"][0]["pixels"])
    assert pixels.shape == (8, 8) and pixels.min() >= 0 and pixels.max() <= 1
    detail(client.get("/api/net/images", params={"count": 1000}))
    detail(client.get("/api/net/images", params={"split": "all"}))


def test_unknown_run_is_422(client):
    item = detail(client.post("/api/net/runs/nope/control", json={"action": "start"}))
    assert "no training run" in item["msg"]


def wait_for(client, run, predicate, seconds=20.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status = strict_json(client.get(f"/api/net/runs/{run}"))
        if predicate(status):
            return status
        time.sleep(0.1)
    raise AssertionError(f"run {run} never reached the state: {status}")


def test_a_run_trains_pauses_and_answers_about_one_image(client):
    start = strict_json(client.post("/api/net/runs", json={"seed": 1}))
    run = start["run"]
    try:
        assert start["state"] == "paused" and start["point"]["test_accuracy"] < 0.5
        one = strict_json(client.post(f"/api/net/runs/{run}/control", json={"action": "step"}))
        assert one["batches"] == 1 and one["state"] == "paused"
        client.post(f"/api/net/runs/{run}/control", json={"action": "start"})
        wait_for(client, run, lambda s: s["epoch"] >= 2)
        paused = strict_json(client.post(f"/api/net/runs/{run}/control",
                                         json={"action": "pause"}))
        time.sleep(0.5)
        later = strict_json(client.get(f"/api/net/runs/{run}"))
        assert later["batches"] == paused["batches"]          # paused: nothing computed
        assert later["cpu_seconds"] - paused["cpu_seconds"] < 0.2

        seen = strict_json(client.post(f"/api/net/runs/{run}/inspect",
                                       json={"image": TEST_IMAGE}))
        scores = seen["layers"][-1]["output"]
        assert seen["probabilities"] == pytest.approx(softmax(scores).tolist())
        assert seen["target"] == seen["label"]
        onehot = np.eye(10)[seen["label"]]
        assert seen["layers"][-1]["grad"] == pytest.approx((softmax(scores) - onehot).tolist())
        # the FC layer by hand: W @ flatten(pool output) + b
        fc, pooled = seen["layers"][4], np.ravel(seen["layers"][2]["output"])
        assert scores == pytest.approx((np.asarray(fc["weights"]) @ pooled
                                        + np.asarray(fc["bias"])).tolist())

        neuron = strict_json(client.post(f"/api/net/runs/{run}/neuron",
                                         json={"image": TEST_IMAGE, "layer": 4, "unit": 3}))
        graph = strict_json(client.post("/api/graph", json={
            "expression": neuron["expression"], "inputs": neuron["inputs"]}))
        assert graph["value"] == pytest.approx(scores[3], rel=1e-12)

        link = strict_json(client.post(f"/api/net/runs/{run}/conv",
                                       json={"image": TEST_IMAGE, "layer": 0}))
        conv = strict_json(client.post("/api/conv", json=link["conv"]))
        assert np.asarray(conv["pool"]["output"]) == pytest.approx(
            np.asarray(seen["layers"][2]["output"]))
        assert np.asarray(conv["grad_weights"]) == pytest.approx(
            np.asarray(seen["layers"][0]["grad_weights"]))

        drawn = np.zeros((8, 8))
        drawn[1:7, 4] = 1.0
        mine = strict_json(client.post(f"/api/net/runs/{run}/inspect",
                                       json={"image": {"pixels": drawn.tolist()}}))
        assert mine["label"] is None and mine["target"] == mine["predicted"]

        detail(client.post(f"/api/net/runs/{run}/inspect",
                           json={"image": {"pixels": [[2.0] * 8] * 8}}))
        detail(client.post(f"/api/net/runs/{run}/inspect",
                           json={"image": {"split": "test", "index": 400}}))
        detail(client.post(f"/api/net/runs/{run}/neuron",
                           json={"image": TEST_IMAGE, "layer": 0, "unit": 0}))
        detail(client.post(f"/api/net/runs/{run}/conv", json={"image": TEST_IMAGE, "layer": 4}))
    finally:
        client.post(f"/api/net/runs/{run}/control", json={"action": "stop"})
    detail(client.get(f"/api/net/runs/{run}"))


def test_slow_speed_trains_a_few_batches_a_second(client):
    run = strict_json(client.post("/api/net/runs", json={}))["run"]
    try:
        client.post(f"/api/net/runs/{run}/control", json={"action": "start", "speed": "slow"})
        time.sleep(1.0)
        paused = strict_json(client.post(f"/api/net/runs/{run}/control",
                                         json={"action": "pause"}))
        # one batch, then a quarter-second pause: about 4 in a second (never dozens)
        assert 1 <= paused["batches"] <= 6
        detail(client.post(f"/api/net/runs/{run}/control",
                           json={"action": "start", "speed": "warp"}))
    finally:
        client.post(f"/api/net/runs/{run}/control", json={"action": "stop"})


def test_runs_are_bounded_in_number_and_memory():
    with TestClient(create_app(Settings(net_max_runs=1, net_run_memory_mb=48))) as client:
        item = detail(client.post("/api/net/runs", json={}))
        assert item["type"] == "limit"           # 48 MB cannot even hold numpy
    with TestClient(create_app(Settings(net_max_runs=1))) as client:
        run = strict_json(client.post("/api/net/runs", json={}))["run"]
        item = detail(client.post("/api/net/runs", json={}))
        assert item["type"] == "limit" and "already training 1" in item["msg"]
        client.delete(f"/api/net/runs/{run}")
