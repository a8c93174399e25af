"""A recording transport for opensearch-py: the real client, signer and HTTP connection, minus the network.

``RecordingConnection`` is opensearch-py's ``RequestsHttpConnection`` whose requests session sends
through an adapter that records each prepared request (already signed by the SigV4 auth) and
answers from a queue of canned responses. Everything above the socket runs as in Lambda.

Usage::

    recorder = Recorder()
    backend = OpenSearchBackend(ENDPOINT, "social-dev-", "us-east-1",
                                connection_class=recorder.connection_class(), credentials=CREDENTIALS)
    recorder.reply(200, {"items": [...]})
    backend.bulk([...])
    recorder.requests[0].json_lines()
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests
from opensearchpy import RequestsHttpConnection
from requests.adapters import BaseAdapter


@dataclass
class Recorded:
    """One request as it left the client: method, path, query string, headers and body."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.url.split("?", 1)[1] if "?" in self.url else ""

    def json(self) -> Any:
        return json.loads(self.body)

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines()]


@dataclass
class Recorder:
    """The requests sent and the responses queued (first in, first out; ``default`` when none is left)."""

    requests: list[Recorded] = field(default_factory=list)
    replies: list[tuple[int, Any]] = field(default_factory=list)
    default: tuple[int, Any] = (200, {})

    def reply(self, status: int, body: Any) -> None:
        self.replies.append((status, body))

    def connection_class(self) -> type[RequestsHttpConnection]:
        recorder = self

        class _Adapter(BaseAdapter):
            def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
                     verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
                body = request.body or b""
                recorder.requests.append(Recorded(
                    str(request.method), str(request.url), dict(request.headers),
                    body.encode() if isinstance(body, str) else bytes(body)))
                status, payload = recorder.replies.pop(0) if recorder.replies else recorder.default
                response = requests.Response()
                response.status_code = status
                response._content = json.dumps(payload).encode()
                response.headers["content-type"] = "application/json"
                response.url = str(request.url)
                response.request = request
                return response

            def close(self) -> None:
                pass

        class RecordingConnection(RequestsHttpConnection):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.session.mount("https://", _Adapter())
                self.session.mount("http://", _Adapter())

        return RecordingConnection
