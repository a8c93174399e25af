"""``python -m local``: the whole platform in the foreground until Ctrl-C or SIGTERM.

Usage::

    python -m local                  # API on http://127.0.0.1:8000
    PORT=9000 python -m local
    python -m local --port 0         # any free port (printed)
    python -m local --websocket-port 9001   # the WebSocket endpoint (default: the API's port + 1)
    FANOUT_MAX_FOLLOWERS=3 TIMELINE_DAYS=1 python -m local
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/social python -m local
    LOCAL_ADMIN_PASSWORD='Local-admin-1' python -m local
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from local.errors import StartupError
from local.platform import TUNABLES, LocalPlatform
from stacks.webfiles import DIST

EPILOG = f"""\
environment:
  PORT, HOST, WEBSOCKET_PORT, LOCAL_LOG_LEVEL, LOCAL_POLL_INTERVAL   defaults of the options above
  CURSOR_SECRET      signs pagination cursors; random for each start unless set
                     (set it to keep cursors valid across restarts)
  {", ".join(TUNABLES)}
                     the runtime's defaults unless set (the banner shows the values)
  DATABASE_URL       the ledger's database, e.g. postgresql://postgres@127.0.0.1:5432/social
                     (kept across restarts); unset: a fresh SQLite file for each start
  LOCAL_SQLITE_FILE  that SQLite file (default .local/ledger.db under the repository)
  LOCAL_ADMIN_PASSWORD  the password of the "admin" account (admins group); unset: one is
                     generated for each start and shown in the banner
"""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.splitlines()[0] if __doc__ else "",
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="address of the API")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                        help="port of the API (env PORT; 0 picks a free one)")
    parser.add_argument("--websocket-port", type=int,
                        default=int(os.environ["WEBSOCKET_PORT"]) if os.environ.get("WEBSOCKET_PORT") else None,
                        help="port of the WebSocket endpoint (env WEBSOCKET_PORT; default the API's port + 1, "
                             "a free one with --port 0)")
    parser.add_argument("--prefix", default="social-local-", help="prefix of every physical resource name")
    parser.add_argument("--log-level", default=os.environ.get("LOCAL_LOG_LEVEL", "INFO"))
    parser.add_argument("--poll-interval", type=float, default=float(os.environ.get("LOCAL_POLL_INTERVAL", "1.0")),
                        help="seconds an idle event source waits before polling again; moto wakes it at once "
                             "on any request, so this only delays visibility-timeout retries and schedules")
    parser.add_argument("--sqlite-file", type=Path, default=os.environ.get("LOCAL_SQLITE_FILE") or None,
                        help="the SQLite file emptied at each start when DATABASE_URL is unset "
                             "(env LOCAL_SQLITE_FILE; default .local/ledger.db)")
    parser.add_argument("--web-dist", type=Path, default=DIST,
                        help="the web client's build, served at / (default web/dist: make web)")
    parser.add_argument("--no-web", dest="web_dist", action="store_const", const=None,
                        help="serve the API alone, without the web client")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, started: float | None = None) -> int:
    """Run until Ctrl-C or SIGTERM; ``started`` is ``time.perf_counter()`` when the process began."""
    started = time.perf_counter() if started is None else started
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    for noisy in ("botocore", "pynamodb", "werkzeug", "alembic", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("starting the local platform...", flush=True)
    platform = LocalPlatform(host=args.host, port=args.port, prefix=args.prefix, idle_interval=args.poll_interval,
                             sqlite_file=args.sqlite_file, websocket_port=args.websocket_port,
                             web_dist=args.web_dist)
    try:
        platform.start()
    except (OSError, StartupError) as error:
        print(f"cannot start: {error}", file=sys.stderr, flush=True)
        return 1
    try:
        print("\n".join(platform.describe()), flush=True)
        print(f"ready in     {(time.perf_counter() - started) * 1000:.0f} ms since the process began", flush=True)
        print("ready; Ctrl-C to stop", flush=True)
        while not stop.wait(0.5):
            pass
        print("stopping...", flush=True)
    finally:
        platform.stop()
    print("stopped", flush=True)
    return 0
