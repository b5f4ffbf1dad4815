"""The `chainrule` command line: eval prints the lecture's numbers, grade reads a batch
file, and the exit codes are 0 (done), 1 (bad input, message on stderr), 2 (usage)."""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys

from server import cli

SIMPLE_ARGS = ["eval", "f = (x + y) * z", "--input", "x=-2", "--input", "y=5", "--input", "z=-4"]


def run(*args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "server.cli", *args], capture_output=True,
                          text=True, input=stdin, timeout=60)


def test_eval_prints_value_and_gradients():
    r = run(*SIMPLE_ARGS)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "f = -12" in lines
    assert {"df/dx = -4", "df/dy = -4", "df/dz = 3"} <= set(lines)
    header = lines[0].split()
    assert header[:2] == ["id", "op"] and "value" in header and "grad" in header


def test_eval_table_has_a_row_per_node():
    r = run("eval", "q = x + y; f = q * z", "-i", "x=-2", "-i", "y=5", "-i", "z=-4")
    rows = [line for line in r.stdout.splitlines() if re.search(r"\bq\b", line)]
    assert rows and rows[0].split()[-2:] == ["3", "-4"]  # q: value 3, grad -4


def test_console_script_is_installed():
    exe = shutil.which("chainrule")
    assert exe, "the chainrule console script is not on PATH (pip install -e .)"
    r = subprocess.run([exe, *SIMPLE_ARGS], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "f = -12" in r.stdout.splitlines()


def test_eval_json_is_strict_and_complete():
    r = run(*SIMPLE_ARGS, "--json")
    body = json.loads(r.stdout, parse_constant=lambda t: (_ for _ in ()).throw(ValueError(t)))
    assert body["value"] == -12 and body["gradients"] == {"x": -4, "y": -4, "z": 3}


def test_eval_tensor_inputs_as_json():
    r = run("eval", "y = relu(x)", "--input", "x=[1, -2, 3, -1]")
    assert r.returncode == 0, r.stderr
    assert "dy/dx = [1, 0, 1, 0]" in r.stdout.replace(".", "").replace(" ,", ",")


def test_bad_program_exits_1_with_message_on_stderr():
    r = run("eval", "f = x * q", "--input", "x=1")
    assert r.returncode == 1
    assert "unknown name 'q'" in r.stderr and r.stdout == ""


def test_bad_input_value_exits_1():
    r = run("eval", "f = x", "--input", "x=[1,")
    assert r.returncode == 1 and "--input" in r.stderr
    assert run("eval", "f = x", "--input", "novalue").returncode == 1


def test_usage_errors_exit_2():
    assert run().returncode == 2
    assert run("eval").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("serve", "--port", "not-a-number").returncode == 2


def test_grade_batch_file(tmp_path):
    body = {"expression": "q = x + y; f = q * z", "inputs": {"x": -2, "y": 5, "z": -4},
            "submissions": [{"id": "alice", "answers": {"grad": {"x": -4, "y": -4}}},
                            {"id": "bob", "answers": {"grad": {"x": 4, "y": -4}}}]}
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(body))
    r = run("grade", str(path))
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[1:3]}
    assert rows["alice"][1:] == ["1.000", "2/2"] and rows["bob"][1:] == ["0.500", "1/2"]
    full = json.loads(run("grade", "-", "--json", stdin=json.dumps(body)).stdout)
    assert list(full["results"]) == ["alice", "bob"] and full["mean_score"] == 0.75


def test_grade_bad_files_exit_1(tmp_path):
    assert run("grade", str(tmp_path / "missing.json")).returncode == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"expression": 3}')
    r = run("grade", str(bad))
    assert r.returncode == 1 and "batch" in r.stderr


def test_main_returns_codes_in_process(capsys):
    assert cli.main(SIMPLE_ARGS) == 0
    assert "f = -12" in capsys.readouterr().out.splitlines()
    assert cli.main(["eval", "f = (x +"]) == 1
    assert "parse" in capsys.readouterr().err


def test_eval_expand_traces_the_sigmoid_as_its_gates():
    args = ["eval", "f = sigmoid(w * x)", "-i", "w=2", "-i", "x=-0.5", "--json"]
    folded = json.loads(run(*args).stdout)
    unfolded = json.loads(run(*args, "--expand").stdout)
    assert folded["groups"] == [] and unfolded["groups"][0]["kind"] == "composite"
    assert abs(folded["gradients"]["w"] - unfolded["gradients"]["w"]) < 1e-12
    s = 1 / (1 + math.exp(1.0))                                  # σ(w·x) = σ(-1)
    assert abs(folded["gradients"]["w"] - s * (1 - s) * -0.5) < 1e-12
