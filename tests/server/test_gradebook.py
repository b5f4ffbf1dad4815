"""`chainrule grade EXERCISE ANSWERS -o gradebook.csv`: a class of 1,000 generated students
whose right and wrong answers are known in advance; the gradebook must hold exactly their
scores, and the same scores as POST /api/grade/batch for the same answers."""
from __future__ import annotations

import csv
import json
import random
import subprocess
import sys

import pytest

from tests.server.conftest import strict_json

# LECTURE.md's simple example: q = 3, f = -12; df/dx = df/dy = df/dq = -4, df/dz = 3
EXERCISE = {"expression": "q = x + y; f = q * z", "inputs": {"x": -2, "y": 5, "z": -4},
            "rtol": 1e-4, "atol": 1e-6,
            "require": {"grad": ["x", "y", "z", "q"], "value": ["q", "f"]}}
RIGHT = {"grad:x": -4.0, "grad:y": -4.0, "grad:z": 3.0, "grad:q": -4.0,
         "value:q": 3.0, "value:f": -12.0}
COLUMNS = list(RIGHT)


def right_answer(rng: random.Random, truth: float) -> str:
    """A right answer as a student may type it: exact, or within rtol = 1e-4."""
    return rng.choice([repr(truth), str(int(truth)), repr(truth * (1 + 0.5e-4)),
                       repr(truth * (1 - 0.9e-4))])


def wrong_answer(rng: random.Random, truth: float) -> str:
    """A wrong answer: sign flipped, just outside the tolerance, wrong shape, not a number,
    or missing (required answers that are missing count as wrong)."""
    return rng.choice([repr(-truth), repr(truth * (1 + 3e-4)), repr(truth + 1),
                       json.dumps([truth, truth]), "four", ""])


def generate_class(n: int, seed: int = 14):
    """CSV text of n students and, per student, which answers are right."""
    rng = random.Random(seed)
    rows, truth = [["id", *COLUMNS]], {}
    for i in range(n):
        sid = f"s{i:04d}"
        right = {c: rng.random() < 0.6 for c in COLUMNS}
        cells = [right_answer(rng, RIGHT[c]) if right[c] else wrong_answer(rng, RIGHT[c])
                 for c in COLUMNS]
        rows.append([sid, *cells])
        truth[sid] = right
    return rows, truth


def as_submissions(rows):
    """The same answers as /api/grade/batch submissions (an empty cell: no answer)."""
    subs = []
    for row in rows[1:]:
        answers = {"grad": {}, "value": {}}
        for header, cell in zip(COLUMNS, row[1:], strict=True):
            if cell == "":
                continue
            kind, name = header.split(":")
            try:
                answers[kind][name] = json.loads(cell)
            except json.JSONDecodeError:
                answers[kind][name] = cell
        subs.append({"id": row[0], "answers": answers})
    return subs


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "server.cli", *args], capture_output=True,
                          text=True, timeout=120)


def read_gradebook(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    rows, truth = generate_class(1000)
    (tmp / "exercise.json").write_text(json.dumps(EXERCISE), "utf-8")
    with open(tmp / "answers.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    r = run_cli("grade", str(tmp / "exercise.json"), str(tmp / "answers.csv"),
                "-o", str(tmp / "gradebook.csv"))
    assert r.returncode == 0, r.stderr
    assert "1000 submissions" in r.stdout
    return rows, truth, read_gradebook(tmp / "gradebook.csv")


def test_gradebook_holds_every_students_known_score(graded_class):
    rows, truth, book = graded_class
    assert [row["id"] for row in book] == [r[0] for r in rows[1:]]
    assert list(book[0]) == ["id", "score", *COLUMNS]
    mixed = 0
    for row in book:
        right = truth[row["id"]]
        assert float(row["score"]) == pytest.approx(sum(right.values()) / len(COLUMNS), abs=1e-12)
        assert {c: row[c] == "1" for c in COLUMNS} == right, row
        mixed += 0 < sum(right.values()) < len(COLUMNS)
    assert mixed > 500  # the class is not all-right or all-wrong


def test_gradebook_scores_equal_the_batch_api(graded_class, client):
    rows, _, book = graded_class
    body = {**EXERCISE, "submissions": as_submissions(rows)}
    response = client.post("/api/grade/batch", json=body)
    assert response.status_code == 200, response.text
    api = strict_json(response)["results"]
    assert len(api) == 1000
    for row in book:
        assert float(row["score"]) == api[row["id"]]["score"]


def test_answers_as_json(tmp_path):
    (tmp_path / "exercise.json").write_text(json.dumps(EXERCISE), "utf-8")
    answers = {"ada": {"grad": {"x": -4, "y": -4, "z": 3, "q": -4}, "value": {"q": 3, "f": -12}},
               "bob": {"grad": {"x": 4}, "value": {"f": "-12"}}}
    (tmp_path / "answers.json").write_text(json.dumps(answers), "utf-8")
    r = run_cli("grade", str(tmp_path / "exercise.json"), str(tmp_path / "answers.json"),
                "-o", str(tmp_path / "book.csv"))
    assert r.returncode == 0, r.stderr
    book = {row["id"]: row for row in read_gradebook(tmp_path / "book.csv")}
    assert float(book["ada"]["score"]) == 1.0
    assert float(book["bob"]["score"]) == 0.0 and book["bob"]["grad:x"] == "0"


@pytest.mark.parametrize("header, message", [
    ("name,grad:x", "the first row must be the header"),
    ("id,gradient:x", "expected id, then grad:NAME or value:NAME"),
])
def test_a_bad_answers_file_is_a_clear_error(tmp_path, header, message):
    (tmp_path / "exercise.json").write_text(json.dumps(EXERCISE), "utf-8")
    (tmp_path / "answers.csv").write_text(f"{header}\ns1,-4\n", "utf-8")
    r = run_cli("grade", str(tmp_path / "exercise.json"), str(tmp_path / "answers.csv"),
                "-o", str(tmp_path / "book.csv"))
    assert r.returncode == 1 and message in r.stderr
    assert not (tmp_path / "book.csv").exists()
