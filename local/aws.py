"""moto's server in-process, and the environment that points boto3 at it.

Usage::

    with MotoServer() as moto:
        env = aws_environment(moto.endpoint, region="us-east-1")
        # every boto3 client (and PynamoDB) created with ``env`` in os.environ talks to moto
        moto.reset()                              # forget every resource
"""

from __future__ import annotations

import logging
from types import TracebackType

import requests
from moto.server import ThreadedMotoServer

DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


def aws_environment(endpoint: str, region: str = DEFAULT_REGION) -> dict[str, str]:
    """The variables that send every AWS SDK in this process to ``endpoint`` with fake credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


class MotoServer:
    """moto's threaded server on ``host:port`` (port 0 picks a free one); werkzeug's request log silenced."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._running = False

    def start(self) -> MotoServer:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        self._running = True
        return self

    @property
    def endpoint(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Clear every moto backend (they are process-wide, shared by all servers in this process)."""
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self._server.stop()
        inner = getattr(self._server, "_server", None)
        if inner is not None:  # ThreadedMotoServer.stop() leaves the listening socket open
            inner.server_close()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
