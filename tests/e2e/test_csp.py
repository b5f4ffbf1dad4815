"""The page works under the server's Content-Security-Policy: no inline script, nothing
from another origin. Loaded without Playwright's CSP bypass; waits use locators only
(string predicates are evaluated in the page, which the policy forbids)."""
from __future__ import annotations


def _violations(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    return seen


def test_graph_and_conv_views_run_under_the_policy(browser, server_url):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    violations = _violations(page)
    response = page.goto(server_url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    page.locator("body[data-state=ready]").wait_for(timeout=20_000)
    page.locator("[data-testid=graph] [data-node-id]").first.wait_for(timeout=20_000)
    page.goto(server_url + "/#conv")
    page.locator("body[data-state=ready]").wait_for(timeout=20_000)
    page.wait_for_timeout(500)
    context.close()
    assert violations == []


def test_the_api_docs_run_under_the_policy(browser, server_url):
    context = browser.new_context()
    page = context.new_page()
    violations = _violations(page)
    page.goto(server_url + "/docs")
    page.locator(".opblock-summary-path", has_text="/api/graph").first.wait_for(timeout=20_000)
    context.close()
    assert violations == []
