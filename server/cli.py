"""The `chainrule` command: serve the app, evaluate a program, or grade a batch file.

    chainrule serve [--host 127.0.0.1] [--port 8000] [--workers N] [--open]
    chainrule eval EXPRESSION [--input x=-2 ...] [--output NAME] [--gradcheck] [--expand] [--json]
    chainrule grade FILE [--json]            (FILE: a /api/grade/batch body; "-" = stdin)
    chainrule grade EXERCISE ANSWERS -o gradebook.csv
                                             (EXERCISE: a batch body without submissions;
                                              ANSWERS: a CSV or JSON file, see gradebook.py)
    chainrule train [--epochs 10] [--seed 0] [--lr LR] [--batch 32] [--optimizer sgd|adam]
                    [--json]                 (the default ConvNet on scikit-learn's digits)

Exit codes: 0 done, 1 bad input (the message goes to stderr), 2 usage error.
`eval` and `grade` call the engine directly with its default limits; no server is needed.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import webbrowser
from pathlib import Path

import numpy as np
import uvicorn
from pydantic import ValidationError

import engine
from engine import grading
from server import gradebook, serialize
from server.schemas import BatchGradeRequest

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2


class BadInput(Exception):
    """A problem with what the user gave us; printed to stderr, exit code 1."""


def parse_input(text: str) -> tuple[str, object]:
    """`NAME=VALUE` where VALUE is JSON: a number, a nested list, or a generator object."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise BadInput(f"--input {text!r}: expected NAME=VALUE, e.g. x=-2 or w='[[1, 2], [3, 4]]'")
    try:
        return name.strip(), json.loads(value)
    except json.JSONDecodeError as err:
        raise BadInput(f"--input {text!r}: the value is not a number or JSON ({err.msg})") from None


def fmt(value, width: int = 40) -> str:
    """A value for the table: 6 significant digits; long tensors cut to one line."""
    if value is None:
        return "-"
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    text = np.array2string(a, precision=4, separator=", ", max_line_width=10_000,
                           threshold=12, edgeitems=2).replace("\n", "")
    return text if len(text) <= width else text[:width - 3] + "..."


def node_table(nodes: list[dict]) -> str:
    """One row per node (the /api/graph node dicts, forward order): id, op, name, shape,
    value, grad."""
    rows = [("id", "op", "name", "shape", "value", "grad")]
    for info in nodes:
        op = info.get("label") if info.get("kind") == "op" else info.get("kind")
        rows.append((str(info["id"]), str(op or ""),
                     str(info.get("name") or ""),
                     "x".join(map(str, info.get("shape") or [])) or "()",
                     fmt(info.get("value")), fmt(info.get("grad"))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def summary(trace) -> str:
    """`f = -12` and one `df/dx = -4` line per input gradient."""
    out = str(trace.output)
    lines = [f"{out} = {fmt(trace.value, width=200)}"]
    lines += [f"d{out}/d{name} = {fmt(g, width=200)}" for name, g in trace.gradients.items()]
    return "\n".join(lines)


def cmd_eval(args) -> int:
    inputs = dict(parse_input(text) for text in args.input)
    trace = engine.evaluate(args.expression, inputs, output=args.output,
                            gradcheck=args.gradcheck, expand=args.expand)
    if args.json:
        print(serialize.dumps(trace.to_dict(code=args.code), indent=2))
        return EXIT_OK
    graph = trace.to_dict()
    print(node_table(graph["nodes"]))
    print()
    print(summary(trace))
    if graph.get("gradcheck"):
        check = graph["gradcheck"]
        print(f"gradient check: {'passed' if check['passed'] else 'FAILED'} "
              f"(largest relative error {fmt(check['max_rel_error'])})")
    for warning in trace.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def read_text(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"cannot read {path}: {err}") from None


def exercise_with_answers(args) -> BatchGradeRequest:
    """The exercise file with the answers file's submissions put in."""
    try:
        exercise = json.loads(read_text(args.file))
    except json.JSONDecodeError as err:
        raise BadInput(f"{args.file} is not JSON: {err.msg} (line {err.lineno})") from None
    if not isinstance(exercise, dict) or exercise.get("submissions"):
        raise BadInput(f"{args.file}: expected an exercise (a batch body without submissions)")
    try:
        exercise["submissions"] = gradebook.read_answers(read_text(args.answers), args.answers)
    except gradebook.AnswerFileError as err:
        raise BadInput(f"{args.answers}: {err}") from None
    try:
        return BatchGradeRequest.model_validate(exercise)
    except ValidationError as err:
        raise BadInput(f"{args.file} with {args.answers} is not a batch grading body:\n"
                       f"{err}") from None


def cmd_grade(args) -> int:
    if args.answers:
        body = exercise_with_answers(args)
    else:
        try:
            body = BatchGradeRequest.model_validate_json(read_text(args.file))
        except ValidationError as err:
            raise BadInput(f"{args.file} is not a batch grading body:\n{err}") from None
    result = grading.grade_batch(
        body.expression, body.inputs, body.submissions, output=body.output,
        upstream=body.upstream, rtol=body.rtol, atol=body.atol, reveal=body.reveal,
        require=body.require.model_dump() if body.require else None)
    if args.gradebook:
        text = gradebook.write_gradebook(result, gradebook.answer_columns(body, body.submissions))
        try:
            Path(args.gradebook).write_text(text, "utf-8")
        except OSError as err:
            raise BadInput(f"cannot write {args.gradebook}: {err}") from None
        print(f"{result['count']} submissions, mean score {result['mean_score']:.3f}; "
              f"gradebook written to {args.gradebook}")
        return EXIT_OK
    if args.json:
        print(serialize.dumps(result, indent=2))
        return EXIT_OK
    width = max([len("id")] + [len(k) for k in result["results"]])
    print(f"{'id'.ljust(width)}  score   correct/total")
    for key, r in result["results"].items():
        if "detail" in r:
            print(f"{key.ljust(width)}  error   {r['detail'][0]['msg']}")
            continue
        print(f"{key.ljust(width)}  {r['score']:.3f}   {r['correct']}/{r['total']}")
    print(f"{result['count']} submissions, mean score {result['mean_score']:.3f}")
    return EXIT_OK


def cmd_train(args) -> int:
    """One line per epoch: mean training loss, accuracy on both splits, training seconds
    (forward, backward and update over the training split; evaluation not counted)."""
    from engine.training import TrainConfig, train

    config = TrainConfig(optimizer=args.optimizer, lr=args.lr, batch=args.batch, seed=args.seed)
    for report in train(config, epochs=args.epochs):
        if args.json:
            print(json.dumps(report), flush=True)
        else:
            print(f"epoch {report['epoch']:>3}  loss {report['loss']:.4f}  "
                  f"train accuracy {report['train_accuracy']:.4f}  "
                  f"test accuracy {report['test_accuracy']:.4f}  {report['seconds']:.3f} s",
                  flush=True)
    return EXIT_OK


def cmd_serve(args) -> int:
    url = f"http://{args.host}:{args.port}/"
    if args.open:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run("server.app:app", host=args.host, port=args.port, workers=args.workers,
                http="server.protocol:GuardedHttp")  # read timeout, header size limit
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainrule", description="See backpropagation: "
                                     "programs become graphs with every value and gradient.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app and the REST API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument("--open", action="store_true", help="open the page in a browser")
    serve.set_defaults(run=cmd_serve)

    ev = sub.add_parser("eval", help="evaluate a program; print every node's value and grad")
    ev.add_argument("expression", help='e.g. "f = (x + y) * z" or "x = -2; y = 5; f = x * y"')
    ev.add_argument("--input", "-i", action="append", default=[], metavar="NAME=VALUE",
                    help="an input value as JSON (repeatable): x=-2, w='[[1, 2], [3, 4]]', "
                    'x=\'{"shape": [3, 4], "init": "randn"}\'')
    ev.add_argument("--output", help="the variable to differentiate (default: the last one)")
    ev.add_argument("--gradcheck", action="store_true", help="compare with finite differences")
    ev.add_argument("--expand", action="store_true", help="trace sigmoid, softmax, the losses "
                    "and linear as their primitive gates (in groups)")
    ev.add_argument("--code", action="store_true", help="with --json: include flat numpy code")
    ev.add_argument("--json", action="store_true", help="print the /api/graph JSON instead")
    ev.set_defaults(run=cmd_eval)

    gr = sub.add_parser("grade", help="grade a batch file (a /api/grade/batch body), or an "
                        "exercise and a class's answers into a gradebook")
    gr.add_argument("file", help='path to the JSON file, or "-" for stdin')
    gr.add_argument("answers", nargs="?", help="a CSV (id, grad:NAME, value:NAME ...) or JSON "
                    "file of answers: FILE is then an exercise without submissions")
    gr.add_argument("-o", "--output", dest="gradebook", metavar="GRADEBOOK.csv",
                    help="write the gradebook: id, score, one column per answer (1/0)")
    gr.add_argument("--json", action="store_true", help="print the full JSON result")
    gr.set_defaults(run=cmd_grade)

    tr = sub.add_parser("train", help="train the default ConvNet on the digits; one line per "
                        "epoch")
    tr.add_argument("--epochs", type=int, default=10)
    tr.add_argument("--seed", type=int, default=0, help="initial weights and batch order")
    tr.add_argument("--lr", type=float, help="learning rate (default: 0.05 sgd, 0.01 adam)")
    tr.add_argument("--batch", type=int, default=32, help="minibatch size")
    tr.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                    help="sgd: SGD with momentum 0.9; adam: Adam")
    tr.add_argument("--json", action="store_true", help='JSON lines {"epoch", "loss", '
                    '"train_accuracy", "test_accuracy", "seconds"}')
    tr.set_defaults(run=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = build_parser().parse_args(argv)  # exits with 2 on a usage error
    try:
        return args.run(args)
    except BadInput as err:
        print(f"chainrule: {err}", file=sys.stderr)
    except engine.EngineError as err:
        print(f"chainrule: {err.kind} error: {err}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
