"""Every request and response body of the HTTP API, as pydantic models.

Tensors travel as a JSON number, a nested list of numbers, or (responses only) the strings
"nan", "inf", "-inf" for non-finite values. Response models allow extra keys so that a
field the engine adds later reaches clients instead of breaking the response.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

DEFAULT_RTOL = 1e-4
DEFAULT_ATOL = 1e-6

TENSOR_DOC = ('a number, a nested list of numbers, or a generator {"shape": [1, 3, 32, 32], '
              '"init": "randn|uniform|zeros|ones|arange", "seed": 0, "scale": 1.0}')
OUT_TENSOR_DOC = 'a number or nested list; non-finite entries are the strings "nan", "inf", "-inf"'
TOLERANCE_DOC = ("An answer is correct when every entry satisfies numpy.isclose semantics: "
                 "|given - expected| <= atol + rtol * |expected| (NaN matches NaN).")

SIMPLE_EXAMPLE = {"expression": "x = -2; y = 5; z = -4; f = (x + y) * z", "inputs": {}}
NEURON_EXAMPLE = {
    "expression": "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
    "inputs": {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3},
    "gradcheck": True, "code": True,
}
MATMUL_EXAMPLE = {
    "expression": "y = x @ w",
    "inputs": {"x": [[2, 1, -3], [-3, 4, 2]],
               "w": [[3, 2, 1, -1], [2, 1, 3, 2], [3, 2, 1, -2]]},
    "upstream": [[2, 3, -3, 9], [-8, 1, 4, 6]],
}
GRADE_EXAMPLE = {
    "expression": "q = x + y; f = q * z", "inputs": {"x": -2, "y": 5, "z": -4},
    "answers": {"grad": {"x": -4, "y": -4, "z": 3, "q": -4}, "value": {"q": 3, "f": -12}},
    "reveal": True,
}
BATCH_EXAMPLE = {
    "expression": "q = x + y; f = q * z", "inputs": {"x": -2, "y": 5, "z": -4},
    "submissions": [
        {"id": "alice", "answers": {"grad": {"x": -4, "y": -4, "z": 3}}},
        {"id": "bob", "answers": {"grad": {"x": 4, "y": -4, "z": [3]}}},
    ],
}
CONV_EXAMPLE = {"input": {"shape": [3, 32, 32], "init": "randn", "seed": 0},
                "filters": 10, "size": 5, "stride": 1, "pad": 2}
CONV_GRADE_EXAMPLE = {"input": {"shape": [1, 7, 7], "init": "arange"}, "filters": 1, "size": 3,
                      "stride": 2, "answers": {"width": 3, "height": 3, "depth": 1}}
POOL_EXAMPLE = {"input": [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]],
                "conv": False, "pool": {"size": 2, "stride": 2}}


GRAPH_EXAMPLES = {
    "simple": {"summary": "The lecture's simple example: f = (x + y) * z",
               "value": SIMPLE_EXAMPLE},
    "neuron": {"summary": "The sigmoid neuron, with gradient check and flat code",
               "value": NEURON_EXAMPLE},
    "matmul": {"summary": "Matrix multiply y = x w with an upstream gradient",
               "value": MATMUL_EXAMPLE},
}
GRADE_EXAMPLES = {"simple": {"summary": "Grade gradients and values of the simple example",
                             "value": GRADE_EXAMPLE}}
BATCH_EXAMPLES = {"two": {"summary": "Two submissions, one right and one wrong",
                          "value": BATCH_EXAMPLE}}
CONV_EXAMPLES = {
    "conv": {"summary": "32x32x3 input, 10 filters 5x5, stride 1, pad 2: 760 parameters",
             "value": CONV_EXAMPLE},
    "pool": {"summary": "The lecture's 2x2 max pool on a 4x4 input", "value": POOL_EXAMPLE},
}


def schema_examples(named: dict) -> ConfigDict:
    """Model config that lists the named examples in the model's JSON schema."""
    return ConfigDict(json_schema_extra={"examples": [e["value"] for e in named.values()]})


def _whole(value, low: int, high: int | None = None) -> bool:
    """A whole number in [low, high]; JSON Schema's integers include 3.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return (isinstance(value, int) and not isinstance(value, bool) and value >= low
            and (high is None or value <= high))


def _whole_to_int(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        return [_whole_to_int(v) for v in value]
    return value


def _as_int(value):
    return int(value) if isinstance(value, float) else value


def _generator_problem(spec: dict) -> str | None:
    """What is wrong with a generator object, as GENERATOR_SCHEMA says (None: nothing)."""
    unknown = sorted(set(spec) - set(GENERATOR_SCHEMA["properties"]))
    if unknown:
        return f"unknown generator keys {unknown}; use shape, init, seed, scale"
    shape = spec.get("shape", [])
    if not (_whole(shape, 0) or (isinstance(shape, list) and len(shape) <= 8
                                 and all(_whole(n, 0) for n in shape))):
        return "shape must be a whole number or a list of at most 8 of them, none negative"
    init = spec.get("init", "randn")
    if init not in GENERATOR_SCHEMA["properties"]["init"]["enum"]:
        return f"init must be one of randn, uniform, zeros, ones, arange, got {init!r}"
    if not _whole(spec.get("seed", 0), 0, 2**32 - 1):
        return "seed must be a whole number from 0 to 2**32 - 1"
    scale = spec.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        return "scale must be a number"
    return None


def _tensor(value):
    """A request's tensor: a number (not a boolean), a list, or a generator object. What is
    inside a list is the engine's to read (it names the bad entry)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, list, dict)):
        raise ValueError("expected a number, a nested list of numbers or a generator object")
    if isinstance(value, dict):
        problem = _generator_problem(value)
        if problem:
            raise ValueError(problem)
        value = dict(value)
        for key in ("shape", "seed"):
            if key in value:
                v = value[key]
                value[key] = [_as_int(n) for n in v] if isinstance(v, list) else _as_int(v)
    return value


GENERATOR_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"shape": {"anyOf": [{"type": "integer", "minimum": 0},
                                       {"type": "array", "maxItems": 8,
                                        "items": {"type": "integer", "minimum": 0}}]},
                   "init": {"enum": ["randn", "uniform", "zeros", "ones", "arange"]},
                   "seed": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
                   "scale": {"type": "number"}}}
# The JSON schema says what the server reads; a list's entries are checked by the engine,
# which names the entry at fault (`input 'x': ...`).
Tensor = Annotated[Any, AfterValidator(_tensor), WithJsonSchema(
    {"anyOf": [{"type": "number"}, {"type": "array"}, GENERATOR_SCHEMA],
     "description": TENSOR_DOC})]


class _Request(BaseModel):
    """Request bodies: no unknown keys, and no coercion ("yes" is not a boolean, "1" not a
    number)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _json_integers(cls, data):
        """JSON Schema's integers include 2.0: whole floats become ints (a float field
        takes ints, so nothing else changes)."""
        if isinstance(data, dict):
            return {k: _whole_to_int(v) for k, v in data.items()}
        return data


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


class ProgramFields(_Request):
    """What every evaluation needs: the program text and its inputs."""

    expression: str = Field(description="Program text: `name = expr` statements, one per line "
                            "or separated by `;`; `x = -2` declares an input; the last "
                            "statement is the output.")
    inputs: dict[str, Tensor] = Field(default_factory=dict,
                                      description=f"Input name -> value: {TENSOR_DOC}.")
    output: str | None = Field(None, description="The variable to differentiate (default: the "
                               "last statement).")
    upstream: Tensor | None = Field(None, description="Gradient arriving at the output "
                                   "(default 1 / ones); shaped like the output.")


class GraphRequest(ProgramFields):
    """Body of POST /api/graph."""

    model_config = schema_examples(GRAPH_EXAMPLES)
    gradcheck: bool = Field(False, description="Also compare every input gradient with "
                            "centered finite differences.")
    code: bool = Field(False, description="Also return the program as flat numpy code "
                       "(forward and backward).")
    expand: bool = Field(False, description="Trace the built-in composites (sigmoid, softmax, "
                         "cross_entropy, svm_loss, linear) as their primitive gates, each call "
                         "a group of kind composite, instead of one gate with its own local "
                         "gradient; values and gradients are the same.")
    hide: list[Literal["grad", "value"]] = Field(
        default_factory=list, max_length=2,
        description='Quiz mode: leave these quantities out of the whole answer. "grad": every '
        "gradient (nodes, copy-gate parts, backward steps, the gradients map; no gradcheck or "
        'code), except the output\'s own upstream gradient; "value": every computed value '
        "too (inputs and constants stay). Reveal one with POST /api/grade.")


class GradPart(_Response):
    from_: str | int = Field(alias="from", description="The consumer node's id.")
    value: Any = Field(description=f"This consumer's contribution: {OUT_TENSOR_DOC}.")


class GraphNode(_Response):
    id: str | int
    kind: Literal["input", "const", "op"]
    op: str | None = Field(None, description="Registry name of the op (GET /api/ops).")
    label: str | None = Field(None, description="What the gate shows: +, ×, max, σ, 1/x ...")
    name: str | None = Field(None, description="The user's variable name, if any.")
    inputs: list[str | int] = Field(default_factory=list)
    shape: list[int] = Field(default_factory=list)
    value: Any = Field(None, description=OUT_TENSOR_DOC)
    grad: Any = Field(None, description=OUT_TENSOR_DOC)
    pattern: str | None = Field(None, description="distributor | swap | router | adder | null")
    grad_parts: list[GradPart] | None = None
    data: Any = None
    display: str | None = Field(None, description="Unique name for the page: the variable, "
                                "the expression text (w0·x0) or a numbered symbol (+₂).")
    groups: list[str] = Field(default_factory=list, description="Ids of the groups this node "
                              "belongs to, outermost first.")
    dtype: Literal["int", "float"] = Field("float", description="int for labels, indices and "
                                           "arange; their values are whole numbers.")


class GroupLocal(_Response):
    formula: str
    text: str | None = Field(None, description="The formula filled in with numbers.")
    value: Any = Field(None, description="d output / d input when the group has one input "
                       "and one output of one element each, else null.")


class GraphGroup(_Response):
    id: str
    name: str = Field(description="The function's name, the composite op, or the loop.")
    kind: Literal["function", "composite", "loop"]
    parent: str | None = None
    iteration: int | None = Field(None, description="t of one loop iteration, else null.")
    inputs: list[str | int] = Field(default_factory=list, description="Nodes feeding the "
                                    "group from outside.")
    output: str | int | None = None
    local: GroupLocal | None = None


class BackwardStep(_Response):
    node: str | int
    inputs: list[str | int] = Field(default_factory=list)
    upstream: Any = Field(None, description="Gradient arriving at this node.")
    local: list[Any] | None = Field(None, description="Per input: the local gradient (a number "
                                    "or a small Jacobian) or null.")
    downstream: list[Any] = Field(default_factory=list,
                                  description="Per input: upstream x local, or null.")
    formula: str | None = Field(None, description="The op's local gradient, from the registry: "
                                "d/dx exp(x) = exp(x).")
    worked: list[str | None] | None = Field(None, description="Per input: this step's numbers, "
                                            "entry by entry up to 8 entries ([4, -1] ⊙ [1, 0] "
                                            "= [4, 0]), by shape beyond; null: no gradient.")


class Gradcheck(_Response):
    h: Any = None
    inputs: dict[str, Any] = Field(default_factory=dict,
                                   description="name -> {analytic, numeric, rel_error}")
    max_rel_error: Any = None
    passed: bool | None = Field(None, description="null when the check was skipped (see "
                                "skipped)")


class Code(_Response):
    forward: str
    backward: str


class GraphResponse(_Response):
    """Body of a POST /api/graph answer: every node's value and gradient, both passes in order."""

    output: str | int
    value: Any = Field(description=OUT_TENSOR_DOC)
    gradients: dict[str, Any] = Field(description="Input name -> gradient (same shape as input).")
    nodes: list[GraphNode]
    forward: list[str | int]
    backward: list[BackwardStep]
    gradcheck: Gradcheck | None = None
    code: Code | None = None
    groups: list[GraphGroup] = Field(default_factory=list, description="Function calls, "
                                     "loops and their iterations, expanded composites.")
    warnings: list[str] = Field(default_factory=list)
    hidden: list[str] | None = Field(None, description="What quiz mode left out (the "
                                     "request's hide; values imply gradients).")


class Answers(_Request):
    grad: dict[str, Any] = Field(default_factory=dict, description="Variable name (an input or a "
                                 "named intermediate) -> the submitted gradient of the output.")
    value: dict[str, Any] = Field(default_factory=dict, description="Variable name -> the "
                                  "submitted forward value.")


class Required(_Request):
    grad: list[str] = Field(default_factory=list)
    value: list[str] = Field(default_factory=list)


class GradingFields(ProgramFields):
    rtol: float = Field(DEFAULT_RTOL, ge=0, le=1, description=f"Relative tolerance. "
                        f"{TOLERANCE_DOC}")
    atol: float = Field(DEFAULT_ATOL, ge=0, le=1e6, description=f"Absolute tolerance. "
                        f"{TOLERANCE_DOC}")
    reveal: bool = Field(False, description="Include the expected value in each verdict.")
    require: Required | None = Field(None, description="The answers asked for: the score is "
                                     "the fraction of them answered right (a missing one is "
                                     "wrong); other answers are judged and reported with "
                                     "scored = false, but do not count.")


class GradeRequest(GradingFields):
    """Body of POST /api/grade."""

    model_config = schema_examples(GRADE_EXAMPLES)
    answers: Answers


class Submission(_Request):
    id: str | int = Field(description="The submission's key in the results (unique).")
    answers: Answers


class BatchGradeRequest(GradingFields):
    """Body of POST /api/grade/batch (and of the file `chainrule grade` reads)."""

    model_config = schema_examples(BATCH_EXAMPLES)
    submissions: list[Any] = Field(description="Submissions, each {\"id\": string or integer, "
                                   "\"answers\": {\"grad\": {...}, \"value\": {...}}} (see "
                                   "Submission). Each is checked on its own: a malformed one "
                                   "gets an error entry in the results, the others are graded.")

    @model_validator(mode="after")
    def _unique_ids(self):
        seen = set()
        for s in self.submissions:
            sid = s.get("id") if isinstance(s, dict) else None
            if type(sid) not in (str, int):
                continue
            if str(sid) in seen:
                raise ValueError(f"duplicate submission id {str(sid)!r}: ids must be unique")
            seen.add(str(sid))
        return self


class Verdict(_Response):
    correct: bool
    given: Any = Field(None, description="The submitted value as read.")
    expected: Any = Field(None, description="The right answer (only when reveal is true).")
    message: str
    scored: bool | None = Field(None, description="With require: whether this answer counts "
                                "toward the score (false for an answer not asked for).")


class Verdicts(_Response):
    grad: dict[str, Verdict] = Field(default_factory=dict)
    value: dict[str, Verdict] = Field(default_factory=dict)


class GradeResponse(_Response):
    """One submission's grade: score = correct / total (total: the required answers when
    require is given, else every answer given)."""

    score: float
    correct: int
    total: int
    results: Verdicts


class SubmissionError(_Response):
    """A malformed submission of a batch: what is wrong with it, FastAPI-shaped."""

    detail: list[ErrorItem]


class BatchGradeResponse(_Response):
    """Grades keyed by submission id, in the order submitted."""

    count: int
    graded: int | None = Field(None, description="Submissions graded (count minus the "
                               "malformed ones).")
    mean_score: float = Field(description="Mean score of the graded submissions.")
    results: dict[str, GradeResponse | SubmissionError] = Field(
        description="Submission id (or #position when it has none) -> its grade, or an "
        "error entry for a malformed submission.")
    warnings: list[str] = Field(default_factory=list)


class PoolSpec(_Request):
    size: int | list[int] = Field(2, description="Window size (int or [height, width]).")
    stride: int | list[int] = Field(2, description="Step (int or [height, width]).")


class ConvRequest(_Request):
    """Body of POST /api/conv: one conv layer (and optional ReLU / max pool) worked out."""

    model_config = schema_examples(CONV_EXAMPLES)
    input: Tensor = Field(description=f"(C, H, W) or (H, W): {TENSOR_DOC}.")
    filters: int = Field(1, ge=1, description="K, the number of filters.")
    size: int | list[int] = Field(3, description="F (int or [FH, FW]).")
    stride: int | list[int] = Field(1, description="S (int or [SH, SW]).")
    pad: int | list[int] = Field(0, description="P, zero padding (int or [PH, PW]).")
    weights: Tensor | None = Field(None, description="(K, C, FH, FW); random (from seed) when "
                                   "omitted.")
    bias: Tensor | None = Field(None, description="(K,); random (from seed) when omitted.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed for random weights and bias.")
    relu: bool = Field(False, description="Apply ReLU after the convolution.")
    pool: PoolSpec | None = Field(None, description="Max pool after conv / ReLU.")
    conv: bool = Field(True, description="False: no conv layer, the pool acts on the input.")
    upstream: Literal["ones", "random"] | list[Any] = Field(
        "ones", description='"ones", "random", or a nested list shaped like the final output.')


def _nested(ndim: int, entry: dict | None = None):
    """A nested list of `ndim` levels. The OpenAPI schema spells out every level; at run
    time only the outer list is checked: validating a million numbers one by one would
    cost seconds for an answer the engine has just built."""
    schema: dict = entry or {"anyOf": [{"type": "number"}, {"type": "string",
                                                             "enum": ["nan", "inf", "-inf"]}]}
    for _ in range(ndim):
        schema = {"type": "array", "items": schema}
    return Annotated[list, WithJsonSchema(schema)]


Number = float | str  # a float, or "nan" / "inf" / "-inf"
Map = _nested(2)                  # (H, W)
Volume = _nested(3)               # (C, H, W) or (K, H, W)
Filters = _nested(4)              # (K, C, FH, FW)


class SizeFormula(_Response):
    """The lecture's (N - F + 2P)/S + 1 worked out, per axis."""

    height: str
    width: str


class ConvParams(_Response):
    weights: int
    biases: int
    total: int
    per_filter: int


class ConvArithmetic(_Response):
    """The conv layer's size rule and parameter count in words, with this layer's numbers."""

    rule: str = Field(description="The size rule, W2 = (W1 − F + 2P)/S + 1 ...")
    input_text: str = Field(description="The input volume as W1×H1×C (the lecture's order).")
    input_note: str
    width: str = Field(description="W2 worked out.")
    height: str = Field(description="H2 worked out.")
    params_text: str = Field(description="F·F·C·K + K worked out.")
    per_filter_text: str


class PoolArithmetic(_Response):
    rule: str
    width: str
    height: str


class ConvTerms(_Response):
    """Each window's arithmetic, so the page writes out sums without doing them."""

    channel_sums: _nested(4) | None = Field(
        None, description="(K, H2, W2, C): the sum of w * x over each channel of each window; "
        "null beyond 100,000 numbers.")
    dot: Volume = Field(description="(K, H2, W2): the sum of all products, before the bias.")
    products: _nested(6) | None = Field(
        None, description="(K, H2, W2, C, FH, FW): every product w * x; null for layers with "
        "more than 4096 of them.")


class PoolStage(_Response):
    size: list[int]
    stride: list[int]
    output_shape: list[int]
    shape_text: str
    formula: SizeFormula
    arithmetic: PoolArithmetic
    output: Volume
    argmax: _nested(4, {"type": "integer"}) = Field(
        description="(K, H3, W3, 2): [row, col] of each window's winner in the map pooled.")
    windows: _nested(3, {"type": "integer"}) = Field(
        description="(H3, W3, 2): top-left of each window.")
    grad_input: Volume | None = Field(None, description="dL/d(the map pooled): routed to the "
                                      "arg-max cells.")


class ConvStage(_Response):
    """One stage of the layer, conv -> ReLU -> max pool: its output and dL/d(that output)."""

    kind: Literal["conv", "relu", "pool"]
    title: str
    shape: list[int]
    shape_text: str
    value: Volume
    grad: Volume


class Activation(_Request):
    """One predicted entry of the conv layer's output (before ReLU and pooling)."""

    filter: int = Field(ge=0, le=10_000, description="k, the activation map (0-based).")
    row: int = Field(ge=0, le=100_000, description="i, the row in the map (0-based).")
    col: int = Field(ge=0, le=100_000, description="j, the column in the map (0-based).")
    value: Any = Field(None, description="The predicted activation (a number).")


class ConvAnswers(_Request):
    width: Any = Field(None, description="W2, the output's width.")
    height: Any = Field(None, description="H2, the output's height.")
    depth: Any = Field(None, description="The output's depth (K, the number of filters).")
    activation: Activation | None = None


class ConvGradeRequest(ConvRequest):
    """Body of POST /api/conv/grade: a conv layer and a student's predictions about it."""

    model_config = ConfigDict(json_schema_extra={"examples": [CONV_GRADE_EXAMPLE]})
    answers: ConvAnswers
    rtol: float = Field(DEFAULT_RTOL, ge=0, le=1, description=f"Relative tolerance (the "
                        f"activation). {TOLERANCE_DOC}")
    atol: float = Field(DEFAULT_ATOL, ge=0, le=1e6, description="Absolute tolerance.")
    reveal: bool = Field(False, description="Include the expected value in each verdict.")


class ConvGradeResponse(_Response):
    """The predictions graded: score = correct / total, one verdict per answer given."""

    score: float
    correct: int
    total: int
    results: dict[str, Verdict] = Field(description="width | height | depth | activation "
                                        "-> verdict")


class ConvResponse(_Response):
    """The conv layer worked out: shapes, formula, parameters, maps and gradients."""

    input_shape: list[int]
    size: list[int] | None = Field(None, description="[FH, FW]; null without a conv layer.")
    stride: list[int] | None = None
    pad: list[int] | None = None
    output_shape: list[int]
    shape_text: str | None = None
    formula: SizeFormula | None = Field(None, description="The size formula worked out, "
                                        "per axis.")
    arithmetic: ConvArithmetic | None = None
    params: ConvParams
    padded_input: Volume
    weights: Filters = Field(description="(K, C, FH, FW); [] without a conv layer.")
    bias: _nested(1)
    output: Volume
    terms: ConvTerms | None = None
    relu: Volume | None = None
    receptive_fields: _nested(3, {"type": "integer"}) | None = Field(
        None, description="(H2, W2, 2): top-left [row, col] of each window, padded coordinates.")
    pool: PoolStage | None = None
    stages: list[ConvStage] = Field(default_factory=list)
    upstream: Volume
    grad_output: Volume = Field(description="dL/d(the conv stage's output: after the ReLU "
                                "when there is one).")
    grad_conv_output: Volume | None = Field(None, description="dL/d(output), before the ReLU.")
    grad_input: Volume
    grad_padded_input: Volume
    grad_weights: Filters
    grad_bias: _nested(1)


class Example(_Response):
    id: str
    title: str
    section: str | None = None
    expression: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    output: str | None = None
    upstream: Any = None
    explanation: str | None = None
    kind: str = "graph"
    conv: Any = None


class OpInfo(_Response):
    name: str
    symbol: str
    arity: int | list[int | None] = Field(description="n, or [least, most]; most null: any "
                                          "number (concat's list)")
    inputs: list[str]
    optional: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    pattern: str | None = None
    doc: str = ""
    formula: str = Field("", description="The local gradient: d/dx exp(x) = exp(x).")


class Health(_Response):
    status: Literal["ok"]
    version: str


class ErrorItem(_Response):
    type: str = Field(description="parse | name | shape | value | limit | too_large | "
                      "json_invalid | a pydantic error type")
    msg: str = Field(description="What went wrong, in the user's terms.")
    loc: list[str | int]
    line: int | None = None
    col: int | None = None


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]


# ---------------------------------------------------------------- the network view

NET_LAYER_TYPES = Literal["conv", "relu", "maxpool", "flatten", "fc", "softmax_ce"]


class NetLayer(_Request):
    """One layer of the network; settings a type does not take are refused."""

    type: NET_LAYER_TYPES
    filters: int | None = Field(None, ge=1, le=32, description="conv: K, the filters.")
    size: int | None = Field(None, ge=1, le=8, description="conv: F; maxpool: the window.")
    stride: int | None = Field(None, ge=1, le=8, description="conv, maxpool: S.")
    pad: int | None = Field(None, ge=0, le=4, description="conv: P, zero padding.")
    units: int | None = Field(None, ge=1, le=256, description="fc: the output units.")

    def spec(self) -> dict:
        return self.model_dump(exclude_none=True)


class NetPlanRequest(_Request):
    """Body of POST /api/net/plan: a stack of layers to check."""

    network: list[NetLayer] = Field(min_length=1, max_length=16)


class NetRunRequest(_Request):
    """Body of POST /api/net/runs: what to train and how (defaults: the default network,
    SGD with momentum 0.9 at lr 0.05, batch 32, seed 0)."""

    network: list[NetLayer] | None = Field(None, min_length=1, max_length=16)
    optimizer: Literal["sgd", "adam"] = "sgd"
    lr: float | None = Field(None, ge=1e-5, le=1.0, description="Default 0.05 sgd, 0.01 adam.")
    batch: int = Field(32, ge=1, le=256)
    seed: int = Field(0, ge=0, le=2**32 - 1)

    def config(self) -> dict:
        data = self.model_dump(exclude={"network"})
        if self.network is not None:
            data["network"] = [layer.spec() for layer in self.network]
        return data


class NetControlRequest(_Request):
    """Body of POST /api/net/runs/{run}/control."""

    action: Literal["start", "pause", "step", "reset", "stop"]
    speed: Literal["full", "slow"] = Field("full", description="start: as fast as it goes, or "
                                           "slow (one batch every quarter second)")
    config: NetRunRequest | None = Field(None, description="reset: new settings (optional).")


class NetImage(_Request):
    """A digit: one of the data set's ({"split", "index"}) or drawn ({"pixels"}: 8 rows of 8
    numbers from 0 (white) to 1 (black), and optionally its "label")."""

    split: Literal["train", "test"] | None = None
    index: int | None = Field(None, ge=0, le=2000)
    pixels: list[list[float]] | None = Field(None, min_length=8, max_length=8)
    label: int | None = Field(None, ge=0, le=9)

    def spec(self) -> dict:
        return self.model_dump(exclude_none=True)


class NetInspectRequest(_Request):
    image: NetImage


class NetConvLinkRequest(_Request):
    image: NetImage
    layer: int = Field(ge=0, le=15, description="Index of a conv layer.")


class NetNeuronRequest(_Request):
    image: NetImage
    layer: int = Field(ge=0, le=15, description="Index of an FC layer.")
    unit: int = Field(ge=0, le=255, description="Which output unit of that layer.")


class NetPlan(_Response):
    fits: bool
    input_shape: list[int]
    input_text: str
    layers: list[dict[str, Any]]
    parameters: int
    error: dict[str, Any] | None = None


class NetStatus(_Response):
    run: str
    state: str
    epoch: int | None = None
    batches: int | None = None
    cpu_seconds: float | None = None
    point: dict[str, Any] | None = None


class NetImages(_Response):
    split: str
    total: int
    images: list[dict[str, Any]]
