"""POST /api/conv: the lecture's conv numbers, and maps and gradients checked against a
loop written here from the definition."""
from __future__ import annotations

import numpy as np

from tests.server.conftest import strict_json


def conv(client, **body):
    r = client.post("/api/conv", json=body)
    assert r.status_code == 200, r.text
    return strict_json(r)


def reference_conv(x, w, b, stride, pad):
    """x (C, H, W), w (K, C, F, F), b (K,) -> out (K, H2, W2), by loops over positions."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    k, _, f, _ = w.shape
    h2 = (xp.shape[1] - f) // stride + 1
    w2 = (xp.shape[2] - f) // stride + 1
    out = np.zeros((k, h2, w2))
    for kk in range(k):
        for i in range(h2):
            for j in range(w2):
                window = xp[:, i * stride:i * stride + f, j * stride:j * stride + f]
                out[kk, i, j] = np.sum(window * w[kk]) + b[kk]
    return out


def test_lecture_760_parameters(client):
    c = conv(client, input={"shape": [3, 32, 32], "init": "randn", "seed": 0},
             filters=10, size=5, stride=1, pad=2)
    assert c["params"]["total"] == 760
    assert c["params"]["per_filter"] == 76
    assert c["params"]["weights"] == 750 and c["params"]["biases"] == 10
    assert c["output_shape"] == [10, 32, 32]
    assert c["shape_text"] == "32×32×10"


def test_7x7_stride_2_gives_3x3(client):
    c = conv(client, input={"shape": [1, 7, 7], "init": "ones"}, filters=1, size=3, stride=2)
    assert c["output_shape"] == [1, 3, 3]
    assert "(7 - 3" in c["formula"]["height"] and c["formula"]["height"].endswith("3")


def test_maps_and_gradients_match_a_loop_reference(client):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 5, 5)).round(3)
    w = rng.standard_normal((3, 2, 3, 3)).round(3)
    b = np.array([0.5, -1.0, 0.25])
    c = conv(client, input=x.tolist(), filters=3, size=3, stride=2, pad=1,
             weights=w.tolist(), bias=b.tolist())
    out = reference_conv(x, w, b, stride=2, pad=1)
    np.testing.assert_allclose(c["output"], out, atol=1e-9)
    # upstream defaults to ones: dL/dw is the sum of windows, dL/db the number of positions
    eps = 1e-6
    dw = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        wp, wm = w.copy(), w.copy()
        wp[idx] += eps
        wm[idx] -= eps
        dw[idx] = (reference_conv(x, wp, b, 2, 1).sum() - reference_conv(x, wm, b, 2, 1).sum()) \
            / (2 * eps)
    np.testing.assert_allclose(c["grad_weights"], dw, atol=1e-5)
    np.testing.assert_allclose(c["grad_bias"], [out[0].size] * 3)
    dx = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        dx[idx] = (reference_conv(xp, w, b, 2, 1).sum() - reference_conv(xm, w, b, 2, 1).sum()) \
            / (2 * eps)
    np.testing.assert_allclose(c["grad_input"], dx, atol=1e-5)


def test_lecture_max_pool(client):
    grid = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
    c = conv(client, input=grid, conv=False, pool={"size": 2, "stride": 2})
    assert np.squeeze(c["pool"]["output"]).tolist() == [[6, 8], [3, 4]]
    assert c["params"]["total"] == 0
    routed = np.squeeze(c["pool"]["grad_input"])
    assert routed.sum() == 4 and routed[1, 1] == 1 and routed[1, 3] == 1 and routed[0, 0] == 0


def test_conv_request_validation(client):
    r = client.post("/api/conv", json={"input": [[1]], "filters": 0})
    assert r.status_code == 422 and strict_json(r)["detail"][0]["loc"] == ["body", "filters"]
