"""Valid seed files of every container share_guard handles, made in code, with planted metadata.

``seeds()`` makes one or more small valid files per container family and maps
each to the handler that ``detect()`` picks for it, so a handler that lands
later is covered as soon as one of these generators produces its container
(ISO-BMFF brands are produced by patching the ``ftyp`` of an MP4).
``missing_handlers()`` names registered handlers no seed reaches.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from fractions import Fraction

import numpy as np
from jpeg_fixtures import PLANTED, exif_bytes, insert_after_soi, iptc_segment, pixels, plain_jpeg, xmp_segment
from PIL import Image, PngImagePlugin

from share_guard.core.containers import all_handlers, detect
from share_guard.core.errors import ShareGuardError

XMP = xmp_segment()[4 + len(b"http://ns.adobe.com/xap/1.0/\x00"):]


def _exif() -> bytes:
    return exif_bytes(gps=True, serial=True, artist=True, dates=True, owner=True)


def jpeg() -> bytes:
    img = pixels(64, 48)
    return insert_after_soi(plain_jpeg(img, exif=_exif()), xmp_segment(), iptc_segment())


def jpeg_thumb() -> bytes:
    from jpeg_fixtures import thumbnail_of

    img = pixels(64, 48, seed=3)
    return plain_jpeg(img, exif=exif_bytes(gps=True, thumbnail=thumbnail_of(img, (32, 24))),
                      progressive=True)


def png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", PLANTED["artist"])
    info.add_text("Comment", PLANTED["comment"], zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    buf = io.BytesIO()
    pixels(32, 24).save(buf, "PNG", pnginfo=info, exif=_exif())
    return buf.getvalue()


def webp() -> bytes:
    buf = io.BytesIO()
    pixels(32, 24).save(buf, "WEBP", lossless=True, exif=_exif(), xmp=XMP)
    return buf.getvalue()


def gif() -> bytes:
    frames = [pixels(32, 24, seed=s).convert("P") for s in (1, 2)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], comment=PLANTED["comment"],
                   loop=0, duration=100)
    return buf.getvalue()


def tiff() -> bytes:
    img = pixels(32, 24)
    exif = img.getexif()
    exif[0x013B] = PLANTED["artist"]
    exif[0x010F] = PLANTED["make"]
    exif[0x0110] = PLANTED["model"]
    exif[0x0132] = PLANTED["date"]
    exif.get_ifd(0x8825).update({1: "N", 2: (Fraction(43), Fraction(28), Fraction(281, 100)),
                                 3: "E", 4: (Fraction(11), Fraction(53), Fraction(646, 100))})
    buf = io.BytesIO()
    img.save(buf, "TIFF", exif=exif, compression="tiff_lzw")
    return buf.getvalue()


def heic() -> bytes:
    import pillow_heif

    img = pixels(64, 48)
    heif = pillow_heif.from_pillow(img)
    buf = io.BytesIO()
    heif.save(buf, quality=50, exif=_exif(), xmp=XMP)
    return buf.getvalue()


def _video(fmt: str, codec: str, *, frames: int = 6, audio: bool = False,
           metadata: dict[str, str] | None = None) -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        out.metadata.update(metadata or {
            "title": PLANTED["comment"], "artist": PLANTED["artist"],
            "location": "+43.4675+011.8851/", "creation_time": "2021-03-04T05:06:07Z",
            "make": PLANTED["make"], "model": PLANTED["model"],
        })
        stream = out.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        if audio:
            astream = out.add_stream("aac", rate=8000)
        for i in range(frames):
            arr = np.asarray(pixels(64, 48, seed=i))
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if audio:
            samples = np.zeros((1, 1024), dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = 8000
            for packet in astream.encode(frame):
                out.mux(packet)
            for packet in astream.encode():
                out.mux(packet)
    return buf.getvalue()


def mp4() -> bytes:
    return _video("mp4", "mpeg4", audio=True)


def mov() -> bytes:
    return _video("mov", "mpeg4")


def mkv() -> bytes:
    return _video("matroska", "mpeg4")


def webm() -> bytes:
    return _video("webm", "libvpx", frames=3)


def avi() -> bytes:
    return _video("avi", "mpeg4")


def with_brand(data: bytes, brand: bytes) -> bytes:
    """The same ISO-BMFF file with another major brand (and it as first compatible brand)."""
    if data[4:8] != b"ftyp":
        return data
    size = struct.unpack(">I", data[:4])[0]
    body = bytearray(data)
    body[8:12] = brand
    if size >= 20:
        body[16:20] = brand
    return bytes(body)


GENERATORS: dict[str, Callable[[], bytes]] = {
    "jpeg": jpeg, "jpeg_thumb": jpeg_thumb, "png": png, "webp": webp, "gif": gif, "tiff": tiff,
    "heic": heic, "mp4": mp4, "mov": mov, "mkv": mkv, "webm": webm, "avi": avi,
}
#: ISO-BMFF brands made by patching an MP4 (3GP, M4V, ...); the handler decides if it fits
BRANDS = (b"3gp4", b"M4V ", b"qt  ", b"isom", b"f4v ")


def seeds() -> dict[str, tuple[str, bytes]]:
    """label -> (handler name, valid bytes), for every generator that works here."""
    out: dict[str, tuple[str, bytes]] = {}
    made: dict[str, bytes] = {}
    for label, make in GENERATORS.items():
        try:
            made[label] = make()
        except Exception:  # noqa: BLE001 - e.g. an encoder missing on this machine
            continue
    if "mp4" in made:
        for brand in BRANDS:
            made[f"mp4_{brand.decode().strip()}"] = with_brand(made["mp4"], brand)
    for label, data in made.items():
        try:
            handler = detect(data[:4096])
        except ShareGuardError:
            continue
        out[label] = (handler.name, data)
    return out


def missing_handlers(found: dict[str, tuple[str, bytes]]) -> list[str]:
    covered = {name for name, _ in found.values()}
    return sorted(h.name for h in all_handlers() if h.name not in covered)


def extension(handler_name: str) -> str:
    for h in all_handlers():
        if h.name == handler_name:
            return h.extensions[0]
    return ".bin"


__all__ = ["GENERATORS", "Image", "extension", "missing_handlers", "seeds", "with_brand"]
