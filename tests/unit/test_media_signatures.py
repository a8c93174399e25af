"""sniff(): an upload's type comes from its first bytes, whatever the client declared."""

from __future__ import annotations

import pytest

from chalicelib.media.signatures import ALLOWED_TYPES, MAX_BYTES, Detected, same_type, sniff
from tests import media_samples


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + bytes(32)


@pytest.mark.parametrize(("make", "content_type"), [
    (media_samples.jpeg_rotated_with_gps, "image/jpeg"),
    (media_samples.png_with_alpha, "image/png"),
    (media_samples.animated_gif, "image/gif"),
    (media_samples.webp, "image/webp"),
    (media_samples.heic, "image/heic"),
    (media_samples.mp4, "video/mp4"),
])
def test_generated_samples_are_recognised_from_their_first_bytes(make, content_type):
    detected = sniff(make()[:4096])
    assert detected is not None
    assert detected.content_type == content_type
    assert detected.kind == ALLOWED_TYPES[content_type]


@pytest.mark.parametrize(("head", "content_type"), [
    (ftyp(b"qt  ", b"qt  "), "video/quicktime"),
    (ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),  # Apple's HEIC: a generic major brand, heic compatible
    (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
    (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + bytes(40), "video/webm"),
    (b"\x00\x00\x00\x08wide\x00\x00\x00\x10mdat" + bytes(48), "video/quicktime"),
])
def test_container_brands_decide_between_formats(head, content_type):
    detected = sniff(head)
    assert detected is not None and detected.content_type == content_type


@pytest.mark.parametrize("head", [
    media_samples.zip_file(),
    b"%PDF-1.7\n" + bytes(60),
    ftyp(b"avif", b"avif", b"mif1"),  # AVIF is HEIF too, but not allowed
    ftyp(b"mif1", b"mif1"),  # a HEIF that names no allowed codec
    b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x88matroska" + bytes(40),
    b"<svg xmlns='http://www.w3.org/2000/svg'>" + bytes(30),
    b"",
])
def test_anything_not_allowed_is_none(head):
    assert sniff(head) is None


def test_limits_are_the_contracts():
    assert MAX_BYTES == {"image": 10 * 1024 * 1024, "video": 200 * 1024 * 1024}
    assert set(ALLOWED_TYPES) == {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
                                  "video/mp4", "video/quicktime", "video/webm"}


def test_declared_type_must_match_except_mp4_and_quicktime():
    png = Detected("image", "png", "image/png")
    assert same_type("image/png", png)
    assert not same_type("image/jpeg", png)  # a JPEG/PNG mix-up is a mismatch, within one kind too
    quicktime = Detected("video", "quicktime", "video/quicktime")
    assert same_type("video/mp4", quicktime)
    assert not same_type("video/webm", quicktime)
