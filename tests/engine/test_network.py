"""The ConvNet of the network view: its shape arithmetic, whole-network gradient checks by
centered differences, the optimisers against their textbook update rules, and learning."""
from __future__ import annotations

import numpy as np
import pytest

from engine import digits
from engine.errors import EngineError
from engine.network import DEFAULT_NETWORK, Network, describe_network, plan_network
from engine.optim import SGD, Adam
from engine.training import TrainConfig, Trainer

H = 1e-6


def test_default_network_volumes_and_parameter_counts():
    # By hand: 8x8x1 -> conv 3x3 pad 1 (8 - 3 + 2)/1 + 1 = 8 -> 8x8x8 with 3*3*1*8 + 8 = 80
    # parameters -> pool 2x2 /2 -> 4x4x8 -> 128 -> FC 128*10 + 10 = 1290.
    described = describe_network(DEFAULT_NETWORK)
    assert described["fits"]
    rows = [(x["type"], x["shape_text"], x["parameters"]["total"]) for x in described["layers"]]
    assert rows == [("conv", "8×8×8", 80), ("relu", "8×8×8", 0), ("maxpool", "4×4×8", 0),
                    ("flatten", "128", 0), ("fc", "10", 1290), ("softmax_ce", "loss", 0)]
    assert described["parameters"] == 1370
    assert described["layers"][0]["formula"]["width"] == "(8 - 3 + 2*1)/1 + 1 = 8"


def test_a_filter_that_does_not_fit_is_explained_as_the_conv_view_does():
    layers = [{"type": "conv", "filters": 4, "size": 3, "stride": 3, "pad": 0}] \
        + DEFAULT_NETWORK[1:]
    described = describe_network(layers)
    assert not described["fits"]
    error = described["error"]
    assert error["layer"] == 0
    # (8 - 3)/3 + 1 = 2.67: not a whole number of positions
    assert "3x3 filter does not fit a 8x8 input with stride 3: (8 - 3)/3 + 1 = 2.67" \
        in error["message"]
    assert any(s["stride"] == 1 for s in error["suggestions"])


@pytest.mark.parametrize("layers, words", [
    (DEFAULT_NETWORK[:3] + [{"type": "fc", "units": 10}, {"type": "softmax_ce"}],
     "add a flatten layer"),
    (DEFAULT_NETWORK[:4] + [{"type": "fc", "units": 7}, {"type": "softmax_ce"}],
     "needs 10 scores"),
    (DEFAULT_NETWORK[:5], "must end with softmax"),
    (DEFAULT_NETWORK[:4] + [{"type": "conv"}] + DEFAULT_NETWORK[4:], "needs a volume"),
    ([{"type": "maxpool", "size": 3, "stride": 3}] + DEFAULT_NETWORK[3:], "does not fit"),
])
def test_stacks_that_do_not_fit_say_why(layers, words):
    with pytest.raises(EngineError) as err:
        plan_network(layers)
    assert words in str(err.value)


@pytest.mark.parametrize("bad", [
    [{"type": "conv", "filters": 0}], [{"type": "dense"}], [{"type": "relu", "units": 3}],
    [{"type": "conv", "size": 2.5}], "conv", [], [{"type": "conv", "filters": True}],
])
def test_bad_layer_settings_are_value_errors(bad):
    with pytest.raises(EngineError):
        plan_network(bad)


def numeric_grad(net: Network, x, y, param: np.ndarray, index: tuple) -> float:
    keep = param[index]
    param[index] = keep + H
    plus = net.loss(x, y)
    param[index] = keep - H
    minus = net.loss(x, y)
    param[index] = keep
    return (plus - minus) / (2 * H)


@pytest.mark.parametrize("layers", [
    DEFAULT_NETWORK,
    [{"type": "conv", "filters": 4, "size": 3, "stride": 1, "pad": 1}, {"type": "relu"},
     {"type": "conv", "filters": 6, "size": 4, "stride": 2, "pad": 1}, {"type": "relu"},
     {"type": "maxpool", "size": 2, "stride": 2}, {"type": "flatten"},
     {"type": "fc", "units": 12}, {"type": "relu"}, {"type": "fc", "units": 10},
     {"type": "softmax_ce"}],
])
def test_whole_network_gradients_match_centered_differences(layers):
    data = digits.load()
    # A little noise: blank areas of a digit would otherwise give max pool windows of equal
    # values, where the loss has a kink and centered differences are one-sided.
    x = data.x_train[:6] + np.random.default_rng(2).normal(0, 0.05, (6, 1, 8, 8))
    y = data.y_train[:6]
    net = Network(layers, seed=3)
    for ps in net.params:          # non-zero biases, so their gradients are tested too
        if ps:
            ps[1][...] = np.random.default_rng(1).normal(0, 0.1, ps[1].shape)
    net.loss(x, y)
    arriving = net.backward(need_input_grad=True)
    rng = np.random.default_rng(0)
    checked = 0
    for params, grads in zip(net.params, net.grads, strict=True):
        for p, g in zip(params, grads, strict=True):
            g = g.copy()
            for _ in range(4):
                index = tuple(int(rng.integers(n)) for n in p.shape)
                expected = numeric_grad(net, x, y, p, index)
                assert g[index] == pytest.approx(expected, rel=1e-5, abs=1e-8)
                checked += 1
    assert checked == 4 * sum(len(ps) for ps in net.params)
    # the gradient arriving at the input image, for the inspection view
    for _ in range(4):
        index = (int(rng.integers(6)), 0, int(rng.integers(8)), int(rng.integers(8)))
        xp = np.array(x)
        expected = numeric_grad(net, xp, y, xp, index)
        assert arriving[0][index] == pytest.approx(expected, rel=1e-5, abs=1e-8)


def test_sgd_momentum_follows_its_update_rule():
    p, g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([-1.0, 2.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step([g1])
    opt.step([g2])
    # v1 = g1; p1 = p - 0.1 v1; v2 = 0.9 v1 + g2; p2 = p1 - 0.1 v2
    assert p == pytest.approx([1.0 - 0.05 - 0.1 * (0.45 - 1.0), -2.0 - 0.025 - 0.1 * (0.225 + 2.0)])


def test_adam_follows_its_update_rule():
    p, g = np.array([3.0]), np.array([0.2])
    opt = Adam([p], lr=0.01)
    opt.step([g])
    # step 1: m̂ = g, v̂ = g², so the step is lr · g / (|g| + eps) = lr
    assert p[0] == pytest.approx(3.0 - 0.01 * 0.2 / (0.2 + 1e-8))
    opt.step([g])
    assert p[0] == pytest.approx(3.0 - 0.01 * 0.2 / (0.2 + 1e-8) * 2, rel=1e-9)


def test_split_is_fixed_and_disjoint():
    data = digits.load()
    assert len(data.y_train) + len(data.y_test) == 1797 and len(data.y_test) == 359  # 20%, rounded
    assert data.x_train.shape[1:] == (1, 8, 8) and 0 <= data.x_train.min() < data.x_train.max() <= 1
    train = {a.tobytes() for a in data.x_train}
    # a few digits are exact duplicates in the data set itself; nearly all test images are new
    assert sum(a.tobytes() in train for a in data.x_test) < 10


def test_two_epochs_learn_the_digits():
    trainer = Trainer(TrainConfig(seed=0))
    before = trainer.evaluate("test")
    reports = [trainer.epoch_report() for _ in range(2)]
    assert before["accuracy"] < 0.3
    assert reports[1]["loss"] < reports[0]["loss"] < before["loss"]
    assert reports[1]["test_accuracy"] > 0.9


def test_inspection_of_a_test_image():
    trainer = Trainer(TrainConfig(seed=0))
    seen = trainer.inspect({"split": "test", "index": 5})
    label = int(digits.load().y_test[5])
    assert seen["label"] == label and seen["target"] == label
    assert sum(seen["probabilities"]) == pytest.approx(1.0)
    # dL/dscores of softmax cross-entropy is p - onehot
    onehot = np.eye(10)[label]
    assert seen["layers"][-1]["grad"] == pytest.approx(seen["probabilities"] - onehot)
    assert [entry["output"].shape for entry in seen["layers"]] == [
        (8, 8, 8), (8, 8, 8), (8, 4, 4), (128,), (10,)]


def test_neuron_program_is_the_units_dot_product():
    trainer = Trainer(TrainConfig(seed=0))
    trainer.train_epoch()
    body = trainer.neuron_program({"split": "test", "index": 2}, 4, 7)
    x, w, b = (np.asarray(body["inputs"][k]) for k in ("x", "w", "b"))
    assert float(np.dot(w, x) + b) == pytest.approx(body["value"])
    scores = trainer.inspect({"split": "test", "index": 2})["scores"]
    assert body["value"] == pytest.approx(scores[7])


@pytest.mark.parametrize("config", [
    TrainConfig(optimizer="rmsprop"), TrainConfig(lr=0.0), TrainConfig(lr=float("nan")),
    TrainConfig(batch=0), TrainConfig(batch=10_000), TrainConfig(seed=-1),
])
def test_bad_training_settings_are_refused(config):
    with pytest.raises(EngineError):
        config.checked()


def test_cached_digits_are_scikit_learns(tmp_path, monkeypatch):
    from sklearn.datasets import load_digits

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = digits._read_digits()          # from scikit-learn, then written to the cache
    assert digits.cache_file().is_file()
    second = digits._read_digits()         # from the cache
    reference = load_digits()
    for images, target in (first, second):
        assert np.array_equal(images, reference.images)
        assert np.array_equal(target, reference.target)
