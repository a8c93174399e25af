"""process_image(): the variants users see, and the failure codes bad uploads get."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from PIL import Image, ImageChops, ImageStat

from chalicelib.media import processing
from chalicelib.media.processing import MediaRejected, ProcessedImage, check_signature, process_image, strip_jpeg
from tests import media_samples

# What a leak would look like in any variant: EXIF and GPS, XMP, ICC, comments, text chunks
LEAKS = (b"Exif", b"LeakyPhone", b"52.22", b"xmpmeta", b"ICC_PROFILE", b"shot at home", b"Location", b"eXIf",
         b"iCCP", b"tEXt")


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def assert_no_metadata(processed: ProcessedImage) -> None:
    for variant in processed.variants.values():
        for leak in LEAKS:
            assert leak not in variant.data, (variant.name, leak)
        image = opened(variant.data)
        assert not image.getexif(), variant.name
        assert not image.info.get("icc_profile"), variant.name
        assert not image.info.get("xmp"), variant.name
        assert not image.info.get("comment"), variant.name


def assert_variants_fit(processed: ProcessedImage) -> None:
    small, medium, original = (processed.variants[name] for name in ("small", "medium", "original"))
    assert max(small.width, small.height) <= 400
    assert max(medium.width, medium.height) <= 1200
    assert (original.width, original.height) == (processed.width, processed.height)
    for variant in processed.variants.values():
        assert opened(variant.data).size == (variant.width, variant.height), variant.name
    assert small.content_type == medium.content_type == "image/webp"
    assert opened(small.data).format == opened(medium.data).format == "WEBP"


def test_jpeg_with_orientation_6_is_turned_upright_and_loses_its_gps():
    processed = process_image(media_samples.jpeg_rotated_with_gps(640, 480), "image/jpeg")
    assert (processed.width, processed.height) == (480, 640)  # stored landscape, shown portrait
    original = processed.variants["original"]
    assert original.content_type == "image/jpeg" and opened(original.data).format == "JPEG"
    assert (processed.variants["small"].width, processed.variants["small"].height) == (300, 400)
    assert_variants_fit(processed)
    assert_no_metadata(processed)


def test_turning_moves_the_pixels_not_just_the_size():
    # The sample's left column is dark (radial gradient centre is bright): after a clockwise turn,
    # the stored top row becomes the right-hand column.
    source = opened(media_samples.jpeg_rotated_with_gps(640, 480)).convert("RGB")
    top_left_stored = pixel(source, (5, 5))
    upright = opened(process_image(media_samples.jpeg_rotated_with_gps(640, 480), "image/jpeg")
                     .variants["original"].data).convert("RGB")
    turned = pixel(upright, (upright.width - 6, 5))
    assert all(abs(a - b) < 40 for a, b in zip(turned, top_left_stored, strict=True))


def test_upright_jpeg_keeps_its_compressed_pixels_without_metadata():
    data = media_samples.jpeg_upright(1600, 1200)
    processed = process_image(data, "image/jpeg")
    original = processed.variants["original"].data
    assert len(original) < len(data)
    assert original.endswith(b"\xff\xd9")
    assert opened(original).tobytes() == opened(data).tobytes()  # the same pixels, bit for bit
    assert (processed.variants["medium"].width, processed.variants["medium"].height) == (1200, 900)
    assert_variants_fit(processed)
    assert_no_metadata(processed)


@pytest.mark.parametrize("size", [(4000, 3000), (3333, 2001), (2001, 3333)])
def test_medium_from_a_three_eighths_decode_matches_a_full_decode(size):
    # 3,200 to 4,800 px wide: libjpeg decodes at 3/8, a scale Pillow's own draft does not offer.
    # A wrong tile or size would come out garbled or shifted: a mean difference in the tens, where
    # WebP at quality 80 and the scaled decode leave 2 to 5 on this texture.
    data = media_samples.jpeg_upright(*size)
    medium = opened(process_image(data, "image/jpeg").variants["medium"].data).convert("RGB")
    assert medium.size == processing.fit(size, 1200)
    reference = opened(data).convert("RGB").resize(medium.size, Image.Resampling.LANCZOS)
    per_channel = ImageStat.Stat(ImageChops.difference(medium, reference)).mean
    assert sum(per_channel) / 3 < 8


def test_png_with_alpha_keeps_alpha_in_every_variant():
    processed = process_image(media_samples.png_with_alpha(800, 600), "image/png")
    assert processed.variants["original"].content_type == "image/png"
    for variant in processed.variants.values():
        image = opened(variant.data)
        assert image.mode == "RGBA", variant.name
        assert pixel(image, (5, image.height // 2))[3] == 0, variant.name  # the transparent half
        assert pixel(image, (image.width - 5, image.height // 2))[3] == 255, variant.name
    assert_variants_fit(processed)
    assert_no_metadata(processed)


def test_animated_gif_stills_show_the_first_frame_and_the_original_stays_animated():
    processed = process_image(media_samples.animated_gif(300, 200, frames=4), "image/gif")
    for name in ("small", "medium"):
        red, green, blue = pixel(opened(processed.variants[name].data).convert("RGB"), (10, 10))
        assert red > 200 and green < 60 and blue < 60, name
    original = opened(processed.variants["original"].data)
    assert getattr(original, "n_frames", 1) == 4
    assert_variants_fit(processed)
    assert_no_metadata(processed)


def test_webp_photo_and_animated_webp():
    processed = process_image(media_samples.webp(1600, 1000), "image/webp")
    assert (processed.variants["medium"].width, processed.variants["medium"].height) == (1200, 750)
    assert_variants_fit(processed)
    assert_no_metadata(processed)
    animated = process_image(media_samples.webp(500, 300, animated=True), "image/webp")
    red, green, blue = pixel(opened(animated.variants["small"].data).convert("RGB"), (10, 10))
    assert blue > 200 and red < 60 and green < 60  # the first frame is the blue one
    assert getattr(opened(animated.variants["original"].data), "n_frames", 1) == 3
    assert_no_metadata(animated)


def test_heic_becomes_a_browser_friendly_jpeg_original():
    processed = process_image(media_samples.heic(1024, 768), "image/heic")
    assert processed.variants["original"].content_type == "image/jpeg"
    assert (processed.width, processed.height) == (1024, 768)
    assert_variants_fit(processed)
    assert_no_metadata(processed)


def test_turned_heic_comes_out_upright():
    processed = process_image(media_samples.heic(640, 480, orientation=6), "image/heic")
    assert (processed.width, processed.height) == (480, 640)
    assert (processed.variants["small"].width, processed.variants["small"].height) == (300, 400)
    assert opened(processed.variants["original"].data).size == (480, 640)
    assert_no_metadata(processed)


def test_small_images_are_never_upscaled():
    processed = process_image(media_samples.png_with_alpha(120, 80), "image/png")
    for variant in processed.variants.values():
        assert (variant.width, variant.height) == (120, 80)


def test_blurhash_is_computed_with_4_by_3_components():
    processed = process_image(media_samples.jpeg_upright(800, 600), "image/jpeg")
    import blurhash  # type: ignore[import-untyped]

    assert blurhash.components(processed.blurhash) == (4, 3)
    assert len(processed.blurhash) == 6 + 2 * (4 * 3 - 1)  # flags, DC, then two characters per AC


@pytest.mark.parametrize(("data", "declared", "code"), [
    (b"", "image/jpeg", "empty"),
    (media_samples.zip_file(), "image/png", "signature_mismatch"),  # a "PNG" that is a ZIP
    (media_samples.png_with_alpha(50, 50), "image/jpeg", "signature_mismatch"),
    (media_samples.jpeg_upright(50, 50), "image/png", "signature_mismatch"),
    (media_samples.png_with_alpha(50, 50), "image/svg+xml", "unsupported"),
    (media_samples.png_with_alpha(50, 50), "video/mp4", "signature_mismatch"),
    (b"GIF89a" + bytes(10), "image/gif", "corrupt"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "image/png", "corrupt"),
])
def test_bad_uploads_fail_with_their_code(data, declared, code):
    with pytest.raises(MediaRejected) as rejected:
        process_image(data, declared)
    assert rejected.value.code == code


def test_a_jpeg_cut_in_half_is_corrupt():
    data = media_samples.jpeg_upright(800, 600)
    with pytest.raises(MediaRejected) as rejected:
        process_image(data[: len(data) // 2], "image/jpeg")
    assert rejected.value.code == "corrupt"
    rotated = media_samples.jpeg_rotated_with_gps()
    with pytest.raises(MediaRejected) as rejected:
        process_image(rotated[: len(rotated) // 2], "image/jpeg")
    assert rejected.value.code == "corrupt"


def test_over_size_is_too_large():
    data = media_samples.jpeg_upright(64, 64)
    with pytest.raises(MediaRejected) as rejected:
        process_image(data + bytes(10 * 1024 * 1024), "image/jpeg")
    assert rejected.value.code == "too_large"


def test_a_video_is_not_processed_as_an_image():
    with pytest.raises(MediaRejected) as rejected:
        process_image(media_samples.mp4(seconds=0.5, width=64, height=64), "video/mp4")
    assert rejected.value.code == "unsupported"


def test_decompression_bomb_fails_from_its_header_without_allocating_it():
    bomb = media_samples.png_bomb(20_000, 20_000)
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(MediaRejected) as rejected:
            process_image(bomb, "image/png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rejected.value.code == "too_many_pixels"
    assert peak < 5 * 1024 * 1024  # 400 MB if decoded


def test_pixel_limit_is_ours_below_pillows_own():
    # 7,000 x 7,000 = 49 MP: above our 40 MP default, below Pillow's error threshold
    bomb = media_samples.png_bomb(7_000, 7_000)
    with pytest.raises(MediaRejected) as rejected:
        process_image(bomb, "image/png")
    assert rejected.value.code == "too_many_pixels"
    with pytest.raises(MediaRejected) as rejected:
        process_image(media_samples.jpeg_upright(100, 100), "image/jpeg", max_pixels=9_999)
    assert rejected.value.code == "too_many_pixels"


def test_animations_count_every_frame_against_the_pixel_budget():
    with pytest.raises(MediaRejected) as rejected:
        process_image(media_samples.animated_gif(300, 200, frames=4), "image/gif", max_pixels=100_000)
    assert rejected.value.code == "too_many_pixels"


def test_check_signature_serves_videos_too():
    head = media_samples.mp4(seconds=0.5, width=64, height=64)[:4096]
    assert check_signature(head, "video/quicktime").kind == "video"
    with pytest.raises(MediaRejected) as rejected:
        check_signature(media_samples.jpeg_upright(32, 32), "video/mp4")
    assert rejected.value.code == "signature_mismatch"


def test_strip_jpeg_drops_app_segments_and_trailing_data():
    data = media_samples.jpeg_rotated_with_gps(64, 48) + b"trailing depth map"
    stripped = strip_jpeg(data)
    for leak in LEAKS:
        assert leak not in stripped
    assert stripped.endswith(b"\xff\xd9")
    assert opened(stripped).tobytes() == opened(data).tobytes()
    with pytest.raises(ValueError):
        strip_jpeg(data[:200])


def live_images() -> int:
    import gc

    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, Image.Image))


def test_repeated_processing_does_not_grow_memory():
    # tracemalloc sees Python's allocations; Pillow's pixel buffers belong to live Image objects
    samples = [(media_samples.jpeg_upright(1200, 900), "image/jpeg"),
               (media_samples.jpeg_rotated_with_gps(640, 480), "image/jpeg"),
               (media_samples.png_with_alpha(400, 300), "image/png"),
               (media_samples.animated_gif(100, 80), "image/gif"),
               (media_samples.heic(320, 240), "image/heic")]
    for data, declared in samples:  # warm caches (codecs, plugins)
        process_image(data, declared)
    images_before = live_images()
    tracemalloc.start()
    try:
        process_image(*samples[0])
        baseline, _ = tracemalloc.get_traced_memory()
        for _ in range(3):
            for data, declared in samples:
                process_image(data, declared)
            with pytest.raises(MediaRejected):
                process_image(samples[0][0][:5000], "image/jpeg")
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - baseline < 256 * 1024
    assert live_images() == images_before


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(("declared", "data", "mode"), [
    ("image/jpeg", encoded(Image.new("CMYK", (64, 48), (10, 200, 30, 5)), "JPEG"), "RGB"),
    ("image/jpeg", encoded(Image.new("L", (64, 48), 100), "JPEG"), "RGB"),
    ("image/jpeg", encoded(media_samples.textured(64, 48), "JPEG", progressive=True), "RGB"),
    ("image/png", encoded(Image.new("I;16", (64, 48), 1000), "PNG"), "RGB"),
    ("image/png", encoded(Image.new("LA", (64, 48), (100, 50)), "PNG"), "RGBA"),
    ("image/png", encoded(Image.new("1", (64, 48), 1), "PNG"), "RGB"),
    ("image/webp", encoded(Image.new("RGBA", (64, 48), (1, 2, 3, 4)), "WEBP", lossless=True), "RGBA"),
])
def test_other_pixel_formats_come_out_as_rgb_or_rgba(declared, data, mode):
    processed = process_image(data, declared)
    assert (processed.width, processed.height) == (64, 48)
    assert opened(processed.variants["small"].data).mode == mode


def test_damaged_files_only_ever_raise_media_rejected():
    # Seeded byte flips and cuts of every sample: a result or MediaRejected, nothing else
    import random

    rng = random.Random(8)
    samples = {"image/jpeg": media_samples.jpeg_rotated_with_gps(160, 120),
               "image/png": media_samples.png_with_alpha(160, 120), "image/gif": media_samples.animated_gif(80, 60),
               "image/webp": media_samples.webp(160, 100), "image/heic": media_samples.heic(160, 120)}
    outcomes: dict[str, int] = {}
    for declared, data in samples.items():
        for _ in range(30):
            damaged = bytearray(data)
            for _ in range(rng.choice((1, 5, 30))):
                damaged[rng.randrange(8, len(damaged))] = rng.randrange(256)
            if rng.random() < 0.3:
                damaged = damaged[: rng.randrange(16, len(damaged))]
            try:
                process_image(bytes(damaged), declared)
                outcomes["ready"] = outcomes.get("ready", 0) + 1
            except MediaRejected as rejected:
                outcomes[rejected.code] = outcomes.get(rejected.code, 0) + 1
    assert outcomes.get("corrupt", 0) > 0  # the damage was real enough to be noticed


def test_importing_the_module_does_not_import_pillow():
    import subprocess
    import sys

    code = ("import sys; import chalicelib.media.processing, chalicelib.media.transcoders, "
            "chalicelib.media.signatures; print(any(m.split('.')[0] in ('PIL', 'av', 'pillow_heif', 'blurhash') "
            "for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=processing.__file__.rsplit("/chalicelib/", 1)[0])
    assert result.stdout.strip() == "False"
