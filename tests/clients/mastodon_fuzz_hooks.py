"""Schemathesis hooks for the Mastodon face's fuzz test (loaded through ``SCHEMATHESIS_HOOKS``): a bearer token
that is renewed whenever the face answers 429.

A Mastodon token may make 300 requests in 5 minutes; a fuzz run makes thousands, and past the limit every
answer would be a 429 that tests nothing. Rather than lift the limit, the run signs in again (the password grant
of the fuzzer's app) each time the current token is throttled. The test passes the platform, app and user in
``MASTODON_FUZZ_*`` variables.
"""

from __future__ import annotations

import os
from typing import Any

import requests
import schemathesis


@schemathesis.auth(refresh_interval=24 * 3600, retry_on=[429])
class RenewedToken:
    def get(self, case: Any, context: Any) -> str:
        env = os.environ
        answer = requests.post(env["MASTODON_FUZZ_URL"] + "/oauth/token", timeout=30, data={
            "grant_type": "password", "client_id": env["MASTODON_FUZZ_CLIENT_ID"],
            "client_secret": env["MASTODON_FUZZ_CLIENT_SECRET"], "username": env["MASTODON_FUZZ_USERNAME"],
            "password": env["MASTODON_FUZZ_PASSWORD"], "scope": "read write follow push"})
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
