"""The web client: its initial JavaScript (gzipped) and the time to the first render of the home feed.

Size: the entry script of web/dist/index.html and the chunks it preloads (``<link rel="modulepreload">``),
each gzipped at level 9, summed: what a first visit downloads before any page chunk (goal < 150 kB); the
total of every chunk too.

First render: the built client on the local platform (in this process), in Debian's headless Chromium. A
reader follows a few people who have posted (set up through the API); each load opens / with the session
already in localStorage and reads the ``feed:first-render`` mark the feed page sets once its first page has
rendered (``performance.mark``; its ``startTime`` counts from the navigation's start). Cold: a new browser
context per load (empty HTTP cache); warm: one context, primed once. The moment the page's <h1> appears is
printed beside it (so a feed page that sets no mark still yields a figure, labelled as such).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Browser, BrowserContext, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.web.browser import CHROMIUM_ARGS, DIST, INSTALL_HINT, chromium_executable, web_platform

BUDGET_KB = 150.0
LOADS = 10
AUTHORS = 3
POSTS_EACH = 4
PASSWORD = "Correct-horse-42"
MARK = "feed:first-render"
WAIT_MS = 10_000
# Records when the page's first <h1> is in the DOM (a fallback figure while the feed sets no mark).
H1_WATCH = """
new MutationObserver((_, observer) => {
  if (document.querySelector("h1")) { window.__firstH1 = performance.now(); observer.disconnect(); }
}).observe(document, {childList: true, subtree: true});
"""


# --- size ------------------------------------------------------------------------------------------------------


class _EntryScripts(HTMLParser):
    """``<script type="module" src>`` and ``<link rel="modulepreload" href>`` of index.html, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("type") == "module" and found.get("src"):
            self.paths.append(str(found["src"]))
        elif tag == "link" and found.get("rel") == "modulepreload" and found.get("href"):
            self.paths.append(str(found["href"]))


def gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def initial_scripts(dist: Path = DIST) -> list[Path]:
    parser = _EntryScripts()
    parser.feed((dist / "index.html").read_text())
    return [dist / src.lstrip("/") for src in parser.paths]


def report_size(dist: Path = DIST) -> float:
    initial = initial_scripts(dist)
    sizes = {path.name: gzipped(path) for path in initial}
    kb = sum(sizes.values()) / 1000
    chunks = sorted((dist / "assets").glob("*.js"))
    every = sum(gzipped(path) for path in chunks) / 1000
    verdict = "within" if kb < BUDGET_KB else "OVER"
    print(f"initial JavaScript  {kb:6.1f} kB gzipped (level 9) in {len(initial)} files: entry + modulepreload "
          f"(goal < {BUDGET_KB:.0f} kB: {verdict})")
    for name, size in sizes.items():
        print(f"  {name:<40} {size / 1000:6.1f} kB")
    print(f"all JavaScript      {every:6.1f} kB gzipped in {len(chunks)} chunks (pages load theirs when first visited)")
    return kb


# --- first render ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    username: str
    session: dict[str, Any]  # what the app keeps in localStorage under "social.session"


def _login(api: str, username: str) -> dict[str, Any]:
    answer = requests.post(f"{api}/auth/login", json={"username": username, "password": PASSWORD}, timeout=10)
    answer.raise_for_status()
    tokens: dict[str, Any] = answer.json()
    return tokens


def _person(api: str, prefix: str) -> tuple[str, dict[str, str]]:
    username = f"{prefix}_{uuid.uuid4().hex[:8]}"
    body = {"username": username, "email": f"{username}@example.org", "password": PASSWORD,
            "display_name": prefix.title()}
    requests.post(f"{api}/auth/register", json=body, timeout=10).raise_for_status()
    return username, {"Authorization": f"Bearer {_login(api, username)['access_token']}"}


def set_up_reader(api: str) -> Reader:
    """A reader following AUTHORS people with POSTS_EACH posts each; the session as the app stores it."""
    reader, reader_headers = _person(api, "reader")
    for n in range(AUTHORS):
        author, headers = _person(api, f"author{n}")
        requests.put(f"{api}/users/{author}/follow", headers=reader_headers, timeout=10).raise_for_status()
        for p in range(POSTS_EACH):
            requests.post(f"{api}/posts", headers=headers, timeout=10,
                          json={"content": f"Post {p + 1} by {author}: benchmarks read the feed #bench"},
                          ).raise_for_status()
    deadline = time.monotonic() + 15  # fan-out is asynchronous (the event pump)
    while time.monotonic() < deadline:
        feed = requests.get(f"{api}/feed", headers=reader_headers, params={"limit": 20}, timeout=10)
        if len(feed.json().get("items", [])) >= AUTHORS * POSTS_EACH:
            break
        time.sleep(0.2)
    tokens = _login(api, reader)
    # The shape of web/src/auth/session.ts's Session (fromTokens); groups are an admin's only.
    expires_at = int(time.time() * 1000) + tokens["expires_in"] * 1000
    session = {"username": reader, "accessToken": tokens["access_token"], "idToken": tokens["id_token"],
               "refreshToken": tokens["refresh_token"], "expiresAt": expires_at, "groups": []}
    return Reader(reader, session)


def _context(browser: Browser, url: str, reader: Reader) -> BrowserContext:
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    stored = json.dumps(json.dumps(reader.session))
    context.add_init_script(f"localStorage.setItem('social.session', {stored});\n{H1_WATCH}")
    return context


def _load(context: BrowserContext, wait_for_mark: bool) -> tuple[float | None, float]:
    """One fresh load of /: (the feed's first-render mark, the first <h1>) in ms from navigation start."""
    page = context.new_page()
    try:
        page.goto("/")
        page.wait_for_function("() => window.__firstH1 !== undefined", timeout=WAIT_MS)
        h1 = float(page.evaluate("() => window.__firstH1"))
        mark: float | None = None
        try:
            page.wait_for_function(f"() => performance.getEntriesByName({MARK!r}).length > 0",
                                   timeout=WAIT_MS if wait_for_mark else 500)
            mark = float(page.evaluate(f"() => performance.getEntriesByName({MARK!r})[0].startTime"))
        except PlaywrightTimeout:  # a feed page that sets no mark: reported as such, with the <h1> figure
            mark = None
        return mark, h1
    finally:
        page.close()


def _loads(browser: Browser, url: str, reader: Reader, count: int, *, cold: bool) -> list[tuple[float | None, float]]:
    """``count`` loads, each in a new context (cold) or all in one primed context (warm). Once a load finds
    no mark, the next ones do not wait the full WAIT_MS for it (a stub feed page would make this take minutes)."""
    samples: list[tuple[float | None, float]] = []
    shared = None if cold else _context(browser, url, reader)
    if shared is not None:
        _load(shared, wait_for_mark=True)  # primes the HTTP cache (hashed assets are immutable)
    for _ in range(count):
        context = shared or _context(browser, url, reader)
        samples.append(_load(context, wait_for_mark=all(mark is not None for mark, _ in samples)))
        if shared is None:
            context.close()
    if shared is not None:
        shared.close()
    return samples


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _print(label: str, marks: list[float | None], h1s: list[float]) -> None:
    found = [m for m in marks if m is not None]
    if found:
        p50, p95 = _percentiles(found)
        print(f"first feed render, {label}  median {p50:6.0f} ms  p95 {p95:6.0f} ms over {len(found)} loads "
              f"('{MARK}' mark, from navigation start)")
    else:
        print(f"first feed render, {label}  not measured: the feed page set no '{MARK}' mark in {WAIT_MS} ms")
    p50, p95 = _percentiles(h1s)
    print(f"  first <h1>, {label}         median {p50:6.0f} ms  p95 {p95:6.0f} ms over {len(h1s)} loads")


def report_first_render(loads: int = LOADS) -> None:
    executable = chromium_executable()
    if executable is None:
        raise SystemExit(f"Chromium is missing: {INSTALL_HINT}")
    # The platform's scheduled jobs print metric lines (EMF JSON) on stdout from their threads: kept out.
    with tempfile.TemporaryDirectory() as directory, contextlib.redirect_stdout(io.StringIO()), \
            web_platform(Path(directory)) as platform, sync_playwright() as playwright:
        reader = set_up_reader(f"{platform.url}/v1")
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            cold = _loads(browser, platform.url, reader, loads, cold=True)
            warm = _loads(browser, platform.url, reader, loads, cold=False)
        finally:
            browser.close()
    print(f"local platform in this process, headless Chromium, a reader following {AUTHORS} people "
          f"({AUTHORS * POSTS_EACH} posts)")
    _print("cold cache", [m for m, _ in cold], [h for _, h in cold])
    _print("warm cache", [m for m, _ in warm], [h for _, h in warm])


def main() -> None:
    if not (DIST / "index.html").exists():
        raise SystemExit(f"{DIST / 'index.html'} is missing: run make web")
    report_size()
    report_first_render()


if __name__ == "__main__":
    main()
