"""Media end to end: presigned POST uploads to the local S3, processing, variants on the local CDN, posts, avatars.

Every sample is generated in code (``tests/media_samples.py``). Waiting is on the media's own
status (``GET /v1/media/{id}``), with a deadline; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests
from PIL import Image

from tests import media_samples as samples
from tests.e2e.conftest import RunningPlatform, register_and_login
from tests.e2e.test_social import Api

READY_WITHIN = 30.0  # seconds; a generous deadline on a shared machine (figures: the report and README)


# --- helpers ----------------------------------------------------------------------------------


def upload(api: Api, data: bytes, content_type: str, declared: int | None = None) -> str:
    """Reserve a media and POST ``data`` to its presigned form; the media's id."""
    created = api.ok("POST", "/media", 201, json={"content_type": content_type,
                                                  "size": len(data) if declared is None else declared})
    assert created["status"] == "pending"
    form = created["upload"]
    assert form["method"] == "POST"
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("upload", data, content_type)},
                         timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    return str(created["id"])


def settled(api: Api, media_id: str, timeout: float = READY_WITHIN) -> dict[str, Any]:
    """The media once it is no longer pending (an AssertionError after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        media = api.ok("GET", f"/media/{media_id}")
        if media["status"] != "pending":
            return dict(media)
        if time.monotonic() > deadline:
            raise AssertionError(f"media still pending after {timeout} s: {media}")
        time.sleep(0.1)


def fetch(url: str) -> requests.Response:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, f"{url} -> {response.status_code}"
    return response


@pytest.fixture(scope="module")
def ada(platform: RunningPlatform) -> Api:
    return Api(platform, register_and_login(platform, "ada"))


@pytest.fixture(scope="module")
def bob(platform: RunningPlatform) -> Api:
    return Api(platform, register_and_login(platform, "bob"))


IMAGES: dict[str, tuple[Callable[[], bytes], str, tuple[int, int]]] = {
    # name: (sample, declared type, dimensions as shown)
    "jpeg-rotated-gps": (lambda: samples.jpeg_rotated_with_gps(640, 480), "image/jpeg", (480, 640)),
    "png-alpha": (lambda: samples.png_with_alpha(300, 200), "image/png", (300, 200)),
    "gif-animated": (lambda: samples.animated_gif(120, 80), "image/gif", (120, 80)),
    "webp": (lambda: samples.webp(200, 100), "image/webp", (200, 100)),
    "heic": (lambda: samples.heic(160, 120), "image/heic", (160, 120)),
}


@pytest.fixture(scope="module")
def ready_images(ada: Api) -> dict[str, dict[str, Any]]:
    ids = {name: upload(ada, make(), content_type) for name, (make, content_type, _) in IMAGES.items()}
    return {name: settled(ada, media_id) for name, media_id in ids.items()}


@pytest.mark.parametrize("name", list(IMAGES))
def test_each_image_becomes_ready_rotated_stripped_and_served(ready_images: dict[str, dict[str, Any]],
                                                              name: str) -> None:
    media = ready_images[name]
    assert media["status"] == "ready", media
    assert media["type"] == "image"
    assert (media["width"], media["height"]) == IMAGES[name][2]
    assert media["blurhash"]
    assert {"original", "small", "medium"} <= set(media["variants"])
    for variant_name, variant in media["variants"].items():
        served = fetch(variant["url"])
        image = Image.open(io.BytesIO(served.content))
        assert image.size == (variant["width"], variant["height"]), variant_name
        assert not image.getexif(), f"{variant_name} keeps EXIF"
        assert served.headers["Content-Type"].startswith("image/")
        limit = {"small": 400, "medium": 1200}.get(variant_name)
        if limit is not None:
            assert max(image.size) <= limit
    original = media["variants"]["original"]
    assert (original["width"], original["height"]) == IMAGES[name][2]  # the rotation is applied


def test_a_two_second_mp4_becomes_a_ready_video_with_a_poster(ada: Api) -> None:
    media = settled(ada, upload(ada, samples.mp4(2.0, 320, 240), "video/mp4"))
    assert media["status"] == "ready", media
    assert media["type"] == "video"
    assert (media["width"], media["height"]) == (320, 240)
    video = fetch(media["variants"]["original"]["url"])
    assert video.content[4:8] == b"ftyp"
    assert media["duration_ms"] and 1500 <= media["duration_ms"] <= 2500
    poster = Image.open(io.BytesIO(fetch(media["variants"]["poster"]["url"]).content))
    assert poster.size == (320, 240) and not poster.getexif()
    refused = ada.call("PATCH", "/users/me", json={"avatar_media_id": media["id"]})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_media"  # an avatar is an image


def test_raw_uploads_are_removed_once_decided(platform: RunningPlatform, ada: Api,
                                              ready_images: dict[str, dict[str, Any]]) -> None:
    # Runs after the image and video tests: every upload of ``ada`` so far is ready or failed.
    """Nothing is left in the uploads bucket by processed, failed or transcoded media (no GPS stays there)."""
    settled(ada, upload(ada, samples.zip_file(), "image/png"))
    s3 = _s3(platform)
    listed = s3.list_objects_v2(Bucket="social-local-uploads", Prefix=f"uploads/{ada.user.username}/")
    assert [o["Key"] for o in listed.get("Contents", [])] == []  # every upload so far has settled


@pytest.mark.parametrize(("sample", "content_type", "declared", "code"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8, "image/jpeg", None, "corrupt"),
    (samples.zip_file(), "image/png", None, "signature_mismatch"),
    (samples.png_bomb(), "image/png", None, "too_many_pixels"),
    (b"", "image/png", 10, "empty"),  # declared 10 bytes, sent none
    (samples.png_with_alpha(300, 200), "image/png", 100, "too_large"),  # more bytes than declared: the processor checks
], ids=["corrupt-jpeg", "png-declared-zip", "pixel-bomb", "zero-bytes", "over-declared-size"])
def test_bad_uploads_end_failed_with_their_code_and_the_next_one_succeeds(
        ada: Api, sample: bytes, content_type: str, declared: int | None, code: str) -> None:
    media = settled(ada, upload(ada, sample, content_type, declared))
    assert (media["status"], media["failure"]) == ("failed", code)
    assert settled(ada, upload(ada, samples.webp(200, 100), "image/webp"))["status"] == "ready"


@pytest.mark.parametrize(("body", "field"), [
    ({"content_type": "image/png", "size": 0}, "size"),
    ({"content_type": "image/png", "size": 10 * 1024 * 1024 + 1}, "size"),
    ({"content_type": "video/mp4", "size": 200 * 1024 * 1024 + 1}, "size"),
    ({"content_type": "application/zip", "size": 100}, "content_type"),
])
def test_an_empty_oversized_or_unsupported_upload_is_refused_at_once(ada: Api, body: dict[str, Any],
                                                                     field: str) -> None:
    refused = ada.call("POST", "/media", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"][0]["field"] == field


def test_media_are_private_until_attached_then_shown_in_followers_feeds(
        ada: Api, bob: Api, ready_images: dict[str, dict[str, Any]]) -> None:
    first, second = ready_images["png-alpha"]["id"], ready_images["webp"]["id"]
    assert bob.call("GET", f"/media/{first}").status_code == 404
    assert bob.call("PATCH", f"/media/{first}", json={"description": "mine"}).status_code == 404
    changed = ada.ok("PATCH", f"/media/{first}", json={"description": "A gradient, fading to blue",
                                                        "focus": {"x": 0.5, "y": -0.25}})
    assert (changed["description"], changed["focus"]) == ("A gradient, fading to blue", {"x": 0.5, "y": -0.25})
    bob.ok("PUT", f"/users/{ada.user.username}/follow")
    post = ada.ok("POST", "/posts", 201, json={"content": "two pictures", "media_ids": [first, second]})
    assert [m["id"] for m in post["media"]] == [first, second]

    def bobs_feed_post() -> dict[str, Any] | None:
        return next((p for p in bob.ok("GET", "/feed")["items"] if p["id"] == post["id"]), None)

    deadline = time.monotonic() + READY_WITHIN
    while (seen := bobs_feed_post()) is None:
        assert time.monotonic() < deadline, "the post never reached the follower's feed"
        time.sleep(0.1)
    assert [m["id"] for m in seen["media"]] == [first, second]
    assert seen["media"][0]["description"] == "A gradient, fading to blue"
    fetch(seen["media"][1]["variants"]["small"]["url"])
    assert bob.ok("GET", f"/media/{first}")["status"] == "ready"  # attached: anyone may see it
    again = ada.call("POST", "/posts", json={"content": "again", "media_ids": [first]})
    assert again.status_code == 422  # a media belongs to one post


def test_foreign_failed_unknown_or_five_media_in_a_post_are_422(ada: Api, bob: Api,
                                                                 ready_images: dict[str, dict[str, Any]]) -> None:
    bobs = settled(bob, upload(bob, samples.webp(200, 100), "image/webp"))["id"]
    failed = settled(ada, upload(ada, samples.zip_file(), "image/png"))["id"]
    fresh = [upload(ada, samples.webp(200, 100), "image/webp") for _ in range(5)]
    for media_ids in ([bobs], [failed], ["01JD6X3K6M5Y8V1Q2W3E4R5T6Y"], fresh):
        refused = ada.call("POST", "/posts", json={"content": "attach", "media_ids": media_ids})
        assert refused.status_code == 422, (media_ids, refused.text)
    assert ada.ok("POST", "/posts", 201, json={"content": "four", "media_ids": fresh[:4]})["media"]


def test_an_avatar_appears_on_the_profile(ada: Api, bob: Api, ready_images: dict[str, dict[str, Any]]) -> None:
    avatar = ready_images["jpeg-rotated-gps"]["id"]
    profile = ada.ok("PATCH", "/users/me", json={"avatar_media_id": avatar})
    assert profile["avatar"]
    seen = bob.ok("GET", f"/users/{ada.user.username}")
    assert seen["avatar"] == profile["avatar"]
    image = Image.open(io.BytesIO(fetch(seen["avatar"]).content))
    assert image.height > image.width and not image.getexif()
    foreign = bob.call("PATCH", "/users/me", json={"avatar_media_id": avatar})
    assert foreign.status_code == 422  # someone else's image
    replaced = ada.ok("PATCH", "/users/me", json={"avatar_media_id": ready_images["heic"]["id"]})
    assert replaced["avatar"] != profile["avatar"]
    assert bob.call("GET", f"/media/{avatar}").status_code == 404  # the old avatar is private again
    assert ada.ok("PATCH", "/users/me", json={"avatar_media_id": None})["avatar"] is None


def _s3(platform: RunningPlatform) -> Any:
    return boto3.client("s3", endpoint_url=platform.aws_endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _until(condition: Callable[[], bool], what: str, timeout: float = READY_WITHIN) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


def test_deleting_a_post_deletes_its_media_and_their_files(ada: Api, bob: Api) -> None:
    media = settled(ada, upload(ada, samples.webp(200, 100), "image/webp"))
    post = ada.ok("POST", "/posts", 201, json={"content": "short-lived", "media_ids": [media["id"]]})
    small = media["variants"]["small"]["url"]
    ada.ok("DELETE", f"/posts/{post['id']}", 204)
    _until(lambda: ada.call("GET", f"/media/{media['id']}").status_code == 404, "the media row removed")
    # The row goes first and the files a moment later (pipeline.remove_media): wait for them too.
    _until(lambda: requests.get(small, timeout=10).status_code == 404, "its files removed")


def test_an_upload_no_media_names_is_dropped(platform: RunningPlatform, ada: Api) -> None:
    s3 = _s3(platform)
    stray = f"uploads/{ada.user.username}/01JD6X3K6M5Y8V1Q2W3E4R5T6Y"  # no media row names it
    s3.put_object(Bucket="social-local-uploads", Key=stray, Body=b"\x89PNG\r\n\x1a\n")
    _until(lambda: not s3.list_objects_v2(Bucket="social-local-uploads", Prefix=stray).get("Contents"),
           "the stray upload deleted")
    assert settled(ada, upload(ada, samples.webp(200, 100), "image/webp"))["status"] == "ready"
