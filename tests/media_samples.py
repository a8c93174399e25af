"""Media samples made in code (Pillow, pillow-heif, PyAV): the repository holds no binary files.

Each function returns the bytes of one upload a test (or ``make bench``) sends:

    >>> jpeg_rotated_with_gps()[:3]
    b'\\xff\\xd8\\xff'
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib

from PIL import Image, ImageDraw

GPS_LATITUDE = (52.0, 22.0, 12.5)


def textured(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Gradients, stripes and circles: compresses like a photo more than a flat fill does."""
    horizontal = Image.linear_gradient("L").rotate(90).resize((width, height))
    vertical = Image.linear_gradient("L").resize((width, height))
    radial = Image.radial_gradient("L").resize((width, height))
    image = Image.merge("RGB", (radial, vertical, horizontal))
    draw = ImageDraw.Draw(image)
    step = max(8, width // 60)
    for x in range(0, width, step):
        draw.line([(x, 0), (x + height // 3, height)], fill=((x * 7) % 256, 90, (x * 3) % 256), width=2)
    for i in range(12):
        r = (i + 1) * min(width, height) // 30
        draw.ellipse([width // 2 - r, height // 2 - r, width // 2 + r, height // 2 + r],
                     outline=(255 - i * 20, i * 20, 128), width=3)
    # Fine noise, so the JPEG encoder has high frequencies to keep as a camera's sensor gives it
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(image, noise, 0.15)
    return image.convert(mode) if mode != "RGB" else image


def jpeg_rotated_with_gps(width: int = 640, height: int = 480) -> bytes:
    """A JPEG stored ``width`` x ``height`` with EXIF orientation 6 (shown rotated), a GPS position,
    a camera name, an XMP packet, an ICC profile and a comment: everything a phone leaks."""
    image = textured(width, height)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    exif[0x010F] = "LeakyPhone"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x8825] = {1: "N", 2: GPS_LATITUDE, 3: "E", 4: (4.0, 53.0, 2.0)}  # GPS IFD
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><exif:GPSLatitude>52,22N</exif:GPSLatitude>' \
          b"</rdf:RDF></x:xmpmeta>"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif.tobytes(), icc_profile=icc, xmp=xmp,
               comment=b"shot at home")
    return buffer.getvalue()


def jpeg_upright(width: int = 4000, height: int = 3000, *, quality: int = 90) -> bytes:
    """An upright camera-like JPEG (orientation 1) with EXIF, GPS and a comment, 12 MP by default."""
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010F] = "LeakyPhone"
    exif[0x8825] = {1: "N", 2: GPS_LATITUDE, 3: "E", 4: (4.0, 53.0, 2.0)}
    buffer = io.BytesIO()
    textured(width, height).save(buffer, format="JPEG", quality=quality, exif=exif.tobytes(),
                                 comment=b"shot at home")
    return buffer.getvalue()


def png_with_alpha(width: int = 800, height: int = 600) -> bytes:
    """An RGBA PNG whose left half is fully transparent, with a text chunk and an EXIF chunk."""
    from PIL import PngImagePlugin

    image = textured(width, height).convert("RGBA")
    alpha = Image.new("L", (width, height), 255)
    ImageDraw.Draw(alpha).rectangle([0, 0, width // 2, height], fill=0)
    image.putalpha(alpha)
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "52.22N 4.53E")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: GPS_LATITUDE}
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, exif=exif.tobytes())
    return buffer.getvalue()


def animated_gif(width: int = 300, height: int = 200, frames: int = 4) -> bytes:
    """An animated GIF: a red first frame, then others (the still variants show the red one)."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    images = [Image.new("RGB", (width, height), colours[i % len(colours)]) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=100, loop=0,
                   comment=b"made at 52.22N 4.53E")
    return buffer.getvalue()


def webp(width: int = 1600, height: int = 1000, *, animated: bool = False) -> bytes:
    """A WebP photo with EXIF and XMP (or a three-frame animation, blue first)."""
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: GPS_LATITUDE}
    if animated:
        frames = [Image.new("RGB", (width, height), c) for c in ((0, 0, 255), (0, 255, 0), (255, 0, 0))]
        frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:], duration=100,
                       exif=exif.tobytes())
    else:
        textured(width, height).save(buffer, format="WEBP", quality=85, exif=exif.tobytes(),
                                     xmp=b"<x:xmpmeta>52.22N</x:xmpmeta>")
    return buffer.getvalue()


def heic(width: int = 1024, height: int = 768, *, orientation: int = 1) -> bytes:
    """A HEIC photo (HEVC-coded, as iPhones write) with EXIF carrying GPS; an orientation other
    than 1 is written as HEIF's own rotation (irot), which the decoder applies."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: GPS_LATITUDE}
    buffer = io.BytesIO()
    textured(width, height).save(buffer, format="HEIF", quality=80, exif=exif.tobytes())
    return buffer.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` zero pixels: some 50 KB that decode to 400 MB in RGB."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = bytes(1 + (width + 7) // 8)  # filter byte, then the row's packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zip_file() -> bytes:
    """A ZIP archive (what a "PNG" that is not one often is)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not an image " * 100)
    return buffer.getvalue()


def mp4(seconds: float = 2.0, width: int = 1440, height: int = 1080, fps: int = 12) -> bytes:
    """An H.264 + AAC MP4 of ``seconds``: a moving bar over a gradient and a 440 Hz tone."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = container.add_stream("aac", rate=44100)
        audio.layout = "mono"
        background = textured(width, height)
        for index in range(round(seconds * fps)):
            picture = background.copy()
            x = index * width // max(1, round(seconds * fps))
            ImageDraw.Draw(picture).rectangle([x, 0, x + width // 10, height], fill=(255, 255, 255))
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        samples_per_frame, rate = 1024, 44100
        for start in range(0, round(seconds * rate), samples_per_frame):
            tone = b"".join(struct.pack("<f", 0.3 * math.sin(2 * math.pi * 440 * (start + i) / rate))
                            for i in range(samples_per_frame))
            sound = av.AudioFrame(format="flt", layout="mono", samples=samples_per_frame)
            sound.planes[0].update(tone)
            sound.sample_rate = rate
            sound.pts = start
            container.mux(audio.encode(sound))
        container.mux(audio.encode(None))
    return buffer.getvalue()


def turned_mp4() -> bytes:
    """A 320 x 240 MP4 (blue left half, red right half) whose track matrix says: show it turned 90
    degrees clockwise, as phones record portrait video (blue on top once turned)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        for _ in range(10):
            picture = Image.new("RGB", (320, 240), (255, 0, 0))
            picture.paste((0, 0, 255), (0, 0, 160, 240))
            container.mux(video.encode(av.VideoFrame.from_image(picture)))  # type: ignore[no-untyped-call]
        container.mux(video.encode(None))
    data = bytearray(buffer.getvalue())
    # tkhd (version 0): size/type, version+flags, 5 x 4 bytes of times and ids, 8 reserved, 4 x 2 of
    # layer/group/volume/reserved, then the 3 x 3 matrix (16.16 fixed, last column 2.30)
    matrix = data.find(b"tkhd") + 4 + 4 + 20 + 8 + 8
    data[matrix:matrix + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    return bytes(data)
