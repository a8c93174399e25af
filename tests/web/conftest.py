"""Browser tests: the built web client (web/dist) on the local platform, driven by Debian's Chromium.

The platform runs in this process (``LocalPlatform(web_dist=...)``), one per test module, on free ports,
with its own SQLite files and a known admin password. Each test gets ``browser_context()`` for as many
people as it needs; every page of those contexts records CSP violations and uncaught errors, and
``check(page, name)`` (screenshot + axe + those errors) fails the test at the step where one appears.

Playwright's own browser download cannot work offline: the tests use ``/usr/bin/chromium`` (``.ci/run``
installs it) and FAIL when it is missing, so a CI machine without it never passes by skipping.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, Playwright, sync_playwright

from local.platform import LocalPlatform
from tests.web.browser import CHROMIUM_ARGS, DIST, INSTALL_HINT, PATH_VARIABLE, ROOT, chromium_executable, web_platform

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "build" / "screenshots" / "web"
ADMIN_PASSWORD = "Web-tests-admin-42"
PASSWORD = "Correct-horse-42"
PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
# Chromium reports a CSP refusal on the console; the init script below reports it too, with the directive.
CSP_CONSOLE = re.compile(r"Content Security Policy|securitypolicyviolation", re.I)
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""
SERIOUS = ("serious", "critical")


def chromium_path() -> str:
    found = chromium_executable()
    if found is None:
        given = os.environ.get(PATH_VARIABLE)
        where = f"{PATH_VARIABLE}={given} does not exist" if given else "no `chromium` on the PATH"
        pytest.fail(f"Chromium is missing ({where}): the browser tests need it; {INSTALL_HINT}", pytrace=False)
    return found


def require_dist() -> Path:
    if not (DIST / "index.html").exists():
        pytest.fail(f"{DIST / 'index.html'} is missing: run make web (make test builds it first)", pytrace=False)
    return DIST


# --- the platform ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    url: str  # the web client at /, the API at /v1, same origin
    platform: LocalPlatform

    def api(self, path: str) -> str:
        return f"{self.url}/v1{path}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The local platform serving web/dist, for one module (other modules in this worker start their own)."""
    dist = require_dist()
    platform = web_platform(tmp_path_factory.mktemp("web-platform"), admin_password=ADMIN_PASSWORD, dist=dist)
    with platform:
        yield Site(platform.url, platform)


# --- people, through the API (for set-up the scenario does not test) -----------------------------------------


@dataclass
class Account:
    username: str
    password: str = PASSWORD
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


def new_username(prefix: str = "w") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def register(site: Site, prefix: str = "w", display_name: str | None = None) -> Account:
    """A person made and signed in through the API."""
    account = Account(new_username(prefix))
    body: dict[str, Any] = {"username": account.username, "email": f"{account.username}@example.org",
                            "password": account.password}
    if display_name:
        body["display_name"] = display_name
    created = requests.post(site.api("/auth/register"), json=body, timeout=10)
    assert created.status_code == 201, created.text
    return login(site, account)


def login(site: Site, account: Account) -> Account:
    answer = requests.post(site.api("/auth/login"), json={"username": account.username, "password": account.password},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    account.tokens = answer.json()
    return account


# --- the browser ------------------------------------------------------------------------------------------------


# Module-scoped like the platform: other test files in this xdist worker never run beside Playwright's driver.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = chromium_path()
    try:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Error as exc:
        pytest.fail(f"Chromium at {executable} did not start ({exc}); {INSTALL_HINT}", pytrace=False)
    yield launched
    launched.close()


@dataclass
class PageProblems:
    """CSP violations and uncaught errors seen on the pages of the test's contexts."""

    found: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.found.append(f"uncaught error on {page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning") and CSP_CONSOLE.search(message.text):
            self.found.append(f"CSP violation on {page.url}: {message.text}")

    def assert_none(self, where: str) -> None:
        if self.found:
            problems, self.found = self.found, []
            pytest.fail(f"{where}: " + "\n".join(problems), pytrace=False)


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


NewContext = Callable[[], BrowserContext]


@pytest.fixture
def browser_context(browser: Browser, site: Site, problems: PageProblems) -> Iterator[NewContext]:
    """``browser_context()`` -> a fresh context (its own localStorage: one person) on the site."""
    made: list[BrowserContext] = []

    def new() -> BrowserContext:
        context = browser.new_context(base_url=site.url, viewport=DESKTOP)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_LISTENER)
        context.on("page", problems.watch)
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()
    problems.assert_none("after the test")


@pytest.fixture
def page(browser_context: NewContext) -> Page:
    """One person's page (the common case)."""
    return browser_context().new_page()


# --- what every step checks ------------------------------------------------------------------------------------


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A PNG of the whole page (or the viewport) under build/screenshots/web/ (named by the step)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now.

    The page's CSP (script-src 'self') refuses inline scripts, so axe is not added as a <script>: it is
    evaluated through the DevTools protocol, which the page's CSP does not govern.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v.get("impact") in SERIOUS]


def axe(page: Page, where: str = "") -> None:
    """Fail with each serious or critical violation: its id, help and the nodes it found."""
    violations = axe_violations(page)
    if violations:
        lines = []
        for violation in violations:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
        pytest.fail(f"axe found {len(violations)} serious/critical violation(s) on {where or page.url}:\n"
                    + "\n".join(lines), pytrace=False)


def phone_width(page: Page, name: str) -> None:
    """At 375x800 the page scrolls only vertically (WEB.md: works at 375 px); a screenshot of it too."""
    before = page.viewport_size
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    try:
        page.wait_for_timeout(150)  # the layout settles (media queries, images)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        # The phone's screen as a person sees it (a full-page capture paints fixed bars mid-page once scrolled).
        screenshot(page, f"{name}-375", full_page=False)
        assert width <= PHONE["width"], f"{name}: {width} px wide at 375 px (horizontal scroll) on {page.url}"
    finally:
        if before:
            page.set_viewport_size(before)


@pytest.fixture
def check(problems: PageProblems, request: pytest.FixtureRequest) -> Callable[..., None]:
    """``check(page, "step", phone=False)``: screenshot, no CSP or page errors so far, one <h1> and a title
    (WEB.md: every page has its Title), axe, the 375 px check."""
    test = re.sub(r"^test_", "", request.node.name)

    def run(page: Page, step: str, *, phone: bool = False) -> None:
        name = f"{test}-{step}"
        page.wait_for_load_state("load")
        page.locator("h1").first.wait_for()  # a lazy page's chunk has arrived (its Suspense fallback has none)
        screenshot(page, name)
        problems.assert_none(name)
        headings = page.locator("h1").all_inner_texts()
        assert len(headings) == 1, f"{name}: a page has one <h1>; {page.url} has {headings}"
        assert page.title().strip(), f"{name}: {page.url} has no document title"
        axe(page, name)
        if phone:
            phone_width(page, name)

    return run
