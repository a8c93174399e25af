"""Images in, safe variants out: the bytes' signature decides the type, and no metadata survives.

``process_image`` turns an uploaded image into a stripped ``original`` (orientation applied), WebP
``small`` (fits 400 px) and ``medium`` (fits 1,200 px) variants and a blurhash; anything it cannot
trust raises ``MediaRejected`` with a failure code, never another exception.

    >>> from tests.media_samples import png_with_alpha
    >>> processed = process_image(png_with_alpha(), "image/png")
    >>> sorted(processed.variants), processed.variants["small"].content_type
    (['medium', 'original', 'small'], 'image/webp')

Pillow (and pillow-heif, for HEIC) are imported on first use, never at module import: the API's
routes import this module and must stay cheap to cold-start.

Speed and memory come from decoding no more than the variants need: a JPEG whose orientation is
already upright keeps its compressed pixels (the original is its bytes with every metadata segment
cut out, no decode and no re-encode) and is decoded once at a reduced scale (``Image.draft``, the
JPEG decoder's DCT scaling) just large enough for ``medium``; ``small`` and the blurhash come from
``medium``. Other formats decode once at full size (their codecs have no scaled decode).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from chalicelib.media.signatures import ALLOWED_TYPES, HEAD_BYTES, MAX_BYTES, Detected, same_type, sniff

if TYPE_CHECKING:
    from PIL import Image

FailureCode = Literal["empty", "too_large", "unsupported", "signature_mismatch", "corrupt", "too_many_pixels"]

SMALL = 400
MEDIUM = 1200
BLURHASH_SIZE = 32  # the blurhash's source: its DCT needs no more, and it is pure Python
BLURHASH_COMPONENTS = (4, 3)
WEBP_QUALITY = 80
JPEG_QUALITY = 88
# An animation's original re-encodes every frame: its frames times its area count against this
# multiple of max_pixels (a 40 MP budget allows some 200 frames of 480 x 270 at twice the budget).
ANIMATION_BUDGET = 2

# Pillow's format names, to open the bytes only with the plugin the signature named.
_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "heic": "HEIF"}
_SWAPS_AXES = {5, 6, 7, 8}  # EXIF orientations that rotate by 90 degrees


class MediaRejected(Exception):
    """The upload cannot become media; ``code`` is the failure code the media row records."""

    def __init__(self, code: FailureCode, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code: FailureCode = code
        self.detail = detail


@dataclass(frozen=True)
class Variant:
    name: str
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedImage:
    """``width``/``height`` are the original's, after orientation; variants by name."""

    width: int
    height: int
    blurhash: str
    variants: dict[str, Variant]


def check_signature(head: bytes, declared_content_type: str) -> Detected:
    """What the bytes are, when they are what was declared; the first failure code otherwise.

    The declared type must be allowed (``unsupported``), the bytes must be something allowed and
    agree with it (``signature_mismatch``, see ``signatures.same_type``). Videos use this on a
    ranged read of the object's head before they reach the transcoder.

    >>> check_signature(b"GIF89a" + bytes(58), "image/gif").format
    'gif'
    """
    if not head:
        raise MediaRejected("empty")
    if declared_content_type not in ALLOWED_TYPES:
        raise MediaRejected("unsupported", f"{declared_content_type!r} is not an allowed type")
    detected = sniff(head[:HEAD_BYTES])
    if detected is None:
        raise MediaRejected("signature_mismatch", f"the bytes are not {declared_content_type}")
    if not same_type(declared_content_type, detected):
        raise MediaRejected("signature_mismatch",
                            f"declared {declared_content_type}, the bytes are {detected.content_type}")
    return detected


def process_image(data: bytes, declared_content_type: str, *, max_pixels: int = 40_000_000) -> ProcessedImage:
    """The variants and blurhash of an uploaded image; ``MediaRejected`` when it cannot be trusted."""
    detected = check_signature(data, declared_content_type)
    if detected.kind != "image":
        raise MediaRejected("unsupported", "a video is not processed as an image")
    if len(data) > MAX_BYTES["image"]:
        raise MediaRejected("too_large", f"{len(data)} bytes")
    _prepare_pillow(detected)
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # Pillow warns between its limit and twice it; the pixel check below is the judge
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[detected.format]])
        with im:
            width, height = im.size  # from the header: nothing is decoded yet
            if width <= 0 or height <= 0:
                raise MediaRejected("corrupt", "no pixels")
            if width * height > max_pixels:
                raise MediaRejected("too_many_pixels", f"{width} x {height}")
            return _process(im, data, detected, max_pixels)
    except MediaRejected:
        raise
    except Image.DecompressionBombError as error:
        raise MediaRejected("too_many_pixels", str(error)) from None
    except MemoryError:
        raise MediaRejected("too_many_pixels", "out of memory while decoding") from None
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, struct.error... for bad bytes
        raise MediaRejected("corrupt", f"{type(error).__name__}: {error}") from None


def fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """``size`` scaled down to fit ``limit`` on its longest side, never up.

    >>> fit((4000, 3000), 1200), fit((300, 200), 400)
    ((1200, 900), (300, 200))
    """
    width, height = size
    longest = max(width, height)
    if longest <= limit:
        return size
    scale = limit / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


_pillow_ready = False


def _prepare_pillow(detected: Detected) -> None:
    """Pillow configured once; pillow-heif's opener registered only once a HEIC arrives."""
    global _pillow_ready
    from PIL import Image

    if not _pillow_ready:
        # Pillow's own guard (a warning past this, an error past twice this) backs up ours,
        # which process_image applies from the header before anything is decoded.
        Image.MAX_IMAGE_PIXELS = 40_000_000
        _pillow_ready = True
    if detected.format == "heic" and "HEIF" not in Image.OPEN:
        from pillow_heif import register_heif_opener

        register_heif_opener()


def _process(im: Image.Image, data: bytes, detected: Detected, max_pixels: int) -> ProcessedImage:
    orientation = _orientation(im)
    stored = im.size
    upright = (stored[1], stored[0]) if orientation in _SWAPS_AXES else stored
    medium_size = fit(upright, MEDIUM)
    small_size = fit(upright, SMALL)

    original: Variant | None = None
    if detected.format == "jpeg" and orientation == 1 and not im.info.get("icc_profile"):
        # Upright JPEG: the original is its own entropy-coded data, metadata cut out byte by byte,
        # and the variants decode at the smallest DCT scale that still covers medium.
        original = Variant("original", strip_jpeg(data), "image/jpeg", *upright)
        im.draft(None, medium_size)
    frames: int = getattr(im, "n_frames", 1)
    animated = frames > 1 and detected.format in ("gif", "webp")
    if animated and frames * stored[0] * stored[1] > ANIMATION_BUDGET * max_pixels:
        raise MediaRejected("too_many_pixels", f"{frames} frames of {stored[0]} x {stored[1]}")

    im.load()  # the first frame; a truncated or corrupt file fails here
    still = _upright_still(im, orientation)
    try:
        if original is None:
            original = _encode_original(im, still, detected, animated)
        medium = _resized(still, medium_size)
        small = _resized(medium, small_size)
        variants = {
            "original": original,
            "medium": _webp("medium", medium),
            "small": _webp("small", small),
        }
        return ProcessedImage(upright[0], upright[1], _blurhash(small), variants)
    finally:
        still.close()


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # an unreadable EXIF block is dropped like any other
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _upright_still(im: Image.Image, orientation: int) -> Image.Image:
    """The first frame as a fresh RGB(A) image in sRGB, turned upright, with no metadata at all."""
    from PIL import Image

    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode == "P" and "transparency" in im.info)
    still = im.convert("RGBA" if has_alpha else "RGB")
    icc = im.info.get("icc_profile")
    if icc:
        still = _to_srgb(still, icc)
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    if method is not None:
        turned = still.transpose(method)
        still.close()
        still = turned
    still.info = {}
    return still


def _to_srgb(still: Image.Image, icc: bytes) -> Image.Image:
    """Pixels converted from their embedded profile to sRGB, so dropping the profile keeps the colours."""
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(still, source, ImageCms.createProfile("sRGB"), outputMode=still.mode)
    except Exception:  # an unusable profile: keep the pixels as they are
        return still
    if converted is None:
        return still
    still.close()
    return converted


def _resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    from PIL import Image

    if image.size == size:
        return image
    # reducing_gap: a cheap box reduction first, then Lanczos over the last factor of 3
    out = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out.info = {}
    return out


def _webp(name: str, image: Image.Image) -> Variant:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY)  # writes no EXIF/XMP/ICC unless given them
    return Variant(name, buffer.getvalue(), "image/webp", image.width, image.height)


def _encode_original(im: Image.Image, still: Image.Image, detected: Detected, animated: bool) -> Variant:
    """A stripped original: JPEG stays JPEG, PNG stays PNG, animations keep their frames, HEIC becomes JPEG."""
    buffer = io.BytesIO()
    if animated and detected.format == "gif":
        # The source's frames re-encoded; comment="" stops Pillow copying the source's comment block.
        im.info = {k: v for k, v in im.info.items() if k in ("duration", "loop", "transparency", "background")}
        im.save(buffer, format="GIF", save_all=True, comment="")
        return Variant("original", buffer.getvalue(), "image/gif", *still.size)
    if animated:  # WebP: the WebP writer adds EXIF/XMP/ICC only when passed them
        im.save(buffer, format="WEBP", save_all=True, quality=WEBP_QUALITY)
        return Variant("original", buffer.getvalue(), "image/webp", *still.size)
    if detected.format in ("png", "gif"):
        still.save(buffer, format="PNG")
        return Variant("original", buffer.getvalue(), "image/png", *still.size)
    if detected.format == "webp" or still.mode == "RGBA":
        still.save(buffer, format="WEBP", quality=90)
        return Variant("original", buffer.getvalue(), "image/webp", *still.size)
    still.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return Variant("original", buffer.getvalue(), "image/jpeg", *still.size)


def _blurhash(small: Image.Image) -> str:
    import blurhash  # type: ignore[import-untyped]  # pure Python, no type information
    from PIL import Image

    thumb = small.copy()
    thumb.thumbnail((BLURHASH_SIZE, BLURHASH_SIZE))
    if thumb.mode == "RGBA":  # transparent areas read as white, as a page behind them usually is
        backdrop = Image.new("RGB", thumb.size, (255, 255, 255))
        backdrop.paste(thumb, mask=thumb.getchannel("A"))
        thumb = backdrop
    pixels = thumb.convert("RGB").tobytes()
    width, height = thumb.size
    rows = [
        [list(pixels[(y * width + x) * 3:(y * width + x) * 3 + 3]) for x in range(width)]
        for y in range(height)
    ]
    x_components, y_components = BLURHASH_COMPONENTS
    return str(blurhash.encode(rows, components_x=x_components, components_y=y_components))


def strip_jpeg(data: bytes) -> bytes:
    """A JPEG's bytes with every metadata segment removed and its pixels untouched.

    Keeps the segments decoding needs (quantisation and Huffman tables, frame and scan headers,
    restart intervals, the Adobe APP14 colour-transform flag) and the entropy-coded data; drops
    APP0-APP13 and APP15 (JFIF and its thumbnail, EXIF and GPS, XMP, ICC, MPF, IPTC...), comments,
    and anything after the end-of-image marker (phones append depth and gain maps there).
    ``ValueError`` when the structure is broken.
    """
    if data[:2] != b"\xff\xd8":
        raise ValueError("no start-of-image marker")
    out = bytearray(b"\xff\xd8")
    pos, end = 2, len(data)
    while pos < end:
        if data[pos] != 0xFF:
            raise ValueError(f"expected a marker at {pos}")
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # end of image
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            out += bytes((0xFF, marker))
            continue
        if pos + 2 > end:
            raise ValueError("truncated segment")
        length = int.from_bytes(data[pos:pos + 2], "big")
        if length < 2 or pos + length > end:
            raise ValueError("truncated segment")
        segment = data[pos:pos + length]
        pos += length
        keep = not (0xE0 <= marker <= 0xEF or marker == 0xFE) or (marker == 0xEE and segment[2:7] == b"Adobe")
        if keep:
            out += bytes((0xFF, marker)) + segment
        if marker == 0xDA:  # start of scan: the entropy-coded data runs to the next real marker
            scan_end = pos
            while True:
                scan_end = data.find(b"\xff", scan_end)
                if scan_end < 0 or scan_end + 1 >= end:
                    raise ValueError("truncated scan")
                following = data[scan_end + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    scan_end += 1 if following == 0xFF else 2
                    continue
                break
            out += data[pos:scan_end]
            pos = scan_end
    raise ValueError("no end-of-image marker")
