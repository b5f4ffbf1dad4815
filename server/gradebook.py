"""`chainrule grade EXERCISE ANSWERS -o gradebook.csv`: a class's answers graded at once.

An exercise is the body of POST /api/grade/batch without its submissions: the program,
its inputs, tolerances and `require` (the answers every student must give). The answers
come as
- CSV: a column `id`, then one column per answer named `grad:NAME` or `value:NAME`; a
  cell holds a number or a JSON list ("[1, 2]"); an empty cell is no answer;
- JSON: a list of submissions `[{"id": ..., "answers": {"grad": {...}, "value": {...}}}]`
  or an object `{id: {"grad": {...}, "value": {...}}}`.
The gradebook CSV has the columns id, score, and one column per answer (1 right, 0 wrong),
in the order of the exercise's `require`, then any other answer the class gave.
"""
from __future__ import annotations

import csv
import io
import json

KINDS = ("grad", "value")


class AnswerFileError(ValueError):
    """The answers file cannot be read; the message says where and why."""


def column(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def parse_column(header: str) -> tuple[str, str]:
    kind, sep, name = header.partition(":")
    if not sep or kind.strip() not in KINDS or not name.strip():
        raise AnswerFileError(f"column {header!r}: expected id, then grad:NAME or value:NAME")
    return kind.strip(), name.strip()


def read_cell(text: str):
    """A CSV cell as an answer: JSON when it reads as JSON, else the text itself (which the
    grader then marks as not a number). Returns None for an empty cell."""
    text = text.strip().replace("\u2212", "-")  # a typographic minus sign, as the page prints
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def read_csv(text: str) -> list[dict]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not rows[0] or rows[0][0].strip().lower() != "id":
        raise AnswerFileError("the first row must be the header: id, grad:NAME, value:NAME ...")
    columns = [parse_column(h) for h in rows[0][1:]]
    submissions = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns) + 1:
            raise AnswerFileError(f"row {number}: {len(row)} cells, the header has "
                                  f"{len(columns) + 1}")
        answers = {kind: {} for kind in KINDS}
        for (kind, name), cell in zip(columns, row[1:], strict=False):
            value = read_cell(cell)
            if value is not None:
                answers[kind][name] = value
        submissions.append({"id": row[0].strip(), "answers": answers})
    return submissions


def read_json(text: str) -> list[dict]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise AnswerFileError(f"not JSON: {err.msg} (line {err.lineno})") from None
    if isinstance(doc, dict) and "submissions" in doc:
        doc = doc["submissions"]
    if isinstance(doc, dict):
        return [{"id": key, "answers": answers} for key, answers in doc.items()]
    if isinstance(doc, list):
        return doc
    raise AnswerFileError("expected a list of {id, answers} or an object {id: answers}")


def read_answers(text: str, path: str) -> list[dict]:
    """Submissions from an answers file; CSV unless the name ends in .json."""
    return read_json(text) if path.lower().endswith(".json") else read_csv(text)


def answer_columns(body, submissions) -> list[tuple[str, str]]:
    """(kind, name) of every gradebook column: the required answers, then the others."""
    seen: dict[tuple[str, str], None] = {}
    if body.require:
        for kind in KINDS:
            for name in getattr(body.require, kind):
                seen[(kind, name)] = None
    for s in submissions:
        answers = s.get("answers") if isinstance(s, dict) else None
        for kind in KINDS:
            given = answers.get(kind) if isinstance(answers, dict) else None
            for name in given if isinstance(given, dict) else ():
                seen[(kind, name)] = None
    return list(seen)


def write_gradebook(result: dict, columns: list[tuple[str, str]]) -> str:
    """The gradebook CSV of a /api/grade/batch result."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "score"] + [column(k, n) for k, n in columns])
    for key, graded in result["results"].items():
        if "detail" in graded:  # a malformed submission: no score, no marks
            writer.writerow([key, ""] + [""] * len(columns))
            continue
        verdicts = graded["results"]
        marks = []
        for kind, name in columns:
            verdict = verdicts[kind].get(name)
            marks.append("" if verdict is None else int(verdict["correct"]))
        writer.writerow([key, repr(float(graded["score"]))] + marks)
    return out.getvalue()
