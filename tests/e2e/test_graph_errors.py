"""Mistakes in a program show inline, next to the editor, at their line and column and in
words (never an alert, never a console error), and the page recovers on the next run."""
from __future__ import annotations

from tests.e2e.pages import GraphPage


def test_unknown_name_shows_inline_and_page_recovers(page, server_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    graph = GraphPage(page, server_url).open()
    graph.choose_example("simple")
    graph.set_program("x = -2\ny = 5\nq = x + yy")
    graph.run()
    error = graph.error_text()
    assert "unknown name 'yy'" in error
    assert "line 3, col 9" in error
    assert "q = x + yy" in error and "^" in error  # the line, with a caret under the spot
    assert graph.testid("error").get_attribute("data-line") == "3"
    assert graph.testid("error").get_attribute("data-col") == "9"
    assert page.locator(".gutter .err").inner_text() == "3"
    graph.set_program("x = -2\ny = 5\nq = x + y")
    graph.testid("expression-input").press("Control+Enter")  # run from the keyboard
    graph.wait_ready()
    assert graph.error_text() == ""
    graph.click("step-end")
    assert graph.value("q") == 3 and graph.grad("x") == 1
    assert dialogs == []


def test_parse_error_and_bad_input_value(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.set_program("f = (a + b")
    graph.set_input("a", "1")
    graph.set_input("b", "2")
    graph.run()
    assert "line 1" in graph.error_text()
    graph.set_program("f = a * b")
    graph.set_input("a", "[1, 2")
    graph.set_input("b", "3")
    graph.run()
    assert "input 'a'" in graph.error_text()
    graph.set_input("a", "[1, 2]")
    graph.run()
    assert graph.error_text() == ""
    graph.click("step-end")
    assert graph.grad("a") == [3, 3] and graph.grad("b") == 3


def test_missing_input_value_is_named(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.set_program("f = (a + b) * c")
    graph.set_input("a", "1")
    graph.set_input("b", "2")
    graph.run()
    assert "line 1, col 15: unknown name 'c'" in graph.error_text()
    graph.set_input("c", "3")
    graph.run()
    graph.click("step-end")
    assert graph.value("f") == 9 and graph.grad("c") == 3


def test_shape_error_in_words(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.set_program("x = [1, 2, 3]\nw = [[1, 2], [3, 4]]\ny = x @ w")
    graph.run()
    error = graph.error_text()
    assert error and "line 3" in error
    assert "Traceback" not in error and "500" not in error


def test_loop_variables_and_parameters_are_not_inputs(page, server_url):
    graph = GraphPage(page, server_url).open()
    graph.set_program("def double(a):\n    return a + a\ns = 0 * x\n"
                      "for t in range(3):\n    s = s + double(x) * w\nf = 1 * s")
    fields = page.locator("[data-testid^='input-']")
    page.wait_for_function("document.querySelector(\"[data-testid='input-w']\") !== null")
    names = sorted(f.get_attribute("data-testid")[len("input-"):] for f in fields.all())
    assert names == ["w", "x"]
    graph.set_input("x", "2")
    graph.set_input("w", "5")
    graph.run()
    assert graph.error_text() == ""
    graph.click("step-end")
    assert graph.value("f") == 60  # 3 iterations of 2x·w, worked by hand
