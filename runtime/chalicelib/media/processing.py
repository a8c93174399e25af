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

Failure codes: ``empty`` (0 bytes), ``unsupported`` (a declared type not allowed, or a video given
to process_image), ``signature_mismatch`` (the bytes are not what was declared: a ZIP declared as
PNG, a PNG declared as JPEG), ``too_large``, ``too_many_pixels`` (from the header, before any
decode; animations count every frame), ``corrupt`` (anything Pillow cannot decode, truncated files).

Speed and memory come from decoding no more than the variants need. A JPEG's variants decode once
at the smallest DCT scale that covers ``medium`` (``Image.draft``); ``small`` and the blurhash come
from ``medium``. Its original is made afterwards, from the bytes: upright and sRGB, it keeps its
compressed pixels with every metadata segment cut out (no decode, no generation loss); turned or
in another colour space, it is decoded in full, turned, converted and re-encoded. Other formats
decode once at full size (their codecs have no scaled decode). Animated PNGs keep their first
frame only; animated GIFs and WebPs keep their animation in the original.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from chalicelib.media.signatures import ALLOWED_TYPES, HEAD_BYTES, MAX_BYTES, Detected, same_type, sniff

if TYPE_CHECKING:
    from PIL import Image

FailureCode = Literal["empty", "too_large", "unsupported", "signature_mismatch", "corrupt", "too_many_pixels"]

SMALL = 400
MEDIUM = 1200
# The blurhash's source. Its 4 x 3 components are at most 3 cycles across: 16 samples resolve them
# (the hash of a 16 px and a 32 px source differ in the last digits only), and the encoder is pure
# Python, so a quarter of the pixels is a quarter of the time (1.5 ms against 6 here).
BLURHASH_SIZE = 16
BLURHASH_COMPONENTS = (4, 3)
WEBP_QUALITY = 80
# Bicubic: for these downscales (Pillow's resampling widens the filter by the scale, so no aliasing)
# as sharp to the eye as Lanczos, and 40% faster on a 2,000 px source
RESAMPLE = "BICUBIC"
# libwebp's effort: 2 encodes a 1,200 px photo 2.5x faster than the default 4 for 1% more bytes
# (measured here: 35 ms and 82 KB against 86 ms and 81 KB)
WEBP_METHOD = 2
JPEG_QUALITY = 88
# An animation's original re-encodes every frame: its frames times its area count against this
# multiple of max_pixels (with the default 40 MP, some 600 frames of 480 x 270).
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
            # Pillow warns between its limit and twice it (the pixel check below is the judge), and
            # about broken EXIF blocks (dropped anyway): the failure codes say what matters
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[detected.format]]) as im:
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

    jpeg = detected.format == "jpeg"
    if jpeg:
        # The variants decode at the smallest DCT scale that still covers medium (asked for in the
        # stored orientation); the original is made from the bytes afterwards, see below.
        _draft(im, (medium_size[1], medium_size[0]) if orientation in _SWAPS_AXES else medium_size)
    frames: int = getattr(im, "n_frames", 1)
    animated = frames > 1 and detected.format in ("gif", "webp")
    if animated and frames * stored[0] * stored[1] > ANIMATION_BUDGET * max_pixels:
        raise MediaRejected("too_many_pixels", f"{frames} frames of {stored[0]} x {stored[1]}")

    # Each image is closed as soon as the next step no longer needs it: peak memory is the point.
    im.load()  # the first frame; a truncated or corrupt file fails here
    still = _upright_still(im, orientation, reuse=not animated)
    if not animated and still is not im:
        im.close()
    try:
        original = None if jpeg else _encode_original(im, still, detected, animated)
        medium = _resized(still, medium_size, consume=True)
    finally:
        if still is not medium:
            still.close()
    try:
        small = _thumbnail(medium, small_size)
        variants = {"medium": _webp("medium", medium), "small": _webp("small", small)}
        blurhash = _blurhash(small)
    finally:
        medium.close()
    if original is None:
        original = _jpeg_original(data, orientation, upright)
    return ProcessedImage(upright[0], upright[1], blurhash, {"original": original, **variants})


# libjpeg-turbo scales by n/8 for n in 1..16 (scale_num / scale_denom, the smallest n/8 at least
# as large as asked: jdmaster.c, jpeg_core_output_dimensions). Pillow asks with scale_num = 1 and
# offers 1/2, 1/4 and 1/8 only (JpegImagePlugin.draft); a denominator of 3 reaches 3/8, which
# is what a 12 MP photo needs for a 1,200 px medium: 1,500 px wide rather than 2,000 px, so the
# resize that follows reads 44% fewer pixels (decode and resize: 98 ms against 117 here).
_DENOMINATORS = {8: 1, 4: 2, 3: 3, 2: 4, 1: 8}  # eighths -> the scale_denom that reaches them


def _draft(im: Image.Image, size: tuple[int, int]) -> None:
    """Set a JPEG to decode at the smallest DCT scale whose result still covers ``size``."""
    from PIL import ImageFile

    width, height = im.size
    eighths = next((n for n in sorted(_DENOMINATORS) if width * n >= size[0] * 8 and height * n >= size[1] * 8), 8)
    if eighths != 3 or not isinstance(im, ImageFile.ImageFile) or len(im.tile) != 1 or im.decoderconfig:
        im.draft(None, size)  # the power-of-two scales, which Pillow offers itself
        return
    # Pillow's draft for a denominator it does not offer: the tile and size libjpeg will produce
    # (n/8 of each side, rounded up) and the decoder's (scale, draft) arguments.
    decoder, _, offset, args = im.tile[0]
    scaled = (-(-width * eighths // 8), -(-height * eighths // 8))
    im.tile = [ImageFile._Tile(decoder, (0, 0, *scaled), offset, args)]
    im._size = scaled
    im.decoderconfig = (_DENOMINATORS[eighths], 0)


def _jpeg_original(data: bytes, orientation: int, upright: tuple[int, int]) -> Variant:
    """A JPEG's original: its own bytes with the metadata cut out when upright and in sRGB (no
    decode, no generation loss); otherwise a full decode, turned and converted, re-encoded."""
    from PIL import Image

    with Image.open(io.BytesIO(data), formats=["JPEG"]) as full:
        if orientation == 1 and _is_srgb(full.info.get("icc_profile")):
            return Variant("original", strip_jpeg(data), "image/jpeg", *upright)
        full.load()
        still = _upright_still(full, orientation, reuse=True)
    try:
        buffer = io.BytesIO()
        still.save(buffer, format="JPEG", quality=JPEG_QUALITY)
        return Variant("original", buffer.getvalue(), "image/jpeg", *still.size)
    finally:
        still.close()


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # an unreadable EXIF block is dropped like any other
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _upright_still(im: Image.Image, orientation: int, *, reuse: bool) -> Image.Image:
    """The first frame as RGB(A) in sRGB, turned upright, with no metadata at all.

    With ``reuse``, a frame already in that state is returned as it is instead of copied (the
    caller is done with ``im`` otherwise); an animation's frames are still needed, so not then.
    """
    from PIL import Image

    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode == "P" and "transparency" in im.info)
    mode = "RGBA" if has_alpha else "RGB"
    still = im if reuse and im.mode == mode else im.convert(mode)
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


def _is_srgb(icc: bytes | None) -> bool:
    """No profile (sRGB by convention) or an sRGB one: the pixels need no conversion."""
    if not icc:
        return True
    try:
        from PIL import ImageCms

        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    except Exception:  # unreadable: treated as sRGB, as a browser would once it is dropped
        return True
    return "srgb" in description.lower()


def _to_srgb(still: Image.Image, icc: bytes) -> Image.Image:
    """Pixels converted from their embedded profile to sRGB, so dropping the profile keeps the colours."""
    if _is_srgb(icc):
        return still
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


def _resized(image: Image.Image, size: tuple[int, int], *, consume: bool = False) -> Image.Image:
    """``image`` shrunk to ``size``; with ``consume``, ``image`` is closed as soon as it has been read.

    Two single-axis passes, rows first, rather than Pillow's one call (which holds the source and
    a columns-first intermediate together): the source is freed after the first pass, so the peak
    is source + intermediate, not source + intermediate + result. The filter is separable, so the
    pixels are the same.
    """
    from PIL import Image

    if image.size == size:
        return image
    resample = Image.Resampling[RESAMPLE]
    # reducing_gap: past a factor of 3 (a full-size decode), a cheap box reduction comes first
    rows = image.resize((image.width, size[1]), resample, reducing_gap=3.0)
    if consume:
        image.close()
    out = rows.resize(size, resample, reducing_gap=3.0)
    rows.close()
    out.info = {}
    return out


def _thumbnail(medium: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``small`` from ``medium``: a 2 x 2 box reduction, then the filter for the rest.

    A reducing gap of 1.5 rather than 3: from an image already filtered down to 1,200 px, the box
    step costs nothing visible (mean difference from Lanczos 0.9 of 255 against 0.5) and halves
    the time (7.5 ms against 15.5 here). Pillow's one call: ``medium`` stays open anyway.
    """
    from PIL import Image

    if medium.size == size:
        return medium.copy()
    small = medium.resize(size, Image.Resampling[RESAMPLE], reducing_gap=1.5)
    small.info = {}
    return small


def _webp(name: str, image: Image.Image) -> Variant:
    buffer = io.BytesIO()  # the WebP writer adds EXIF/XMP/ICC only when given them
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
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
        im.save(buffer, format="WEBP", save_all=True, quality=WEBP_QUALITY, method=WEBP_METHOD)
        return Variant("original", buffer.getvalue(), "image/webp", *still.size)
    if detected.format in ("png", "gif"):
        still.save(buffer, format="PNG")
        return Variant("original", buffer.getvalue(), "image/png", *still.size)
    if detected.format == "webp" or still.mode == "RGBA":
        still.save(buffer, format="WEBP", quality=90, method=WEBP_METHOD)
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


# In entropy-coded data, 0xFF is followed by 0x00 (a stuffed byte), a restart marker or more 0xFF
# fill: any other byte after an 0xFF starts the next segment. (A literal first byte lets the regex
# engine skip ahead fast: 2 ms for 4 MB, where a leading "\xff+" takes 27.)
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


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
    view = memoryview(data)
    out: list[bytes | memoryview] = [b"\xff\xd8"]  # joined once at the end: one copy of the image
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
            out.append(b"\xff\xd9")
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            out.append(bytes((0xFF, marker)))
            continue
        if pos + 2 > end:
            raise ValueError("truncated segment")
        length = int.from_bytes(data[pos:pos + 2], "big")
        if length < 2 or pos + length > end:
            raise ValueError("truncated segment")
        segment = view[pos:pos + length]
        pos += length
        keep = not (0xE0 <= marker <= 0xEF or marker == 0xFE) or (marker == 0xEE and bytes(segment[2:7]) == b"Adobe")
        if keep:
            out += [bytes((0xFF, marker)), segment]
        if marker == 0xDA:  # start of scan: the entropy-coded data runs to the next real marker
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                raise ValueError("truncated scan")
            scan_end = found.start()
            while scan_end > pos and data[scan_end - 1] == 0xFF:  # fill bytes before the marker
                scan_end -= 1
            out.append(view[pos:scan_end])
            pos = scan_end
    raise ValueError("no end-of-image marker")
