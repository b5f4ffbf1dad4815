"""The assignment-style examples against numpy written out here: each loss is computed by
hand in numpy, and its gradients by centered differences of that numpy function (the
engine is used only to run the example and to make its generator inputs)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import EXAMPLES_BY_ID, evaluate
from tests.engine.helpers import rel_error


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax_loss(s, y):
    shifted = s - s.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(y)), y].mean()


def softmax_loss_np(p):
    return softmax_loss(p["X"] @ p["W"] + p["b"], p["y"])


def svm_np(p):
    s = p["X"] @ p["W"]
    n = len(p["y"])
    margins = np.maximum(0, s - s[np.arange(n), p["y"]][:, None] + 1)
    margins[np.arange(n), p["y"]] = 0        # the textbook form: skip j = y
    return margins.sum() / n


def two_layer_np(p):
    h = np.maximum(0, p["X"] @ p["W1"] + p["b1"])
    s = h @ p["W2"] + p["b2"]
    return softmax_loss(s, p["y"]) + 0.5 * p["reg"] * (np.sum(p["W1"] ** 2) +
                                                       np.sum(p["W2"] ** 2))


def rnn_np(p):
    h = p["h0"]
    for t in range(4):
        h = np.tanh(p["x"][:, t] @ p["Wx"] + h @ p["Wh"] + p["b"])
    return np.sum(h * h)


def lstm_np(p):
    H = 3
    a = p["x"] @ p["Wx"] + p["h0"] @ p["Wh"] + p["b"]
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    c = f * p["c0"] + i * g
    return np.sum(o * np.tanh(c))


def embedding_np(p):
    return np.sum(np.tanh(p["W_embed"][p["captions"]] @ p["w"]))


def batchnorm_np(p):
    x = p["x"]
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    return np.sum((p["gamma"] * xhat + p["beta"]) * p["w"])


NUMPY = {"softmax-loss": softmax_loss_np, "svm-vectorised": svm_np,
         "two-layer-net": two_layer_np, "rnn-unrolled": rnn_np, "lstm-step": lstm_np,
         "embedding": embedding_np, "batchnorm": batchnorm_np}
INTEGER = {"y", "captions", "N", "H"}     # labels, indices and sizes


def centered_differences(fn, params: dict, h: float = 1e-6) -> dict:
    grads = {}
    for name, value in params.items():
        if name in INTEGER or np.ndim(value) == 0 and name == "reg":
            continue
        g = np.zeros_like(value)
        for k in range(value.size):
            plus = {**params, name: value.copy()}
            plus[name].flat[k] += h
            minus = {**params, name: value.copy()}
            minus[name].flat[k] -= h
            g.flat[k] = (fn(plus) - fn(minus)) / (2 * h)
        grads[name] = g
    return grads


@pytest.mark.parametrize("example_id", sorted(NUMPY))
def test_assignment_example_matches_hand_written_numpy(example_id):
    ex = EXAMPLES_BY_ID[example_id]
    trace = evaluate(ex["expression"], ex["inputs"])
    params = {name: np.array(node.value, dtype=np.int64 if name in INTEGER else float)
              for name, node in trace.inputs.items()}
    fn = NUMPY[example_id]
    assert float(trace.value) == pytest.approx(fn(params), rel=1e-10, abs=1e-12)
    numeric = centered_differences(fn, params)
    assert numeric, "the example has inputs to differentiate"
    for name, g in numeric.items():
        assert rel_error(trace.gradients[name], g) < 1e-6, name
    assert not [w for w in trace.warnings if "does not use" in w]


def test_lstm_gate_slices_send_gradients_back_to_their_own_columns():
    ex = EXAMPLES_BY_ID["lstm-step"]
    trace = evaluate(ex["expression"], ex["inputs"])
    da = trace.variables["a"].grad
    assert da.shape == (2, 12)
    slices = [n for n in trace.nodes if n.op is not None and n.op.name == "index"]
    assert [n.label for n in slices] == ["[:, :3]", "[:, 3:6]", "[:, 6:9]", "[:, 9:]"]
    total = sum(n.inputs[0] is trace.variables["a"] for n in slices)
    assert total == 4 and len(trace.variables["a"].parts) == 4


def test_embedding_gradient_adds_up_over_repeated_words():
    ex = EXAMPLES_BY_ID["embedding"]
    trace = evaluate(ex["expression"], ex["inputs"])
    W, w = trace.inputs["W_embed"].value, trace.inputs["w"].value
    captions = np.array([[0, 3, 1], [1, 1, 2]])
    local = 1 - np.tanh(W[captions] @ w) ** 2          # d tanh at each word
    expected = np.zeros_like(W)
    for (n, t), word in np.ndenumerate(captions):
        expected[word] += local[n, t] * w               # word 1: three contributions
    assert np.allclose(trace.gradients["W_embed"], expected, atol=1e-12)
    assert trace.inputs["captions"].value.dtype.kind == "i"


def test_rnn_has_one_group_per_time_step():
    ex = EXAMPLES_BY_ID["rnn-unrolled"]
    groups = evaluate(ex["expression"], ex["inputs"]).to_dict()["groups"]
    assert [g["iteration"] for g in groups if g["iteration"] is not None] == [0, 1, 2, 3]
