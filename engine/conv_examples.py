"""The lecture's convolution examples (LECTURE.md section 7) for the examples registry.

Entries of kind "conv" are shown by the conv view: their "conv" field is the body of
POST /api/conv (their "expression" is empty). The small ConvNet is a program for the graph
view, of kind "graph". engine/examples.py appends CONV_EXAMPLES to EXAMPLES.
"""
from __future__ import annotations


def _image(c: int, h: int, w: int, seed: int = 0, init: str = "randn") -> dict:
    return {"shape": [c, h, w], "init": init, "seed": seed, "scale": 1.0}


def _conv(id_: str, title: str, explanation: str, **body) -> dict:
    return {"id": id_, "title": title, "section": "7", "kind": "conv", "expression": "",
            "inputs": {}, "explanation": explanation, "conv": body}


CONVNET = "\n".join([
    "h = relu(conv2d(x, w1, b1, stride=1, pad=1))",
    "p = maxpool2d(h, size=2, stride=2)",
    "scores = linear(flatten(p), W2, b2)",
    "L = cross_entropy(scores, y)"])

CONV_EXAMPLES: list[dict] = [
    _conv("conv-one-filter", "32×32×3 image, one 5×5×3 filter: a 28×28×1 activation map",
          "The filter extends the full depth of the image; at each of the 28×28 positions it "
          "takes a 5·5·3 = 75-dimensional dot product plus a bias.",
          input=_image(3, 32, 32), filters=1, size=5, stride=1, pad=0),
    _conv("conv-six-filters", "Six 5×5×3 filters: activation maps stacked into 28×28×6",
          "Each filter gives its own 28×28 map; six filters stack into a 28×28×6 volume.",
          input=_image(3, 32, 32), filters=6, size=5, stride=1, pad=0),
    _conv("conv-second-layer", "A second layer: ten 5×5×6 filters on 28×28×6 give 24×24×10",
          "The next conv layer's filters are 5×5×6, the depth of its input; "
          "(28 - 5)/1 + 1 = 24, so ten of them give 24×24×10.",
          input=_image(6, 28, 28, seed=1), filters=10, size=5, stride=1, pad=0),
    _conv("conv-7x7-stride-1", "7×7 input, 3×3 filter, stride 1: 5×5 output",
          "(7 - 3)/1 + 1 = 5 positions in each direction.",
          input=_image(1, 7, 7, init="arange"), filters=1, size=3, stride=1, pad=0),
    _conv("conv-7x7-stride-2", "7×7 input, 3×3 filter, stride 2: 3×3 output",
          "Moving two pixels at a time: (7 - 3)/2 + 1 = 3.",
          input=_image(1, 7, 7, init="arange"), filters=1, size=3, stride=2, pad=0),
    _conv("conv-7x7-stride-3", "7×7 input, 3×3 filter, stride 3: doesn't fit!",
          "(7 - 3)/3 + 1 = 2.33 is not a whole number: the filter cannot be placed evenly, "
          "and the layer is refused.",
          input=_image(1, 7, 7, init="arange"), filters=1, size=3, stride=3, pad=0),
    _conv("conv-7x7-pad-1", "7×7 input, 3×3 filter, stride 1, zero pad 1: 7×7 output",
          "A border of zeros one pixel wide keeps the size: (7 - 3 + 2·1)/1 + 1 = 7. "
          "Pad (F - 1)/2 does this for F = 3, 5, 7.",
          input=_image(1, 7, 7, init="arange"), filters=1, size=3, stride=1, pad=1),
    _conv("conv-pad-2-760-params", "32×32×3, ten 5×5 filters, stride 1, pad 2: 32×32×10",
          "(32 + 2·2 - 5)/1 + 1 = 32. Each filter has 5·5·3 + 1 = 76 parameters (one is "
          "the bias), so the layer has 76·10 = 760.",
          input=_image(3, 32, 32), filters=10, size=5, stride=1, pad=2),
    _conv("conv-1x1", "1×1 convolution: 56×56×64 with 32 filters gives 56×56×32",
          "A 1×1 filter still spans the full depth: each output is a 64-dimensional dot "
          "product, so the volume keeps its size and changes its depth.",
          input=_image(64, 56, 56), filters=32, size=1, stride=1, pad=0),
    _conv("maxpool-4x4", "Max pooling, 2×2 filters and stride 2",
          "Each 2×2 block of [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]] keeps "
          "its largest value: [[6, 8], [3, 4]]. Backward, the max gate routes each gradient "
          "to the position that won; pooling has no parameters.",
          input=[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]],
          conv=False, pool={"size": 2, "stride": 2}),
    _conv("conv-relu-pool", "CONV → RELU → POOL on an 8×8 image",
          "Two 3×3 filters with pad 1 keep 8×8, ReLU zeroes the negatives, and a 2×2 max "
          "pool halves the size to 4×4×2.",
          input=_image(1, 8, 8, seed=3), filters=2, size=3, stride=1, pad=1, relu=True,
          pool={"size": 2, "stride": 2}, upstream="random"),
    {"id": "small-convnet", "title": "A small ConvNet: [(CONV-RELU)-POOL]-FC, softmax loss",
     "section": "7", "kind": "graph", "expression": CONVNET,
     "inputs": {"x": {"shape": [2, 1, 8, 8], "init": "randn", "seed": 0},
                "w1": {"shape": [4, 1, 3, 3], "init": "randn", "seed": 1, "scale": 0.5},
                "b1": {"shape": [4], "init": "zeros"},
                "W2": {"shape": [3, 64], "init": "randn", "seed": 2, "scale": 0.1},
                "b2": {"shape": [3], "init": "zeros"},
                "y": [0, 2]},
     "explanation": "Two 8×8 images through four 3×3 filters (pad 1 keeps 8×8), ReLU, a 2×2 "
                    "max pool (4×4×4 = 64 numbers), a fully connected layer to 3 class scores "
                    "and the cross-entropy loss; backprop reaches every filter weight."},
]
