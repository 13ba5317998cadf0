"""Hostile families the mutation corpus does not reach, built in code (issue 19).

Each generator returns the bytes of a file that is valid where a parser looks first and
hostile where it looks next: coded-stream floods (SEI, zero-length and runaway NAL
lengths), HEIF references and extents that point at each other, Matroska lacing that
claims more than the block holds, OpenDML indexes that point at themselves, frame floods
(GIF, APNG ``fcTL``), 65,000 JPEG Huffman tables. ``CANARY`` is planted where it fits: it
must never reach an output.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
from heif_builder import Heif, Item, coded_picture
from jpeg_fixtures import PLANTED, exif_bytes, insert_after_soi, pixels, plain_jpeg, segment
from video_fixtures import plant_in_junk, riff_chunk

from hostile.floods import _png_chunk, ebml, plain_png
from hostile.seeds import avi, mkv

CANARY = "CanaryFamilyValue"


# -- H.264 samples -----------------------------------------------------------------------

def h264_mp4(width: int = 320, height: int = 240, frames: int = 2) -> bytes:
    """A small H.264 MP4 whose first sample is large (noise at quantiser 0)."""
    import av

    buf = io.BytesIO()
    rng = np.random.default_rng(7)
    with av.open(buf, "w", format="mp4") as out:
        out.metadata["artist"] = PLANTED["artist"]
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"qp": "0", "preset": "ultrafast"}
        for _ in range(frames):
            arr = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def _boxes(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    out: dict[bytes, tuple[int, int]] = {}
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size < 8:
            break
        out.setdefault(kind, (pos, pos + size))
        pos += size
    return out


def first_sample(data: bytes) -> tuple[int, int]:
    """(file offset, size) of the first video sample of a one-track MP4."""
    top = _boxes(data, 0, len(data))
    node = top[b"moov"]
    for kind, skip in ((b"trak", 8), (b"mdia", 8), (b"minf", 8), (b"stbl", 8)):
        node = _boxes(data, node[0] + skip, node[1])[kind]
    table = _boxes(data, node[0] + 8, node[1])
    stsz, stco = table[b"stsz"], table[b"stco"]
    size = struct.unpack(">I", data[stsz[0] + 12 : stsz[0] + 16])[0]
    if size == 0:
        size = struct.unpack(">I", data[stsz[0] + 20 : stsz[0] + 24])[0]
    offset = struct.unpack(">I", data[stco[0] + 16 : stco[0] + 20])[0]
    return offset, size


def _with_sample(data: bytes, body: Callable[[int], bytes]) -> bytes:
    offset, size = first_sample(data)
    new = body(size)
    assert len(new) == size
    return data[:offset] + new + data[offset + size :]


def sei_flood_mp4() -> bytes:
    """The first sample made of two-byte SEI NAL units, as many as fit (tens of thousands)."""
    def body(size: int) -> bytes:
        n, rest = divmod(size, 6)
        units = (struct.pack(">I", 2) + b"\x06\x80") * n
        return units[: len(units) - 6] + struct.pack(">I", 2 + rest) + b"\x06" + b"\x80" * (1 + rest) \
            if n else b"\x00" * size
    return _with_sample(h264_mp4(), body)


def zero_nal_lengths_mp4() -> bytes:
    """The first sample all zeros: a NAL length of 0, again and again (a loop that does not
    advance, for a careless reader)."""
    return _with_sample(h264_mp4(), lambda size: b"\x00" * size)


def runaway_nal_length_mp4() -> bytes:
    """NAL lengths far past the sample, and one that wraps to the sample's own start."""
    def body(size: int) -> bytes:
        out = struct.pack(">I", 0xFFFFFFF0) + b"\x65" + struct.pack(">I", 2**31 - 1)
        return (out + b"\x00" * size)[:size]
    return _with_sample(h264_mp4(), body)


# -- HEIF -------------------------------------------------------------------------------

def _heif(items: list[Item], props: list[bytes], refs: list[tuple[bytes, int, list[int]]],
          offsets: Callable[[list[int]], list[int]] | None = None) -> bytes:
    h = Heif(items, props, refs=refs)
    if offsets is None:
        return h.encode()
    data = h.encode()
    meta_old = h._meta([0] * len(items))
    start = data.find(b"mdat") + 4
    natural, pos = [], start
    for item in items:
        natural.append(pos)
        pos += len(item.data)
    meta = h._meta(offsets(natural))
    assert len(meta) == len(meta_old)
    at = data.find(meta_old[:8])
    return data[:at] + meta + data[at + len(meta) :]


def heif_iref_cycles() -> bytes:
    """Derived images and thumbnails that refer to each other in a ring, and to themselves."""
    coded = coded_picture()
    items = [Item(i, b"hvc1", coded.data, props=[(1, True), (2, False)]) for i in (1, 2, 3)]
    items.append(Item(4, b"Exif", b"\x00\x00\x00\x00" + exif_bytes(gps=True, artist=True)[6:]))
    refs = [(b"dimg", 1, [2]), (b"dimg", 2, [3]), (b"dimg", 3, [1]), (b"thmb", 2, [2]),
            (b"auxl", 3, [3, 1]), (b"cdsc", 4, [4, 1]), (b"dimg", 1, [1] * 500)]
    return _heif(items, [coded.hvcc, coded.ispe], refs)


def heif_shared_extents(count: int = 2_000) -> bytes:
    """``count`` items whose extents all point at the same bytes: the primary picture's."""
    coded = coded_picture()
    items = [Item(1, b"hvc1", coded.data, props=[(1, True), (2, False)])]
    items += [Item(i, b"hvc1", coded.data, props=[(1, True), (2, False)])
              for i in range(2, count + 1)]
    return _heif(items, [coded.hvcc, coded.ispe], [(b"thmb", i, [1]) for i in range(2, 40)],
                 offsets=lambda natural: [natural[0]] * len(natural))


def heif_extents_into_meta() -> bytes:
    """The Exif item's extent points back into the meta box (its own iloc entry)."""
    coded = coded_picture()
    items = [Item(1, b"hvc1", coded.data, props=[(1, True), (2, False)]),
             Item(2, b"Exif", b"\x00\x00\x00\x00" + exif_bytes(gps=True)[6:])]
    return _heif(items, [coded.hvcc, coded.ispe], [(b"cdsc", 2, [1])],
                 offsets=lambda natural: [natural[0], 40])


# -- Matroska, AVI ----------------------------------------------------------------------

def _append_to_segment(data: bytes, extra: bytes) -> bytes:
    seg = data.find(b"\x18\x53\x80\x67")
    first = data[seg + 4]
    length = 9 - first.bit_length()
    old = int.from_bytes(data[seg + 4 : seg + 4 + length], "big") & ((1 << (7 * length)) - 1)
    if seg + 4 + length + old != len(data):
        raise ValueError("segment is not last")
    size = bytes([0x01]) + (old + len(extra)).to_bytes(7, "big")
    return data[: seg + 4] + size + data[seg + 4 + length :] + extra


def matroska_lacing_bomb(blocks: int = 2_000) -> bytes:
    """A cluster of SimpleBlocks whose Xiph and EBML lacing claim 255 frames of sizes far
    past the block (and a fixed lacing that does not divide)."""
    xiph = b"\x81\x00\x00\x82" + bytes([254]) + b"\xff" * 2000 + b"\x01"
    ebml_lace = b"\x81\x00\x00\x86" + bytes([254]) + b"\x08\x00\x00\x00\x00\x00\x00\x00" + \
        b"\xbf\xff\xff\xff\xff\xff\xff" * 253
    fixed = b"\x81\x00\x00\x84" + bytes([254]) + b"\x00" * 7
    timecode = ebml(0xE7, b"\x00")
    group = ebml(0xA3, xiph) + ebml(0xA3, ebml_lace) + ebml(0xA3, fixed)
    cluster = ebml(0x1F43B675, timecode + group * (blocks // 3))
    return _append_to_segment(mkv(), cluster)


def avi_indx_loop(entries: int = 200) -> bytes:
    """An OpenDML super index in the stream header whose entries point at itself."""
    data = avi()
    at = data.find(b"JUNK", 200)  # the reserved super-index space libavformat leaves in strl
    header = struct.pack("<HBBI4sIII", 4, 0, 0, entries, b"00dc", 0, 0, 0)
    body = header + struct.pack("<QII", at, 24 + 16 * entries + 8, 1) * entries
    chunk = riff_chunk(b"indx", body)
    return plant_in_junk(data, "AVI/hdrl/strl", chunk)


# -- frame floods, tables ---------------------------------------------------------------

def gif_frame_flood(frames: int = 50_000) -> bytes:
    """A 2x2 GIF of ``frames`` one-pixel frames (25 bytes each), with a comment canary."""
    head = b"GIF89a" + struct.pack("<HHBBB", 2, 2, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    comment = b"\x21\xfe" + bytes([len(CANARY)]) + CANARY.encode() + b"\x00"
    frame = (b"\x21\xf9\x04\x04\x01\x00\x00\x00"  # graphic control: 10 ms
             + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
             + b"\x02\x02\x44\x01\x00")  # LZW: min code size 2, one sub-block
    return head + loop + comment + frame * frames + b"\x3b"


def apng_fctl_flood(frames: int = 100_000) -> bytes:
    """An APNG whose acTL claims ``frames`` frames, each a fcTL with no data, then IDAT."""
    data = plain_png(4, 4)
    at = data.find(b"IDAT") - 4
    actl = _png_chunk(b"acTL", struct.pack(">II", frames, 0))
    fctl = b"".join(_png_chunk(b"fcTL", struct.pack(">IIIIIHHBB", i, 4, 4, 0, 0, 1, 10, 0, 0))
                    for i in range(frames))
    text = _png_chunk(b"tEXt", b"Author\x00" + CANARY.encode())
    return data[:at] + actl + text + fctl + data[at:]


def jpeg_dht_flood(tables: int = 65_000) -> bytes:
    """65,000 DHT segments (one table each) before the frame, with a COM canary."""
    dht = segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
    com = segment(0xFE, CANARY.encode())
    return insert_after_soi(plain_jpeg(pixels(32, 24), exif=exif_bytes(artist=True)),
                            com, *[dht] * tables)


def deflate_png_text_bomb() -> bytes:
    """200 zTXt chunks of 1 MB of zeros each (5 KB compressed): the text budget holds."""
    payload = b"Comment\x00\x00" + zlib.compress(b"\x00" * (1 << 20), 9)
    return plain_png()[:33] + _png_chunk(b"zTXt", payload) * 200 + plain_png()[33:]


FAMILIES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "sei-flood": (".mp4", sei_flood_mp4),
    "nal-zero-lengths": (".mp4", zero_nal_lengths_mp4),
    "nal-runaway-length": (".mp4", runaway_nal_length_mp4),
    "heif-iref-cycles": (".heic", heif_iref_cycles),
    "heif-shared-extents": (".heic", heif_shared_extents),
    "heif-extent-into-meta": (".heic", heif_extents_into_meta),
    "mkv-lacing-bomb": (".mkv", matroska_lacing_bomb),
    "avi-indx-loop": (".avi", avi_indx_loop),
    "gif-frame-flood": (".gif", gif_frame_flood),
    "apng-fctl-flood": (".png", apng_fctl_flood),
    "jpeg-65000-dht": (".jpg", jpeg_dht_flood),
    "png-ztxt-bombs": (".png", deflate_png_text_bomb),
}
