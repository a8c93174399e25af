"""What an upload really is, from its first bytes: the content's own signature, never the declared type.

Pure Python (no Pillow, no FFmpeg): the API and the queue worker call it on a ranged read of an
object's head, so it costs nothing at cold start.

    >>> sniff(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(56))
    Detected(kind='image', format='png', content_type='image/png')
    >>> sniff(b"PK\\x03\\x04" + bytes(60)) is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["image", "video"]

ALLOWED_TYPES: dict[str, Kind] = {
    "image/jpeg": "image",
    "image/png": "image",
    "image/gif": "image",
    "image/webp": "image",
    "image/heic": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
    "video/webm": "video",
}

MAX_BYTES: dict[str, int] = {"image": 10 * 1024 * 1024, "video": 200 * 1024 * 1024}

# How many leading bytes sniff() looks at; callers read this much (a ranged GET) and pass it.
HEAD_BYTES = 4096

# ISO base media file format (ftyp box) brands. HEIC's brands name the HEVC image codec; plain
# "mif1"/"msf1" (any HEIF) decides nothing alone, and AVIF ("avif", "avis") is not allowed.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_QUICKTIME_BRANDS = frozenset({b"qt  "})
_MP4_BRANDS = frozenset({
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"mp41", b"mp42", b"avc1",
    b"M4V ", b"M4VH", b"M4VP", b"f4v ", b"mmp4", b"dash", b"MSNV", b"3gp4", b"3gp5", b"3gp6",
})
# Old QuickTime files start with one of these atoms instead of an ftyp box.
_QUICKTIME_ATOMS = frozenset({b"moov", b"wide", b"mdat", b"free", b"skip", b"pnot"})


@dataclass(frozen=True)
class Detected:
    """What the bytes are: ``kind`` and ``content_type`` as in ALLOWED_TYPES, ``format`` a short name."""

    kind: Kind
    format: str
    content_type: str


_JPEG = Detected("image", "jpeg", "image/jpeg")
_PNG = Detected("image", "png", "image/png")
_GIF = Detected("image", "gif", "image/gif")
_WEBP = Detected("image", "webp", "image/webp")
_HEIC = Detected("image", "heic", "image/heic")
_MP4 = Detected("video", "mp4", "video/mp4")
_QUICKTIME = Detected("video", "quicktime", "video/quicktime")
_WEBM = Detected("video", "webm", "video/webm")


def sniff(head: bytes) -> Detected | None:
    """The allowed type the bytes' signature names, or None when nothing allowed matches."""
    if head.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _WEBP
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return _ebml(head)
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS and int.from_bytes(head[:4], "big") >= 8:
        return _QUICKTIME
    return None


def same_type(declared: str, detected: Detected) -> bool:
    """Whether a declared content type agrees with what the bytes are.

    Exact, with one tolerance: MP4 and QuickTime are the same container family (ISO base media),
    phones and browsers label one as the other, and the transcoder reads both. A JPEG declared as
    PNG is a mismatch: the declared type is what the client promised, and a client that lies about
    one image format is not trusted about the rest.

    >>> same_type("video/mp4", sniff(b"\\x00\\x00\\x00\\x14ftypqt  \\x00\\x00\\x00\\x00qt  "))
    True
    """
    if declared == detected.content_type:
        return True
    iso = {"video/mp4", "video/quicktime"}
    return declared in iso and detected.content_type in iso


def _iso_media(head: bytes) -> Detected | None:
    """An ISO base media file: the ftyp box's major and compatible brands decide."""
    size = int.from_bytes(head[:4], "big")
    end = min(len(head), size) if size >= 16 else len(head)
    brands = {head[8:12]} | {head[i:i + 4] for i in range(16, end - 3, 4)}
    major = head[8:12]
    if major in _AVIF_BRANDS:
        return None
    if brands & _HEIC_BRANDS:
        return _HEIC
    if major in _QUICKTIME_BRANDS:
        return _QUICKTIME
    if brands & _MP4_BRANDS:
        return _MP4
    if brands & _QUICKTIME_BRANDS:
        return _QUICKTIME
    return None


def _ebml(head: bytes) -> Detected | None:
    """An EBML file: WebM when its DocType says "webm" (generic Matroska is not allowed)."""
    at = head.find(b"\x42\x82", 4, 64)  # the DocType element's id
    if at < 0 or at + 3 > len(head):
        return None
    length_byte = head[at + 2]
    if length_byte & 0x80:  # a one-byte length, the only one a muxer writes for "webm"
        length = length_byte & 0x7F
        doc_type = head[at + 3:at + 3 + length]
        if doc_type == b"webm":
            return _WEBM
    return None
