"""Quiz mode in the graph view on the lecture's (x + y) * z: the gradients are neither in the
page nor in any answer of the API until the student answers or reveals them; answers are
checked by POST /api/grade; a quiz link reopens in quiz mode. Numbers from LECTURE.md:
x = -2, y = 5, z = -4, f = -12, df/dx = df/dy = -4, df/dz = 3."""
from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.e2e.quiz_pages import ApiRecorder, QuizPage, gradients_in

PROGRAM = "x = -2\ny = 5\nz = -4\nf = (x + y) * z"


def open_program(page, server_url) -> QuizPage:
    quiz = QuizPage(page, server_url).open()
    quiz.set_program(PROGRAM)
    quiz.run()
    return quiz


def assert_no_gradients_shown(quiz: QuizPage) -> None:
    shown = quiz.grads_in_dom()
    assert shown in ({}, {"f": 1})  # at most the base case dL/df = 1 at the output
    assert quiz.visible_labels("grad") == (["1"] if shown else [])
    questions = quiz.testid("quiz-questions").inner_text()
    assert "4" not in questions and "3" not in questions


def test_quiz_mode_checks_answers_through_the_grader(page, server_url):
    quiz = open_program(page, server_url)
    api = ApiRecorder(page)
    quiz.toggle_quiz()
    graphs = api.bodies("/api/graph")
    assert graphs and all(g["hidden"] == ["grad"] for g in graphs)
    for g in graphs:
        assert gradients_in(g, g["output"]) == []
    assert_no_gradients_shown(quiz)
    quiz.click("step-end")
    assert_no_gradients_shown(quiz)
    add = quiz.question("x").get_attribute("data-quiz-node")
    assert add == "x"
    assert api.bodies("/api/grade") == []  # nothing asked yet

    right = quiz.answer("x", "−4")  # typed with the minus sign the page prints
    sent = json.loads(right.request.post_data)
    assert sent["answers"] == {"grad": {"x": -4}} and "reveal" not in sent
    assert right.json()["results"]["grad"]["x"]["correct"] is True
    assert quiz.question("x").get_attribute("data-verdict") == "right"
    assert quiz.grads_in_dom()["x"] == -4  # now drawn on the graph
    assert "y" not in quiz.grads_in_dom() and "z" not in quiz.grads_in_dom()

    wrong = quiz.answer("y", "4")
    verdict = wrong.json()["results"]["grad"]["y"]
    assert verdict["correct"] is False and "expected" not in verdict
    assert quiz.question("y").get_attribute("data-verdict") == "wrong"
    assert verdict["message"] in quiz.question("y").inner_text()  # the grader's words

    # still nothing about z's gradient anywhere the page received
    for _, _, body in api.seen:
        assert "z" not in json.dumps(body.get("results", {}).get("grad", {}) if "results" in body
                                     else {})
    revealed = quiz.reveal("z")
    assert revealed.json()["results"]["grad"]["z"]["expected"] == 3
    assert "answer: 3" in quiz.question("z").inner_text()
    hint = quiz.question("z").locator(".quiz-hint").inner_text()
    assert "swap" in hint and "mul" in hint  # the gate's pattern, from the API
    assert quiz.score() == {"right": 1, "total": 4, "revealed": 1}
    quiz.answer("y", "-4")
    assert quiz.score()["right"] == 2


def test_a_copied_quiz_link_opens_in_quiz_mode(page, server_url, browser):
    quiz = open_program(page, server_url)
    quiz.toggle_quiz()
    link = quiz.copy_link()
    other = browser.new_page()
    try:
        api = ApiRecorder(other)
        again = QuizPage(other, server_url)
        with other.expect_response(lambda r: r.url.endswith("/api/graph")):
            other.goto(link)
        again.wait_quiz(True)
        assert again.testid("quiz-toggle").get_attribute("aria-pressed") == "true"
        graphs = api.bodies("/api/graph")
        assert graphs and all(gradients_in(g, g["output"]) == [] for g in graphs)
        notes = [e["explanation"] for e in api.examples]
        assert notes and not any(notes)  # the lecture's notes give answers away
        again.click("step-end")
        assert_no_gradients_shown(again)
        assert not again.testid("example-note").is_visible()
    finally:
        other.close()


def test_example_notes_give_nothing_away_in_quiz_mode(page, server_url):
    quiz = QuizPage(page, server_url).open()
    quiz.choose_example("simple")
    assert "-4" in quiz.testid("example-note").inner_text()  # the lecture's note, outside quizzes
    quiz.toggle_quiz()
    assert quiz.testid("example-note").text_content() == ""
    quiz.toggle_quiz(False)
    assert "-4" in quiz.testid("example-note").inner_text()


def test_predicting_the_forward_pass(page, server_url):
    quiz = open_program(page, server_url)
    quiz.toggle_quiz()
    api = ApiRecorder(page)
    with page.expect_response(lambda r: r.url.endswith("/api/graph")):
        quiz.testid("quiz-forward").check()
    page.wait_for_function("document.querySelectorAll('[data-quiz-kind=value]').length === 2")
    graph = api.bodies("/api/graph")[-1]
    assert graph["hidden"] == ["grad", "value"] and graph["value"] is None
    assert [n["value"] for n in graph["nodes"] if n["kind"] == "op"] == [None, None]
    add = next(n["id"] for n in graph["nodes"] if n["op"] == "add")
    quiz.click("step-forward")
    assert quiz.answer(add, "3", kind="value").json()["results"]["value"][add]["correct"]
    quiz.wait_step(2)  # answered: the timeline moves on to the next gate
    assert quiz.answer("f", "12", kind="value").json()["results"]["value"]["f"]["correct"] is False


def test_an_exercise_opens_as_a_quiz_and_exports_for_the_autograder(page, server_url):
    quiz = open_program(page, server_url)
    quiz.toggle_quiz()
    builder = quiz.testid("exercise-builder")
    builder.locator("summary").click()
    for box in builder.locator("input[data-ask=grad]:not([disabled])").all():
        box.uncheck()
    builder.locator("input[data-ask=grad][data-node=x]").check()
    builder.locator("input[data-ask=grad][data-node=z]").check()
    quiz.testid("exercise-rtol").fill("0.01")
    with page.expect_download() as info:
        quiz.testid("exercise-export").click()
    exercise = json.loads(Path(info.value.path()).read_text("utf-8"))
    assert exercise == {"expression": PROGRAM, "inputs": {}, "rtol": 0.01, "atol": 1e-6,
                        "require": {"grad": ["x", "z"], "value": []}}
    # the export is a /api/grade/batch body once submissions are added
    body = {**exercise, "submissions": [{"id": "ada", "answers": {"grad": {"x": -4.02, "z": 3}}},
                                        {"id": "bob", "answers": {"grad": {"x": 4}}}]}
    graded = httpx.post(server_url + "/api/grade/batch", json=body).json()["results"]
    assert graded["ada"]["score"] == 1.0 and graded["bob"]["score"] == 0.0

    quiz.testid("exercise-open").click()
    page.wait_for_function("document.querySelectorAll('[data-quiz-node]').length === 2")
    quiz.wait_ready()
    link = quiz.copy_link()
    page.goto(link)
    quiz.wait_quiz(True)
    nodes = page.eval_on_selector_all("[data-quiz-node]", "els => els.map(e => e.dataset.quizNode)")
    assert sorted(nodes) == ["x", "z"]
    quiz.click("step-end")
    assert quiz.answer("x", "-4.03").json()["results"]["grad"]["x"]["correct"]  # rtol 0.01
