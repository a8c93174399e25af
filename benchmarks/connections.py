"""A burst of new connections on the local platform: 200 opened at once, each asking GET /v1/health.

The real app and manifest run in this process (``LocalPlatform``); one client
thread drives every connection through a selector, so the 200 connects leave
together and no client thread waits on another. A connection's latency runs
from its ``connect`` to the end of its answer (the server closes:
``Connection: close``). A reset or refused connection is counted, not retried.

Usage::

    python -m benchmarks.connections
"""

from __future__ import annotations

import errno
import selectors
import socket
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from local.platform import LocalPlatform

CONNECTIONS = 200
ROUNDS = 3
TIMEOUT_SECONDS = 60.0


@dataclass
class _Connection:
    sock: socket.socket
    request: bytes
    started: float
    received: bytearray = field(default_factory=bytearray)
    sent: bool = False


@dataclass
class Burst:
    """What one burst got: latencies (s) of the answered connections, statuses, resets, other failures."""

    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    resets: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # errno name (or "timeout") -> count


def burst(host: str, port: int, path: str, count: int = CONNECTIONS, timeout: float = TIMEOUT_SECONDS) -> Burst:
    """Open ``count`` connections at once, send one GET on each, read every answer."""
    result = Burst()
    selector = selectors.DefaultSelector()
    for n in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-N: {n}\r\nConnection: close\r\n\r\n".encode()
        connection = _Connection(sock, request, time.perf_counter())
        code = sock.connect_ex((host, port))
        if code not in (0, errno.EINPROGRESS):
            result.failures[errno.errorcode.get(code, str(code))] += 1
            sock.close()
            continue
        selector.register(sock, selectors.EVENT_WRITE, connection)
    deadline = time.monotonic() + timeout
    while selector.get_map() and (left := deadline - time.monotonic()) > 0:
        for key, _ in selector.select(left):
            connection = key.data
            try:
                done = _step(selector, connection)
            except ConnectionResetError:
                result.resets += 1
                done = True
            except OSError as error:
                result.failures[errno.errorcode.get(error.errno or 0, "OSError")] += 1
                done = True
            if done:
                selector.unregister(connection.sock)
                connection.sock.close()
                if connection.received:
                    result.latencies.append(time.perf_counter() - connection.started)
                    result.statuses.append(int(connection.received.split(b" ", 2)[1]))
    if selector.get_map():
        result.failures["timeout"] += len(selector.get_map())  # still open at the deadline
    selector.close()
    return result


def _step(selector: selectors.BaseSelector, connection: _Connection) -> bool:
    """Advance one connection; True once it is finished (answered and closed by the server)."""
    if not connection.sent:
        error = connection.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error == errno.ECONNRESET:
            raise ConnectionResetError(error, "reset while connecting")
        if error:
            raise OSError(error, "connect failed")
        connection.sock.sendall(connection.request)  # small: fits the empty send buffer
        connection.sent = True
        selector.modify(connection.sock, selectors.EVENT_READ, connection)
        return False
    chunk = connection.sock.recv(65536)
    connection.received += chunk
    return not chunk


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch, \
            LocalPlatform(port=0, sqlite_file=Path(scratch) / "ledger.db", admin=False) as platform:
        parts = urlsplit(platform.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        burst(host, port, "/v1/health", count=10)  # warm-up: the app's first request imports its routes
        for round_ in range(1, ROUNDS + 1):
            got = burst(host, port, "/v1/health")
            latencies = sorted(got.latencies)
            ok = sum(1 for status in got.statuses if status == 200)
            failures = ", ".join(f"{n} {name}" for name, n in got.failures.items()) or "none"
            p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)] if latencies else float("nan")
            print(f"{CONNECTIONS} simultaneous new connections, GET /v1/health, round {round_}: "
                  f"p50 {_ms(statistics.median(latencies)) if latencies else 'n/a'}, p95 {_ms(p95)}, "
                  f"max {_ms(latencies[-1]) if latencies else 'n/a'}; {len(got.statuses)} answered "
                  f"({ok} x 200), {got.resets} reset, other failures: {failures}")


if __name__ == "__main__":
    main()
