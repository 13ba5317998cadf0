"""The first crafted set (one hiding place each for the plain metadata of every container)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import numpy as np
from PIL import Image

from . import Case, icc_with, picture
from . import case as _register

#: class of issue 13 of each case of this module (1 ICC, 2 coded streams, 3 side structures,
#: 4 unreferenced bytes, 5 allow-listed structures with extra bytes, 6 covert channels)
CLASS = {
    "jpeg-icc-desc": 1, "png-iccp-name": 1, "png-iccp-desc": 1, "gif-icc": 1, "webp-iccp": 1,
    "tiff-icc": 1, "heic-icc": 1,
    "mp4-x264-banner": 2, "mov-mjpeg-com": 2, "mkv-x264-banner": 2, "avi-x264-banner": 2,
    "avi-mjpeg-com": 2,
    "jpeg-after-eoi": 4, "png-after-iend": 4, "gif-after-trailer": 4, "webp-after-riff": 4,
    "tiff-after-data": 4, "heic-after-last-box": 4, "mp4-unreferenced-mdat": 4,
    "mkv-after-end": 4, "png-after-zlib": 4, "webp-after-bitstream": 4,
    "jpeg-adobe-extra": 5, "jpeg-jfif-extra": 5, "png-gama-extra": 5, "png-phys-extra": 5,
    "gif-gce-extra": 5, "gif-netscape-extra": 5, "tiff-jpegtables-uncalled": 5,
    "jpeg-spare-dqt": 6, "tiff-two-pages": 6,
}


def case(fn):  # type: ignore[no-untyped-def]
    """Register ``fn`` with each of its cases labelled by CLASS (3 when not listed)."""
    def labelled() -> Iterator[Case]:
        for name, data, markers in fn():
            yield Case(name, data, markers, CLASS.get(name, 3))
    labelled.__name__ = fn.__name__
    return _register(labelled)


# -- JPEG -----------------------------------------------------------------------------------

def _jpeg(**kw: object) -> bytes:
    out = io.BytesIO()
    picture().save(out, "JPEG", quality=90, **kw)
    return out.getvalue()


def _seg(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def _before_sos(jpeg: bytes, *segments: bytes) -> bytes:
    sos = jpeg.index(b"\xff\xda")
    return jpeg[:sos] + b"".join(segments) + jpeg[sos:]


@case
def jpeg_cases() -> Iterator[Case]:
    import piexif

    exif = piexif.dump({"0th": {piexif.ImageIFD.Artist: b"RT_JPG_ARTIST"},
                        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N",
                                piexif.GPSIFD.GPSLatitude: ((43, 1), (28, 1), (1, 1))}})
    yield "jpeg-exif-artist", _jpeg(exif=exif), ["RT_JPG_ARTIST"]
    yield "jpeg-icc-desc", _jpeg(icc_profile=icc_with("RT_JPG_ICC Jane's MacBook")), ["RT_JPG_ICC"]
    yield "jpeg-com", _jpeg(comment=b"RT_JPG_COM"), ["RT_JPG_COM"]
    yield "jpeg-app5-vendor", _after_soi(_jpeg(), _seg(0xE5, b"VENDOR\0RT_JPG_APP5")), ["RT_JPG_APP5"]
    yield "jpeg-after-eoi", _jpeg() + b"RT_JPG_TRAILER", ["RT_JPG_TRAILER"]
    adobe = b"Adobe" + bytes([0, 100, 0, 0, 0, 0, 1]) + b"RT_JPG_ADOBE"
    yield "jpeg-adobe-extra", _after_soi(_jpeg(), _seg(0xEE, adobe)), ["RT_JPG_ADOBE"]
    jfif = b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"RT_JPG_JFIF"
    base = _jpeg()
    app0 = base.index(b"\xff\xe0")
    length = int.from_bytes(base[app0 + 2 : app0 + 4], "big")
    yield ("jpeg-jfif-extra", base[:app0] + _seg(0xE0, jfif) + base[app0 + 2 + length :],
           ["RT_JPG_JFIF"])
    spare = bytes([3]) + b"RT_JPG_DQT_SPARE".ljust(64, b"_")  # table 3: no component uses it
    yield "jpeg-spare-dqt", _before_sos(_jpeg(), _seg(0xDB, spare)), ["RT_JPG_DQT_SPARE"]
    yield "jpeg-xmp", _after_soi(_jpeg(), _seg(0xE1, b"http://ns.adobe.com/xap/1.0/\0"
                                                + b"<x:xmpmeta>RT_JPG_XMP</x:xmpmeta>")), ["RT_JPG_XMP"]
    irb = b"Photoshop 3.0\0" + b"8BIM\x04\x04\0\0" + struct.pack(">I", 14) + b"RT_JPG_IPTC___"
    yield "jpeg-app13", _after_soi(_jpeg(), _seg(0xED, irb)), ["RT_JPG_IPTC"]


# -- PNG ------------------------------------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(**kw: object) -> bytes:
    out = io.BytesIO()
    picture().save(out, "PNG", **kw)
    return out.getvalue()


def _insert(png: bytes, *chunks: bytes, before: bytes = b"IDAT") -> bytes:
    pos = png.index(before) - 4
    return png[:pos] + b"".join(chunks) + png[pos:]


@case
def png_cases() -> Iterator[Case]:
    yield "png-text", _insert(_png(), _chunk(b"tEXt", b"Author\0RT_PNG_TEXT")), ["RT_PNG_TEXT"]
    yield ("png-ztxt", _insert(_png(), _chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"RT_PNG_ZTXT"))),
           ["RT_PNG_ZTXT"])
    yield ("png-iccp-name", _insert(_png(), _chunk(b"iCCP", b"RT_PNG_ICCNAME\0\0"
                                                   + zlib.compress(icc_with("sRGB")))),
           ["RT_PNG_ICCNAME"])
    yield ("png-iccp-desc", _insert(_png(), _chunk(b"iCCP", b"ICC profile\0\0"
                                                   + zlib.compress(icc_with("RT_PNG_ICCDESC")))),
           ["RT_PNG_ICCDESC"])
    yield "png-private-chunk", _insert(_png(), _chunk(b"prVt", b"RT_PNG_PRIVATE")), ["RT_PNG_PRIVATE"]
    yield ("png-gama-extra", _insert(_png(), _chunk(b"gAMA", struct.pack(">I", 45455) + b"RT_PNG_GAMA")),
           ["RT_PNG_GAMA"])
    yield ("png-phys-extra", _insert(_png(), _chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1)
                                                    + b"RT_PNG_PHYS")), ["RT_PNG_PHYS"])
    yield "png-after-iend", _png() + b"RT_PNG_TRAILER", ["RT_PNG_TRAILER"]
    png = _png()
    idat = png.index(b"IDAT") - 4
    length = int.from_bytes(png[idat : idat + 4], "big")
    data = png[idat + 8 : idat + 8 + length] + b"RT_PNG_AFTERZLIB"
    yield ("png-after-zlib", png[:idat] + _chunk(b"IDAT", data) + png[idat + 12 + length :],
           ["RT_PNG_AFTERZLIB"])
    yield ("png-splt-name", _insert(_png(), _chunk(b"sPLT", b"RT_PNG_SPLT\0\x08" + bytes(6))),
           ["RT_PNG_SPLT"])
    yield "png-exif-chunk", _insert(_png(), _chunk(b"eXIf", b"MM\0*\0\0\0\x08RT_PNG_EXIF")), ["RT_PNG_EXIF"]


# -- GIF ------------------------------------------------------------------------------------

def _gif() -> bytes:
    out = io.BytesIO()
    picture().convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(out, "GIF")
    return out.getvalue()


def _subblocks(data: bytes) -> bytes:
    return b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255]
                    for i in range(0, len(data), 255)) + b"\0"


def _gif_insert(gif: bytes, block: bytes) -> bytes:
    pos = gif.index(b"\x2c")  # first image descriptor (after header and colour table)
    return gif[:pos] + block + gif[pos:]


@case
def gif_cases() -> Iterator[Case]:
    yield "gif-comment", _gif_insert(_gif(), b"\x21\xfe" + _subblocks(b"RT_GIF_COMMENT")), ["RT_GIF_COMMENT"]
    yield ("gif-app-ext", _gif_insert(_gif(), b"\x21\xff\x0bVENDORAP1.0" + _subblocks(b"RT_GIF_APP")),
           ["RT_GIF_APP"])
    yield ("gif-icc", _gif_insert(_gif(), b"\x21\xff\x0bICCRGBG1012" + _subblocks(icc_with("RT_GIF_ICC"))),
           ["RT_GIF_ICC"])
    yield "gif-after-trailer", _gif() + b"RT_GIF_TRAILER", ["RT_GIF_TRAILER"]
    gce = b"\x00\x00\x00\x00RT_GIF_GCE_EXTRA"
    yield ("gif-gce-extra", _gif_insert(_gif(), b"\x21\xf9" + bytes([len(gce)]) + gce + b"\x00"),
           ["RT_GIF_GCE_EXTRA"])
    loop = b"\x01\x00\x00RT_GIF_LOOP"
    yield ("gif-netscape-extra", _gif_insert(_gif(), b"\x21\xff\x0bNETSCAPE2.0" + bytes([len(loop)]) + loop
                                             + b"\x00"),
           ["RT_GIF_LOOP"])


# -- WebP -----------------------------------------------------------------------------------

def _riff(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(k + struct.pack("<I", len(d)) + d + (b"\0" if len(d) % 2 else b"")
                    for k, d in chunks)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def _webp_chunks(lossless: bool = True) -> list[tuple[bytes, bytes]]:
    out = io.BytesIO()
    picture().save(out, "WEBP", lossless=lossless)
    data = out.getvalue()
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks.append((kind, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return chunks


def _vp8x(flags: int) -> tuple[bytes, bytes]:
    w, h = 63, 47
    return b"VP8X", bytes([flags, 0, 0, 0]) + w.to_bytes(3, "little") + h.to_bytes(3, "little")


@case
def webp_cases() -> Iterator[Case]:
    img = _webp_chunks()
    yield "webp-exif", _riff([_vp8x(0x08), *img, (b"EXIF", b"MM\0*\0\0\0\x08RT_WEBP_EXIF")]), ["RT_WEBP_EXIF"]
    yield "webp-xmp", _riff([_vp8x(0x04), *img, (b"XMP ", b"<x>RT_WEBP_XMP</x>")]), ["RT_WEBP_XMP"]
    yield "webp-iccp", _riff([_vp8x(0x20), (b"ICCP", icc_with("RT_WEBP_ICC")), *img]), ["RT_WEBP_ICC"]
    yield "webp-unknown-chunk", _riff([_vp8x(0), *img, (b"ZZZZ", b"RT_WEBP_UNKNOWN")]), ["RT_WEBP_UNKNOWN"]
    (kind, data), = img
    yield "webp-after-bitstream", _riff([(kind, data + b"RT_WEBP_TAIL")]), ["RT_WEBP_TAIL"]
    yield "webp-after-riff", _riff(img) + b"RT_WEBP_TRAILER", ["RT_WEBP_TRAILER"]


# -- TIFF -----------------------------------------------------------------------------------

def _tiff(**kw: object) -> bytes:
    out = io.BytesIO()
    picture().save(out, "TIFF", **kw)
    return out.getvalue()


@case
def tiff_cases() -> Iterator[Case]:
    from PIL import TiffImagePlugin

    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[315] = "RT_TIF_ARTIST"
    info[305] = "RT_TIF_SOFTWARE"
    yield "tiff-artist", _tiff(tiffinfo=info), ["RT_TIF_ARTIST", "RT_TIF_SOFTWARE"]
    yield "tiff-icc", _tiff(icc_profile=icc_with("RT_TIF_ICC")), ["RT_TIF_ICC"]
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[700] = b"<x:xmpmeta>RT_TIF_XMP</x:xmpmeta>"
    yield "tiff-xmp", _tiff(tiffinfo=info), ["RT_TIF_XMP"]
    yield "tiff-after-data", _tiff() + b"RT_TIF_TRAILER", ["RT_TIF_TRAILER"]
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[65000] = "RT_TIF_PRIVATE"
    yield "tiff-private-tag", _tiff(tiffinfo=info), ["RT_TIF_PRIVATE"]
    buf = io.BytesIO()
    picture().save(buf, "TIFF", save_all=True, append_images=[picture(16, 12)], compression="raw")
    yield "tiff-two-pages", buf.getvalue(), []
    tif = bytearray(_tiff(compression="tiff_lzw"))
    yield ("tiff-jpegtables-uncalled", _tiff_add_tag(bytes(tif), 347, 7, b"RT_TIF_JPEGTABLES"),
           ["RT_TIF_JPEGTABLES"])


def _tiff_add_tag(tif: bytes, tag: int, typ: int, value: bytes) -> bytes:
    """Append a copy of IFD0 with one extra tag (value stored at the end) and point at it."""
    assert tif[:2] == b"II"
    ifd = struct.unpack_from("<I", tif, 4)[0]
    n = struct.unpack_from("<H", tif, ifd)[0]
    entries = [tif[ifd + 2 + 12 * i : ifd + 14 + 12 * i] for i in range(n)]
    out = bytearray(tif)
    value_at = len(out)
    out += value + bytes(len(value) % 2)
    entries.append(struct.pack("<HHII", tag, typ, len(value), value_at))
    entries.sort(key=lambda e: struct.unpack_from("<H", e)[0])
    new_ifd = len(out)
    out += struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    struct.pack_into("<I", out, 4, new_ifd)
    return bytes(out)


# -- HEIF -----------------------------------------------------------------------------------

@case
def heif_cases() -> Iterator[Case]:
    try:
        import pillow_heif
    except ImportError:
        return
    pillow_heif.register_heif_opener()

    def heic(**kw: object) -> bytes:
        out = io.BytesIO()
        picture().save(out, "HEIF", quality=-1, **kw)
        return out.getvalue()

    import piexif

    exif = piexif.dump({"0th": {piexif.ImageIFD.Artist: b"RT_HEIC_ARTIST"}})
    yield "heic-exif", heic(exif=exif), ["RT_HEIC_ARTIST"]
    yield "heic-xmp", heic(xmp=b"<x:xmpmeta>RT_HEIC_XMP</x:xmpmeta>"), ["RT_HEIC_XMP"]
    yield "heic-icc", heic(icc_profile=icc_with("RT_HEIC_ICC")), ["RT_HEIC_ICC"]
    uuid = struct.pack(">I", 32) + b"uuid" + bytes(16) + b"RT_HEIC_UU"
    yield "heic-uuid-box", heic() + uuid, ["RT_HEIC_UU"]
    yield "heic-after-last-box", heic() + b"RT_HEIC_TRAILER", ["RT_HEIC_TRAILER"]


# -- video ----------------------------------------------------------------------------------

def _video(fmt: str, codec: str = "libx264", metadata: dict[str, str] | None = None,
           frames: int = 12) -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        for k, v in (metadata or {}).items():
            out.metadata[k] = v
        stream = out.add_stream(codec, rate=12)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        for i in range(frames):
            arr = np.asarray(picture()).copy()
            arr[:, : i * 4] = 0
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def _mp4_grow_mdat(mp4: bytes, extra: bytes) -> bytes:
    """Append ``extra`` inside the last box when it is mdat (bytes no sample references)."""
    pos, last = 0, None
    while pos + 8 <= len(mp4):
        size, kind = struct.unpack_from(">I4s", mp4, pos)
        last = (pos, size, kind)
        pos += size
    assert last is not None
    at, size, kind = last
    if kind != b"mdat":
        return mp4 + struct.pack(">I", 8 + len(extra)) + b"mdat" + extra
    out = bytearray(mp4 + extra)
    struct.pack_into(">I", out, at, size + len(extra))
    return bytes(out)


@case
def video_cases() -> Iterator[Case]:
    try:
        import av  # noqa: F401
    except ImportError:
        return
    yield "mp4-title", _video("mp4", metadata={"title": "RT_MP4_TITLE", "artist": "RT_MP4_ARTIST"}), \
        ["RT_MP4_TITLE", "RT_MP4_ARTIST"]
    yield "mp4-x264-banner", _video("mp4"), ["x264 - core"]
    yield "mp4-unreferenced-mdat", _mp4_grow_mdat(_video("mp4"), b"RT_MP4_GPSLOG" * 8), ["RT_MP4_GPSLOG"]
    yield ("mp4-uuid-box", _video("mp4") + struct.pack(">I", 34) + b"uuid" + bytes(16) + b"RT_MP4_UUID_",
           ["RT_MP4_UUID"])
    yield "mov-mjpeg-com", _mjpeg_with_com("mov"), ["RT_MJPEG_COM"]
    yield "mkv-title", _video("matroska", metadata={"title": "RT_MKV_TITLE"}), ["RT_MKV_TITLE"]
    yield "mkv-x264-banner", _video("matroska"), ["x264 - core"]
    yield "mkv-after-end", _video("matroska") + b"RT_MKV_TRAILER", ["RT_MKV_TRAILER"]
    yield "avi-x264-banner", _video("avi"), ["x264 - core"]
    yield "avi-title", _video("avi", metadata={"title": "RT_AVI_TITLE"}), ["RT_AVI_TITLE"]
    yield "avi-mjpeg-com", _mjpeg_with_com("avi"), ["RT_MJPEG_COM"]


def _mjpeg_with_com(fmt: str) -> bytes:
    """Motion-JPEG whose every frame carries a COM segment (old cameras, dashcams)."""
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream("mjpeg", rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        from fractions import Fraction

        stream.time_base = Fraction(1, 12)
        for i in range(6):
            im = picture()
            jpg = io.BytesIO()
            im.save(jpg, "JPEG", comment=b"RT_MJPEG_COM", quality=90)
            data = jpg.getvalue()
            packet = av.Packet(data)
            packet.stream = stream
            packet.pts = packet.dts = i
            packet.time_base = Fraction(1, 12)
            out.mux(packet)
    return buf.getvalue()
