"""Mastodon.py 2.3.3 against the local platform, as a client author would set it up, plus a record of the raw
JSON each call got (Mastodon.py turns dates into datetimes and ids into its own types, so entities are
validated against what the server actually sent).

The recorder is a ``requests.Session`` response hook, passed through Mastodon.py's documented ``session=``
argument: it observes, it changes nothing the client sends or reads.

Usage::

    client = sign_in(platform, register_and_login(platform, "ada"), scopes=["read", "write", "follow"])
    status = client.api.status_post("hello")
    assert_entity("Status", client.last_json())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import requests
from mastodon import Mastodon

from tests.e2e.conftest import RunningPlatform, User

ALL_SCOPES = ["read", "write", "follow", "push"]


@dataclass
class Recorder:
    """Every JSON answer a session received, in order: ``(method, url, status, json or None)``."""

    answers: list[tuple[str, str, int, Any]] = field(default_factory=list)

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        self.answers.append((response.request.method or "", response.url, response.status_code, body))

    def json_of(self, method: str, path: str) -> Any:
        """The body of the last ``method`` answer whose URL path is ``path`` (Mastodon.py may make other calls
        around the one a test names, e.g. the instance's version after a sign-in)."""
        for sent, url, _, body in reversed(self.answers):
            if sent == method and urlsplit(url).path == path:
                return body
        raise AssertionError(f"no {method} {path} among {[(m, urlsplit(u).path) for m, u, _, _ in self.answers]}")

    def session(self) -> requests.Session:
        session = requests.Session()
        session.hooks["response"].append(self.hook)
        return session


@dataclass
class Client:
    """A signed-in Mastodon.py instance, its app's credentials and the JSON it received."""

    api: Mastodon
    user: User
    client_id: str
    client_secret: str
    recorder: Recorder

    def last_json(self) -> Any:
        """The body of the last answer this client received."""
        return self.recorder.answers[-1][3]

    def last(self) -> tuple[str, str, int, Any]:
        return self.recorder.answers[-1]


def create_app(platform: RunningPlatform, name: str, scopes: list[str] | None = None,
               redirect_uris: str | None = None, session: requests.Session | None = None) -> tuple[str, str]:
    return Mastodon.create_app(name, api_base_url=platform.url, scopes=scopes or ALL_SCOPES,
                               redirect_uris=redirect_uris, session=session)


def sign_in(platform: RunningPlatform, user: User, scopes: list[str] | None = None, app_name: str = "pytest",
            ) -> Client:
    """A new app and a password-grant token for ``user`` with ``scopes`` (all the usual ones by default)."""
    recorder = Recorder()
    session = recorder.session()
    client_id, client_secret = create_app(platform, app_name, scopes, session=session)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=platform.url, session=session)
    api.log_in(user.username, user.password, scopes=scopes or ALL_SCOPES, allow_http=True)
    return Client(api, user, client_id, client_secret, recorder)


class ConsentForm(HTMLParser):
    """The consent page's form: its action and its hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields = "", dict[str, str]()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.action = found.get("action") or ""
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""
