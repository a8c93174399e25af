"""The checks every browser step relies on catch what they are for (else the scenario could pass blind)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error, Page

from tests.web.conftest import AXE, PageProblems, axe_violations, phone_width


def test_the_page_csp_refuses_inline_scripts_and_the_collector_reports_it(page: Page,
                                                                          problems: PageProblems) -> None:
    page.goto("/signin")
    with pytest.raises(Error):
        page.add_script_tag(content="window.injected = true")  # what axe could not be injected with
    assert page.evaluate("() => window.injected === undefined")
    page.evaluate("() => document.body.setAttribute('style', 'outline: 1px solid red')")
    page.wait_for_timeout(200)
    assert any("CSP" in p or "securitypolicyviolation" in p for p in problems.found), problems.found
    problems.found.clear()


def test_uncaught_errors_are_collected(page: Page, problems: PageProblems) -> None:
    page.goto("/signin")
    page.evaluate("() => setTimeout(() => { throw new Error('boom from the page') }, 0)")
    page.wait_for_timeout(200)
    assert any("boom from the page" in p for p in problems.found), problems.found
    problems.found.clear()


def test_axe_runs_despite_the_csp_and_finds_a_serious_violation(page: Page) -> None:
    assert AXE.exists(), "web/node_modules/axe-core is missing: run make web"
    page.goto("/signin")
    assert axe_violations(page) == []
    page.evaluate("() => { const b = document.createElement('button'); document.querySelector('main').append(b) }")
    assert "button-name" in {v["id"] for v in axe_violations(page)}


def test_the_phone_check_fails_on_horizontal_scroll(page: Page) -> None:
    page.goto("/signin")
    phone_width(page, "harness-phone-ok")
    page.evaluate("() => { const d = document.createElement('div'); d.className = 'wide';"
                  " d.textContent = 'x'.repeat(400); document.querySelector('main').append(d) }")
    page.evaluate("() => document.querySelector('.wide').style.setProperty('white-space', 'pre')")  # CSSOM: allowed
    with pytest.raises(AssertionError, match="horizontal scroll"):
        phone_width(page, "harness-phone-wide")
