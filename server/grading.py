"""The server's side of grading: request bodies in, engine.grading's results out.

The grading itself (reading answers, tolerances, scores, batches) is engine/grading.py,
which the `chainrule grade` command and library users call directly.
"""
from __future__ import annotations

import engine
from engine.grading import Expected, grade_program, judge, read_answer  # noqa: F401  (used by server.quiz)
from engine.grading import grade_batch as _grade_batch


def _require(body):
    return body.require.model_dump() if body.require is not None else None


def grade_one(body, limits: engine.Limits, max_answers: int | None = None) -> dict:
    """POST /api/grade: evaluate, then grade body.answers."""
    return grade_program(body.expression, body.inputs, body.answers.model_dump(),
                         output=body.output, upstream=body.upstream, rtol=body.rtol,
                         atol=body.atol, reveal=body.reveal, require=_require(body),
                         limits=limits, max_answers=max_answers)


def grade_batch(body, limits: engine.Limits, max_submissions: int | None = None,
                max_answers: int | None = None) -> dict:
    """POST /api/grade/batch: evaluate once, grade every submission, keyed by id in order."""
    return _grade_batch(body.expression, body.inputs, body.submissions, output=body.output,
                        upstream=body.upstream, rtol=body.rtol, atol=body.atol,
                        reveal=body.reveal, require=_require(body), limits=limits,
                        max_submissions=max_submissions, max_answers=max_answers)
