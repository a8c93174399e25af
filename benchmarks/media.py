"""Image processing: a 12-megapixel JPEG into its variants, ``process_image`` against a naive pipeline.

Both produce the same set (a metadata-free original, WebP ``medium`` fitting 1,200 px and ``small``
fitting 400 px, a blurhash). The naive one is how it is usually written: ``Image.open``, a full
decode, ``ImageOps.exif_transpose`` (the variants must be upright), a resize of the full image for
each variant, the original re-encoded to drop its metadata,
Pillow's defaults (its resize filter is bicubic, as ours; its WebP effort is 4, ours 2). A second
naive row gives it process_image's encoder settings, so what is left between them is how the
pixels are decoded and resized; the goal (3x) is against the first.
``process_image`` cuts the upright JPEG's metadata out byte by byte and decodes at a reduced DCT
scale (``Image.draft``). A third row shows ``process_image`` on a JPEG turned by EXIF orientation 6,
where the original must be decoded in full to be turned.

Each pipeline runs in its own process pinned to one core (a warm-up, then RUNS timed runs), ROUNDS
times in turn with the others. Time is the best run, as ``timeit`` advises (on a shared machine
the slower runs measure the neighbours: the median of the same code moved by 30% between two
runs here), with the median beside it. Memory is tracemalloc's peak (Pillow reports its image
buffers to tracemalloc) and the growth of the process's peak resident set over its state before
the first run.

    python -m benchmarks.media
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from local import RUNTIME_DIR

if str(RUNTIME_DIR) not in sys.path:  # importing local already did it; the runtime import below needs it
    sys.path.insert(0, str(RUNTIME_DIR))

from chalicelib.media import processing

RUNS = 5
ROUNDS = 3  # the pipelines take turns, so a slow minute of the machine falls on all of them
ROOT = Path(__file__).resolve().parent.parent
_prepared: dict[int, tuple[Any, Any]] = {}


def naive(data: bytes, *, tuned: bool = False) -> None:
    """Full decode, then each variant resized from the full image; the original re-encoded.

    ``tuned``: process_image's WebP effort, not Pillow's default."""
    import io

    import blurhash  # type: ignore[import-untyped]
    from PIL import Image, ImageOps

    from chalicelib.media.processing import RESAMPLE, WEBP_METHOD, WEBP_QUALITY, fit

    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)  # orientation applied, as the variants need (a copy)
        image.info = {}
        image.save(io.BytesIO(), format="JPEG", quality=88)
        for limit in (1200, 400):
            resized = image.resize(fit(image.size, limit), Image.Resampling[RESAMPLE])  # Pillow's default too
            effort = {"method": WEBP_METHOD} if tuned else {}
            resized.save(io.BytesIO(), format="WEBP", quality=WEBP_QUALITY, **effort)
        resized.thumbnail((processing.BLURHASH_SIZE, processing.BLURHASH_SIZE))
        pixels = resized.convert("RGB").tobytes()
        width, height = resized.size
        rows = [[list(pixels[(y * width + x) * 3:(y * width + x) * 3 + 3]) for x in range(width)]
                for y in range(height)]
        blurhash.encode(rows, components_x=4, components_y=3)  # as process_image


def fast(data: bytes) -> None:
    from chalicelib.media.processing import process_image

    process_image(data, "image/jpeg")


def shared(data: bytes) -> None:
    """What both pipelines do alike: encode the two WebP variants and the blurhash (from a prepared medium)."""
    medium, small = _prepared[id(data)]
    processing._webp("medium", medium)
    processing._webp("small", small)
    processing._blurhash(small)


def _prepare(data: bytes) -> None:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.draft(None, (1200, 900))
        medium = image.convert("RGB").resize(processing.fit(image.size, 1200))
    _prepared[id(data)] = (medium, medium.resize(processing.fit(medium.size, 400)))


def measure(which: str, path: str) -> dict[str, Any]:
    """Runs in the child process: one pipeline on one core, RUNS times after a warm-up."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    pipelines: dict[str, Callable[[bytes], None]] = {
        "naive": naive, "tuned": partial(naive, tuned=True), "fast": fast, "shared": shared}
    run = pipelines[which]
    data = Path(path).read_bytes()
    from tests.media_samples import jpeg_upright

    warm = jpeg_upright(64, 48)
    if which == "shared":
        _prepare(warm)
        _prepare(data)
    run(warm)  # imports and codec set-up, on an image too small to move the peak
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    run(data)  # the first full-size run sets the process's peak resident set
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_rss
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run(data)
        times.append(time.perf_counter() - started)
    return {"times": times, "traced_peak": peak, "rss_growth_kb": rss_growth}


def make(kind: str, path: str) -> None:
    """Runs in a child process: writes the sample (the parent stays small, see ``_child``)."""
    from tests import media_samples

    sample = media_samples.jpeg_upright if kind == "upright" else media_samples.jpeg_rotated_with_gps
    Path(path).write_bytes(sample(4000, 3000))


def _child(*args: str) -> dict[str, Any]:
    """Run this module in a fresh process. Linux carries a process's peak RSS over fork and exec, so
    the parent never holds a large image itself: each child's peak is its own."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(RUNTIME_DIR), str(ROOT)])}
    out = subprocess.run([sys.executable, "-m", "benchmarks.media", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _combined(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One pipeline's rounds together: best and median of every run, the largest memory figures."""
    times = [seconds for one in rounds for seconds in one["times"]]
    return {"seconds": min(times), "median": statistics.median(times),
            "traced_peak": max(one["traced_peak"] for one in rounds),
            "rss_growth_kb": max(one["rss_growth_kb"] for one in rounds)}


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        upright, turned = Path(scratch, "upright.jpg"), Path(scratch, "turned.jpg")
        _child("--make", "upright", str(upright))
        _child("--make", "turned", str(turned))
        jobs = {"shared": upright, "naive": upright, "tuned": upright, "fast": upright, "turned": turned}
        rounds = [{name: _child("--child", "fast" if name == "turned" else name, str(path))
                   for name, path in jobs.items()} for _ in range(ROUNDS)]
        results = {name: _combined([one[name] for one in rounds]) for name in jobs}
        encoders = results["shared"]
        rows = [
            ("naive: full decode + resize", results["naive"]),
            ("naive, our WebP effort", results["tuned"]),
            ("process_image (upright)", results["fast"]),
            ("process_image (orientation 6)", results["turned"]),
        ]
        size = upright.stat().st_size
    print(f"a 4000 x 3000 JPEG ({size / 1e6:.1f} MB) into original + medium + small + blurhash, "
          f"one core, best and median of {ROUNDS} x {RUNS} runs:")
    print(f"  {'pipeline':<32} {'time':>9} {'median':>9} {'images/s':>9} {'traced peak':>12} {'peak RSS growth':>16}")
    for name, row in rows:
        print(f"  {name:<32} {row['seconds'] * 1000:7.0f} ms {row['median'] * 1000:6.0f} ms {1 / row['seconds']:9.1f} "
              f"{row['traced_peak'] / 2**20:9.1f} MB {row['rss_growth_kb'] / 1024:13.1f} MB")
    naive_row, tuned_row, fast_row = rows[0][1], rows[1][1], rows[2][1]
    print(f"  process_image vs naive: {naive_row['seconds'] / fast_row['seconds']:.1f}x faster, "
          f"{fast_row['rss_growth_kb'] / naive_row['rss_growth_kb']:.2f} of the peak memory (goal: >= 3x, <= 0.33)")
    common = encoders["seconds"]
    print(f"  vs naive with our WebP effort: {tuned_row['seconds'] / fast_row['seconds']:.1f}x; both then spend "
          f"{common * 1000:.0f} ms encoding the WebP variants and the blurhash, and the rest (decoding, "
          f"resizing, the original) is {(tuned_row['seconds'] - common) * 1000:.0f} ms against "
          f"{(fast_row['seconds'] - common) * 1000:.0f} ms "
          f"({(tuned_row['seconds'] - common) / (fast_row['seconds'] - common):.1f}x)")

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    elif len(sys.argv) == 4 and sys.argv[1] == "--make":
        make(sys.argv[2], sys.argv[3])
        print("{}")
    else:
        main()
