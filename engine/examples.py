"""The lecture's worked examples, as named programs the API and the page list.

Each entry: id, title, section (of LECTURE.md), expression, inputs (extra or overriding
values), optional upstream and output, a sentence of explanation, and kind ("graph" for
the graph view, "conv" for the convolution view).
"""
from __future__ import annotations

from engine.conv_examples import CONV_EXAMPLES

SIGMOID_GATES = "\n".join([
    "w0 = 2", "x0 = -1", "w1 = -3", "x1 = -2", "w2 = -3",
    "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"])

GRAPH_EXAMPLES = [
    {"id": "simple", "title": "The simple example: (x + y) · z", "section": "2",
     "expression": "x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z",
     "explanation": "q = x + y = 3 and f = q·z = -12; backward, df/dz = q = 3 and "
                    "df/dq = z = -4, which the add gate hands unchanged to x and y."},
    {"id": "sigmoid-neuron", "title": "The sigmoid neuron, gate by gate", "section": "3",
     "expression": SIGMOID_GATES,
     "explanation": "A 2-d neuron built from *, +, *-1, exp, +1 and 1/x gates: the output "
                    "0.73 sends back -0.53, -0.20, 0.20 and finally w0: -0.20, x0: 0.39."},
    {"id": "sigmoid-gate", "title": "The same neuron with one sigmoid gate", "section": "3",
     "expression": "w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\n"
                   "f = sigmoid(w0*x0 + w1*x1 + w2)",
     "explanation": "One σ gate replaces four: its local gradient (1 - σ)·σ = (1 - 0.73)·0.73 "
                    "= 0.2 gives the same gradients. A graph is not unique."},
    {"id": "add-gate", "title": "Add gate: gradient distributor", "section": "4",
     "expression": "x = 3\ny = 4\nz = x + y", "upstream": 2,
     "explanation": "3 + 4 = 7; the upstream gradient 2 reaches both inputs unchanged."},
    {"id": "mul-gate", "title": "Mul gate: swap multiplier", "section": "4",
     "expression": "x = 2\ny = 3\nz = x * y", "upstream": 5,
     "explanation": "2 · 3 = 6; upstream 5 gives x 5·3 = 15 and y 2·5 = 10: each input gets "
                    "the other's value times upstream."},
    {"id": "copy-gate", "title": "Copy gate: gradient adder", "section": "4",
     "expression": "c = 7\nf = 4 * c + 2 * c",
     "explanation": "c = 7 is used twice; the two uses send back 4 and 2, which add up to "
                    "4 + 2 = 6 at c."},
    {"id": "max-gate", "title": "Max gate: gradient router", "section": "4",
     "expression": "x = 4\ny = 5\nz = max(x, y)", "upstream": 9,
     "explanation": "max(4, 5) = 5; the upstream 9 goes all to the larger input y and 0 "
                    "to x."},
    {"id": "patterns", "title": "All four patterns in one graph", "section": "4",
     "expression": "x = 3\ny = -4\nz = 2\nw = -1\nf = 2 * (x * y + max(z, w)) + x",
     "explanation": "The add gate distributes, the mul gate swaps, the max gate routes to "
                    "z and not w, and x, used twice, adds its two gradients: -8 + 1 = -7."},
    {"id": "relu-vector", "title": "Elementwise ReLU on a vector", "section": "6",
     "expression": "x = [1, -2, 3, -1]\nz = relu(x)", "upstream": [4, -1, 5, 9],
     "explanation": "z = [1, 0, 3, 0]; the Jacobian is diag(1, 0, 1, 0), so dL/dx = "
                    "[4, 0, 5, 0]: never form it, multiply implicitly."},
    {"id": "matmul", "title": "Matrix multiply y = x w", "section": "6",
     "expression": "x = [[2, 1, -3], [-3, 4, 2]]\n"
                   "w = [[3, 2, 1, -1], [2, 1, 3, 2], [3, 2, 1, -2]]\ny = x @ w",
     "upstream": [[2, 3, -3, 9], [-8, 1, 4, 6]],
     "explanation": "y = [[-1, -1, 2, 6], [5, 2, 11, 7]]; dL/dx = dL/dy wᵀ and dL/dw = "
                    "xᵀ dL/dy: the only way to make the shapes match."},
    {"id": "linear-svm", "title": "Linear classifier with hinge loss and regularization",
     "section": "1",
     "expression": "s = W @ x\ndata_loss = svm_loss(s, y)\nR = 0.1 * sum(W * W)\n"
                   "L = data_loss + R",
     "inputs": {"W": [[0.2, -0.5, 0.1, 2.0], [1.5, 1.3, 2.1, 0.0], [0.0, 0.25, 0.2, -0.3]],
                "x": [56, 231, 24, 2], "y": 2},
     "explanation": "s = W x gives class scores, the hinge loss compares them with the "
                    "label, R(W) penalises large weights, and L adds the two."},
    {"id": "two-layer-svm", "title": "Two-layer network with an SVM loss", "section": "5",
     "expression": "h = relu(linear(X, W1, b1))\ns = linear(h, W2, b2)\nL = svm_loss(s, y)",
     "inputs": {"X": {"shape": [4, 3], "init": "randn", "seed": 1},
                "W1": {"shape": [5, 3], "init": "randn", "seed": 2, "scale": 0.5},
                "b1": {"shape": [5], "init": "zeros"},
                "W2": {"shape": [3, 5], "init": "randn", "seed": 3, "scale": 0.5},
                "b2": {"shape": [3], "init": "zeros"},
                "y": [0, 2, 1, 2]},
     "explanation": "A batch of 4 through linear-ReLU-linear and the multiclass hinge loss; "
                    "the flat code of this net is the lecture's two-layer example."},
    {"id": "softmax-loss", "title": "Softmax loss written out, numerically stable",
     "section": "1",
     "expression": "N = 4\ns = X @ W + b\nshifted = s - max(s, axis=1, keepdims=True)\n"
                   "log_probs = shifted - log(sum(exp(shifted), axis=1, keepdims=True))\n"
                   "L = -mean(log_probs[arange(N), y])",
     "inputs": {"X": {"shape": [4, 3], "init": "randn", "seed": 4},
                "W": {"shape": [3, 3], "init": "randn", "seed": 5, "scale": 0.5},
                "b": {"shape": [3], "init": "zeros"}, "y": [0, 2, 1, 2]},
     "explanation": "Subtracting each row's max keeps exp from overflowing and changes no "
                    "gradient; s[arange(N), y] picks each example's correct-class score, and "
                    "its backward scatters the gradient back into a zero matrix."},
    {"id": "svm-vectorised", "title": "Vectorised multiclass SVM loss", "section": "1",
     "expression": "N = 4\ns = X @ W\ncorrect = s[arange(N), y]\n"
                   "margins = max(0, s - correct[:, None] + 1)\nL = sum(margins) / N - 1",
     "inputs": {"X": {"shape": [4, 3], "init": "randn", "seed": 6},
                "W": {"shape": [3, 3], "init": "randn", "seed": 7}, "y": [1, 0, 2, 1]},
     "explanation": "All margins at once, with no loop: the correct class's own margin is "
                    "max(0, 1) = 1 in every row, hence the - 1; the max gate routes the "
                    "gradient only where a margin is positive."},
    {"id": "two-layer-net", "title": "Two-layer network's softmax loss with regularization",
     "section": "5",
     "expression": "N = 4\nh = relu(X @ W1 + b1)\ns = h @ W2 + b2\n"
                   "shifted = s - max(s, axis=1, keepdims=True)\n"
                   "log_probs = shifted - log(sum(exp(shifted), axis=1, keepdims=True))\n"
                   "data_loss = -mean(log_probs[arange(N), y])\n"
                   "L = data_loss + 0.5 * reg * (sum(W1 * W1) + sum(W2 * W2))",
     "inputs": {"X": {"shape": [4, 3], "init": "randn", "seed": 8},
                "W1": {"shape": [3, 5], "init": "randn", "seed": 9, "scale": 0.5},
                "b1": {"shape": [5], "init": "zeros"},
                "W2": {"shape": [5, 3], "init": "randn", "seed": 10, "scale": 0.5},
                "b2": {"shape": [3], "init": "zeros"}, "y": [2, 0, 1, 1], "reg": 0.1},
     "explanation": "The assignment's two-layer net: affine, ReLU, affine, softmax loss, "
                    "plus L2 regularization; W1 and W2 each get a data gradient and reg·W."},
    {"id": "rnn-unrolled", "title": "Vanilla RNN unrolled over 4 steps", "section": "5",
     "expression": "h = h0\nfor t in range(4):\n    h = tanh(x[:, t] @ Wx + h @ Wh + b)\n"
                   "L = sum(h * h)",
     "inputs": {"x": {"shape": [2, 4, 3], "init": "randn", "seed": 11},
                "h0": {"shape": [2, 5], "init": "randn", "seed": 12, "scale": 0.5},
                "Wx": {"shape": [3, 5], "init": "randn", "seed": 13, "scale": 0.5},
                "Wh": {"shape": [5, 5], "init": "randn", "seed": 14, "scale": 0.5},
                "b": {"shape": [5], "init": "zeros"}},
     "explanation": "The same Wx and Wh at every step: each time step is a group, and "
                    "their gradients add up over the four steps (a copy gate per weight)."},
    {"id": "lstm-step", "title": "One LSTM step, gates sliced from one matrix",
     "section": "5",
     "expression": "H = 3\na = x @ Wx + h0 @ Wh + b\ni = sigmoid(a[:, :H])\n"
                   "f = sigmoid(a[:, H:2*H])\no = sigmoid(a[:, 2*H:3*H])\n"
                   "g = tanh(a[:, 3*H:])\nc = f * c0 + i * g\nh = o * tanh(c)\nL = sum(h)",
     "inputs": {"x": {"shape": [2, 4], "init": "randn", "seed": 15},
                "h0": {"shape": [2, 3], "init": "randn", "seed": 16},
                "c0": {"shape": [2, 3], "init": "randn", "seed": 17},
                "Wx": {"shape": [4, 12], "init": "randn", "seed": 18, "scale": 0.5},
                "Wh": {"shape": [3, 12], "init": "randn", "seed": 19, "scale": 0.5},
                "b": {"shape": [12], "init": "zeros"}},
     "explanation": "One matrix multiply makes all four gates' activations a (N, 4H); "
                    "slicing a[:, H:2*H] cuts out the forget gate, and each slice's "
                    "gradient lands back in its own columns of da."},
    {"id": "embedding", "title": "Word embedding lookup with repeated words", "section": "6",
     "expression": "words = W_embed[captions]\nL = sum(tanh(words @ w))",
     "inputs": {"W_embed": {"shape": [5, 4], "init": "randn", "seed": 20},
                "w": {"shape": [4], "init": "randn", "seed": 21},
                "captions": [[0, 3, 1], [1, 1, 2]]},
     "explanation": "Word 1 appears three times: the lookup copies its row three times, so "
                    "its gradient is the sum of three contributions, the copy gate's adder."},
    {"id": "batchnorm", "title": "Batch normalization written out", "section": "6",
     "expression": "mu = mean(x, axis=0, keepdims=True)\nxc = x - mu\n"
                   "var = mean(xc * xc, axis=0, keepdims=True)\n"
                   "xhat = xc / sqrt(var + 1e-5)\ny = gamma * xhat + beta\nL = sum(y * w)",
     "inputs": {"x": {"shape": [4, 3], "init": "randn", "seed": 22, "scale": 2.0},
                "gamma": [1.0, 0.5, 2.0], "beta": [0.0, 0.1, -0.2],
                "w": {"shape": [4, 3], "init": "randn", "seed": 23}},
     "explanation": "Each column is normalised by its batch mean and variance; x reaches "
                    "xhat along three paths (directly, through mu and through var), whose "
                    "gradients add."},
]

# Examples of one section side by side (the page's menu groups them by section), sections
# in the order they first appear.
_FIRST = {}
for _i, _example in enumerate(GRAPH_EXAMPLES):
    _FIRST.setdefault(_example["section"], _i)
GRAPH_EXAMPLES.sort(key=lambda e: _FIRST[e["section"]])

for _example in GRAPH_EXAMPLES:
    _example.setdefault("kind", "graph")
    _example.setdefault("inputs", {})


EXAMPLES: list[dict] = GRAPH_EXAMPLES + CONV_EXAMPLES
EXAMPLES_BY_ID = {e["id"]: e for e in EXAMPLES}
