"""Many WebSocket clients in a process of their own, so that they do not compete with the platform for the GIL.

One asyncio loop holds every connection; each notes (``time.time()``, the system clock the parent
process reads too) when a ``{"type": "post"}`` frame arrives. The parent talks to it over
stdin/stdout, one JSON object a line:

* ``{"open": [url, ...], "parallel": 50}`` -> ``{"opened": n, "seconds": s}`` (connects ``parallel`` at once)
* ``{"wait": post_id, "count": n, "timeout": s}`` -> ``{"arrivals": [t, ...]}`` or ``{"error": "..."}``
* ``{"close": true}`` -> ``{"closed": n}``, and the process ends

Usage::

    with ClientProcess() as clients:
        clients.open(urls)
        arrivals = clients.wait(post_id, count=len(urls))   # time.time() of each follower's frame
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


class _Clients:
    def __init__(self) -> None:
        self.connections: list[ClientConnection] = []
        self.arrivals: dict[str, list[float]] = {}
        self.changed = asyncio.Event()

    async def _listen(self, connection: ClientConnection) -> None:
        try:
            async for frame in connection:
                arrived = time.time()
                message = json.loads(frame)
                if message.get("type") == "post":
                    self.arrivals.setdefault(message["data"]["id"], []).append(arrived)
                    self.changed.set()
        except ConnectionClosed:  # its listener ends; the counts tell who missed a post
            pass

    async def open(self, urls: list[str], parallel: int) -> dict[str, Any]:
        began = time.perf_counter()
        limit = asyncio.Semaphore(parallel)

        async def one(url: str) -> None:
            async with limit:
                connection = await connect(url, open_timeout=120, max_queue=None)
            self.connections.append(connection)
            asyncio.get_running_loop().create_task(self._listen(connection))

        await asyncio.gather(*(one(url) for url in urls))
        return {"opened": len(self.connections), "seconds": time.perf_counter() - began}

    async def wait(self, post_id: str, count: int, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while len(self.arrivals.get(post_id, [])) < count:
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return {"error": f"{len(self.arrivals.get(post_id, []))} of {count} followers got post {post_id}"}
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        return {"arrivals": self.arrivals[post_id]}

    async def close(self) -> dict[str, Any]:
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)
        return {"closed": len(self.connections)}


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    clients = _Clients()
    while line := await reader.readline():
        command = json.loads(line)
        if "open" in command:
            answer = await clients.open(command["open"], int(command.get("parallel", 50)))
        elif "wait" in command:
            answer = await clients.wait(command["wait"], int(command["count"]), float(command.get("timeout", 60)))
        else:
            answer = await clients.close()
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if "closed" in answer:
            return


class ClientProcess:
    """The parent's side: starts ``python -m benchmarks.ws_clients`` and asks it what it saw."""

    def __init__(self) -> None:
        self._process = subprocess.Popen([sys.executable, "-m", "benchmarks.ws_clients"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)

    def _ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(command) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the WebSocket clients' process ended")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise TimeoutError(answer["error"])
        return answer

    def open(self, urls: list[str], parallel: int = 50) -> float:
        """Connect every url (``parallel`` handshakes at once); the seconds it took."""
        return float(self._ask({"open": urls, "parallel": parallel})["seconds"])

    def wait(self, post_id: str, count: int, timeout: float = 60) -> list[float]:
        """When (``time.time()``) each of ``count`` clients got the post; ``TimeoutError`` if they did not."""
        return [float(t) for t in self._ask({"wait": post_id, "count": count, "timeout": timeout})["arrivals"]]

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._ask({"close": True})
            finally:
                self._process.wait(30)

    def __enter__(self) -> ClientProcess:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.close()
        except Exception:
            self._process.kill()
            raise


if __name__ == "__main__":
    asyncio.run(_serve())
