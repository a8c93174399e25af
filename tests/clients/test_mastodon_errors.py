"""Bad input on the Mastodon face of ``python -m local``: Mastodon's status codes and ``{"error": ...}`` bodies
(the Error entity), never a 5xx. Sent with requests where the request itself is the point, with Mastodon.py
where a client would meet the error.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError, MastodonUnauthorizedError
from PIL import Image

from chalicelib.mastodon.params import MAX_UPLOAD_BODY, MAX_UPLOAD_FILE
from tests.clients.mastodon_client import Client, sign_in
from tests.clients.mastodon_schemas import assert_entity
from tests.e2e.conftest import RunningPlatform, register_and_login

MAX_CHARACTERS = 2000  # the instance's configuration.statuses.max_characters


@dataclass(frozen=True)
class Caller:
    """Raw HTTP with a Mastodon token, as any client sends it."""

    platform: RunningPlatform
    token: str

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.platform.url + path, headers=headers, timeout=15, **kwargs)


def refused(answer: requests.Response, status: int) -> dict[str, Any]:
    """Assert Mastodon's refusal: ``status`` and an Error entity body (whose ``error`` is returned)."""
    assert answer.status_code == status, (answer.status_code, answer.text[:500])
    body = answer.json()
    assert_entity("Error", body)
    return dict(body)


@pytest.fixture(scope="module")
def ada(platform: RunningPlatform) -> Client:
    return sign_in(platform, register_and_login(platform, "errada"))


@pytest.fixture(scope="module")
def bob(platform: RunningPlatform) -> Client:
    return sign_in(platform, register_and_login(platform, "errbob"))


@pytest.fixture(scope="module")
def http(platform: RunningPlatform, ada: Client) -> Caller:
    return Caller(platform, str(ada.api.access_token))


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/statuses/0000nosuchstatus"),
    ("GET", "/api/v1/statuses/0000nosuchstatus/context"),
    ("DELETE", "/api/v1/statuses/0000nosuchstatus"),
    ("PUT", "/api/v1/statuses/0000nosuchstatus"),
    ("POST", "/api/v1/statuses/0000nosuchstatus/favourite"),
    ("GET", "/api/v1/accounts/nosuch_account_0"),
    ("GET", "/api/v1/accounts/nosuch_account_0/statuses"),
    ("POST", "/api/v1/accounts/nosuch_account_0/follow"),
    ("GET", "/api/v1/accounts/lookup?acct=nosuch_account_0"),
    ("GET", "/api/v1/media/0000nosuchmedia"),
    ("GET", "/api/v1/notifications/0000nosuchnotification"),
])
def test_unknown_ids_are_not_found(http: Caller, method: str, path: str) -> None:
    body = {"status": "edited"} if method == "PUT" else None
    assert refused(http.send(method, path, json=body), 404)["error"] == "Record not found"


def test_someone_elses_status_cannot_be_edited_or_deleted(ada: Client, bob: Client) -> None:
    theirs = bob.api.status_post("mine alone")
    # Mastodon looks the status up among the caller's own: another's is not found.
    with pytest.raises(MastodonNotFoundError):
        ada.api.status_delete(theirs["id"])
    assert_entity("Error", ada.last_json())
    with pytest.raises(MastodonNotFoundError):
        ada.api.status_update(theirs["id"], status="hijacked")
    assert_entity("Error", ada.last_json())
    assert "mine alone" in bob.api.status(theirs["id"])["content"]


def test_a_read_only_token_cannot_write(platform: RunningPlatform) -> None:
    reader = sign_in(platform, register_and_login(platform, "errread"), scopes=["read"])
    with pytest.raises(MastodonAPIError) as refusal:
        reader.api.status_post("not allowed")
    assert refusal.value.args[1] == 403
    assert reader.last_json() == {"error": "This action is outside the authorized scopes"}
    media = Caller(platform, str(reader.api.access_token)).send("POST", "/api/v2/media",
                                                                  files={"file": ("a.png", b"x", "image/png")})
    refused(media, 403)
    assert reader.api.account_verify_credentials()["username"] == reader.user.username  # reading still works


def test_a_revoked_or_missing_token_is_unauthorized(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "errrevoke")
    client = sign_in(platform, user)
    token = str(client.api.access_token)
    client.api.revoke_access_token(allow_http=True)
    stale = Caller(platform, token)
    for method, path in (("GET", "/api/v1/accounts/verify_credentials"), ("POST", "/api/v1/statuses")):
        refused(stale.send(method, path, data={"status": "x"}), 401)
        refused(requests.request(method, platform.url + path, data={"status": "x"}, timeout=15), 401)
    with pytest.raises(MastodonUnauthorizedError):
        Mastodon(access_token=token, api_base_url=platform.url).status_post("after revocation")


@pytest.mark.parametrize("body", [
    b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nno closing boundary",
    b"this is not multipart at all",
    b"",
])
def test_a_malformed_multipart_upload_is_a_bad_request(http: Caller, body: bytes) -> None:
    answer = http.send("POST", "/api/v2/media", data=body,
                       headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert answer.status_code in (400, 422), (answer.status_code, answer.text[:300])
    assert_entity("Error", answer.json())


def test_an_upload_up_to_the_advertised_size_is_taken_and_a_body_beyond_what_lambda_takes_is_too_large(
        http: Caller) -> None:
    # The instance advertises what one Lambda invocation can carry (base64 in a 6 MB event), not the media's 10 MB.
    advertised = http.send("GET", "/api/v2/instance").json()["configuration"]["media_attachments"]["image_size_limit"]
    assert advertised == MAX_UPLOAD_FILE < 10 * 2**20
    noise = io.BytesIO()
    Image.frombytes("RGB", (1000, 1000), random.Random(7).randbytes(3_000_000)).save(noise, format="PNG")
    assert 2**20 < len(noise.getvalue()) <= advertised  # far over the platform's 64 KiB JSON bodies
    taken = http.send("POST", "/api/v2/media", files={"file": ("noise.png", noise.getvalue(), "image/png")})
    assert taken.status_code in (200, 202), taken.text[:300]
    beyond = http.send("POST", "/api/v2/media", data=b"x" * (MAX_UPLOAD_BODY + 1),
                       headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert beyond.status_code == 413


def test_an_upload_without_a_file_is_unprocessable(http: Caller) -> None:
    refused(http.send("POST", "/api/v2/media", files={"description": (None, "no file")}), 422)


def test_over_long_text_is_unprocessable(ada: Client) -> None:
    with pytest.raises(MastodonAPIError) as refusal:
        ada.api.status_post("x" * (MAX_CHARACTERS + 1))
    assert refusal.value.args[1] == 422
    assert_entity("Error", ada.last_json())
    assert ada.last_json()["error"].startswith("Validation failed")
    posted = ada.api.status_post("x" * MAX_CHARACTERS)  # the limit itself is allowed
    assert posted["id"]


def test_more_than_four_media_or_unknown_media_are_unprocessable(ada: Client, http: Caller) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 200)).save(picture, "PNG")
    uploaded = [ada.api.media_post(io.BytesIO(picture.getvalue()), mime_type="image/png")["id"] for _ in range(5)]
    with pytest.raises(MastodonAPIError) as refusal:
        ada.api.status_post("five pictures", media_ids=uploaded)
    assert refusal.value.args[1] == 422
    assert_entity("Error", ada.last_json())
    refused(http.send("POST", "/api/v1/statuses", data={"status": "ghost", "media_ids[]": ["0000nosuchmedia"]}), 422)


def test_an_empty_status_or_a_wrongly_typed_parameter_is_unprocessable(http: Caller) -> None:
    refused(http.send("POST", "/api/v1/statuses", data={"status": ""}), 422)
    refused(http.send("GET", "/api/v1/timelines/home?limit=many"), 422)
    malformed = http.send("POST", "/api/v1/statuses", data=b"{not json",
                          headers={"Content-Type": "application/json"})
    refused(malformed, 400)
