"""Debian's Chromium and the local platform serving web/dist: shared by tests/web and benchmarks/web_client.

No pytest here (the benchmark imports it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from local.platform import LocalPlatform

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
CHROMIUM = "/usr/bin/chromium"
PATH_VARIABLE = "CHROMIUM_PATH"  # another Chromium-based browser to use (.github/workflows/test.yml sets it)
# Headless and quiet: no GPU, no calls home (the machines have no internet), no first-run pages.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
INSTALL_HINT = "install it with `apt-get install -y chromium` (.ci/run does) or set CHROMIUM_PATH to a Chromium"


def chromium_executable() -> str | None:
    """``CHROMIUM_PATH`` when set (GitHub's runners: their Google Chrome), else Debian's Chromium, else None.

    Playwright's own browser download is never used: it cannot work offline."""
    given = os.environ.get(PATH_VARIABLE)
    if given:
        return given if Path(given).exists() else None
    return shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)


def web_platform(directory: Path, *, admin_password: str | None = None, dist: Path = DIST) -> LocalPlatform:
    """A local platform (not started) serving ``dist`` at /, on free ports, its files under ``directory``."""
    # database_url="": SQLite of its own even when DATABASE_URL points the ledger's tests at PostgreSQL.
    return LocalPlatform(port=0, websocket_port=0, prefix="webtests-", web_dist=dist, database_url="",
                         sqlite_file=directory / "ledger.db", search_file=directory / "search.db",
                         admin_password=admin_password, visibility_timeout=2, idle_interval=0.25)
