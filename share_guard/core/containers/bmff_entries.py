"""Sample descriptions (``stsd`` entries) and decoder configurations, field by field.

A sample entry names a track's codec and carries what its decoder needs (``avcC``,
``hvcC``, ``esds``...) beside presentation boxes (``colr``, ``pasp``, ``btrt``...). It is
also a place to hide things: the vendor and compressor name fields, an ICC profile, an
XMP ``uuid`` box, SEI NAL units inside the parameter-set arrays, ``Lavc`` user data in an
MPEG-4 Visual configuration, a FLAC ``VORBIS_COMMENT`` block. :func:`describe` gives an
entry's codec, how its samples are scrubbed, the layout of every kept field (see
:mod:`bmff_layout`), and the child boxes that are not kept (they become ``free``).

Tracks are judged by this codec, not by their handler: a text track under a video
handler is a text track.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from share_guard.core.containers import aac, nal, obu
from share_guard.core.containers.bmff_boxes import Box, Buffer, Counter, parse_children
from share_guard.core.containers.bmff_layout import L, Layout, P, Seg, W, Z, segments
from share_guard.core.containers.bmff_numbers import bounded, clap, dolby_vision, mdcv
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message

#: video codecs kept, and how their samples are scrubbed ("" = copied as coded data)
VIDEO_CODECS: dict[bytes, str] = {
    **dict.fromkeys((b"avc1", b"avc2", b"avc3", b"avc4", b"dva1", b"dvav"), nal.H264),
    **dict.fromkeys((b"hvc1", b"hev1", b"dvh1", b"dvhe"), nal.HEVC),
    b"mp4v": "mp4v", b"jpeg": "jpeg", b"mjpa": "jpeg", b"av01": "av1",
    **dict.fromkeys((b"vp08", b"vp09", b"s263", b"h263", b"apch", b"apcn", b"apcs", b"apco",
                     b"ap4h", b"ap4x", b"AVdn", b"AVdh", b"raw ", b"2vuy", b"yuv2", b"v210",
                     b"CFHD", b"vvc1", b"vvi1"), ""),
}
AUDIO_CODECS = frozenset({
    b"mp4a", b"ac-3", b"ec-3", b"ac-4", b"Opus", b"fLaC", b"alac", b"samr", b"sawb", b"sawp",
    b"sevc", b"sqcp", b"lpcm", b"sowt", b"twos", b"in24", b"in32", b"fl32", b"fl64", b"ipcm",
    b"fpcm", b"raw ", b"ulaw", b"alaw", b"ima4", b".mp3", b"mp3 ", b"ms\x00U", b"dtsc", b"dtsh",
    b"dtsl", b"dtse", b"mha1", b"mhm1", b"NONE",
})
#: entries whose samples are text or data, never pictures or sound: the track is removed
TEXT_ENTRIES = frozenset({b"tx3g", b"text", b"wvtt", b"stpp", b"c608", b"c708", b"sbtt",
                          b"stxt", b"dfxp", b"urim", b"rtp ", b"srtp", b"fdp ", b"mp4s"})
#: formats refused with a reason (in-band data we cannot scrub)
REFUSED_CODECS = {
    **dict.fromkeys((b"dvc ", b"dvcp", b"dvpp", b"dv5n", b"dv5p", b"dvh5", b"dvh6", b"dvhp",
                     b"dvhq"), N_("DV video keeps the recording date inside every frame")),
    b"mjpb": N_("Motion-JPEG format B frames cannot be scrubbed"),
    **dict.fromkeys((b"encv", b"enca", b"drmi", b"drms"), N_("the track is encrypted")),
}
VISUAL_HEADER, AUDIO_HEADER = 78, 28
#: MPEG-4 object types of AAC (MPEG-4 AAC, MPEG-2 AAC main/LC/SSR)
AAC_OBJECTS = frozenset({0x40, 0x66, 0x67, 0x68})
#: compressor names a decoder reads (kept as they are); every other name is blanked
NEUTRAL_COMPRESSORS = (b"Sorenson H263", b"Planar Y'CbCr 8-bit 4:2:0")
#: harmless decoder hints in MPEG-4 Visual user data that decoders act on
_MP4V_KEEP = re.compile(rb"^(DivX\d+(Build\d+|b\d+)p?|XviD\d+)$")
_PRINTABLE = re.compile(rb"[\x20-\x7e]{8,}")


@dataclass
class Entry:
    """One sample description: its codec and how to keep it."""

    box: Box
    codec: bytes
    kind: str  # "video" | "audio" | "text" | "refused" | "unknown"
    scrub: str = ""  # nal.H264 | nal.HEVC | "mp4v" | "jpeg" | "" (coded data kept)
    length_size: int = 4
    segs: list[Seg] = field(default_factory=list)
    #: child boxes not kept (XMP 'uuid', unknown vendor boxes): they become 'free'
    drop: list[Box] = field(default_factory=list)
    #: what the entry carried that is removed or neutralised (plain words)
    notes: list[str] = field(default_factory=list)
    reason: str = ""
    #: the compressor name as written (reported before it is blanked)
    compressor: str = ""


def codec_kind(codec: bytes, handler: bytes) -> str:
    if codec in REFUSED_CODECS:
        return "refused"
    if codec in TEXT_ENTRIES:
        return "text"
    if codec in VIDEO_CODECS and handler not in (b"soun",):
        return "video"
    if codec in AUDIO_CODECS and handler not in (b"vide", b"pict", b"auxv"):
        return "audio"
    return "unknown"


def describe(buf: Buffer, box: Box, handler: bytes) -> Entry:
    """Parse one sample entry; layouts for kept entries, raising CorruptFile when malformed."""
    entry = Entry(box, box.type, codec_kind(box.type, handler))
    if entry.kind == "refused":
        entry.reason = REFUSED_CODECS[box.type]
        return entry
    if entry.kind not in ("video", "audio"):
        return entry
    entry.scrub = VIDEO_CODECS.get(box.type, "") if entry.kind == "video" else ""
    b = L(buf, box)
    (_visual if entry.kind == "video" else _audio)(b, entry)
    kids = Box(box.type, b.pos - 8, 8, box.end - b.pos + 8, box.depth)
    parse_children(buf, kids, Counter(10_000), skip=0, containers={b"wave": 0})
    entry.segs = b.segs
    for child in kids.children:
        _child(buf, child, entry)
    entry.segs.extend(_slack(b, kids))
    return entry


def _slack(b: L, kids: Box) -> list[Seg]:
    end = kids.children[-1].end if kids.children else b.pos
    return [Seg(end, b.box.end, Z)] if end < b.box.end else []


def _visual(b: L, entry: Entry) -> None:
    b.z(6)
    b.w(2)  # data reference index
    b.z(16)  # version, revision, vendor, temporal and spatial quality
    b.w(4)  # width, height
    b.want(b"\x00\x48\x00\x00" * 2)  # resolution: 72 dpi, the value every writer uses
    b.z(4)
    b.w(2)  # frame count
    raw = b.buf.get(b.pos, 32)
    name = raw[1 : 1 + min(raw[0], 31)]
    entry.compressor = name.decode("utf-8", "replace").strip("\x00 ")
    if name in NEUTRAL_COMPRESSORS and not any(raw[1 + len(name):]):
        b.w(32)
    else:
        b.z(32)
    b.w(4)  # depth, colour table


def _audio(b: L, entry: Entry) -> None:
    b.z(6)
    b.w(2)
    version = b.uint(2)
    b.z(6)  # revision, vendor
    b.w(12)
    if version == 1:
        b.w(16)
    elif version == 2:
        b.w(36)
    elif version != 0:
        raise CorruptFile(message(N_("a sound description of an unknown version {version}"), version=version))


def _child(buf: Buffer, child: Box, entry: Entry) -> None:
    layout = CHILD_LAYOUTS.get(child.type)
    if child.type == b"wave":
        entry.segs.append(Seg(child.start, child.payload_start, W))
        for sub in child.children:
            _child(buf, sub, entry)
        end = child.children[-1].end if child.children else child.payload_start
        if end < child.end:
            entry.segs.append(Seg(end, child.end, Z))
        return
    if child.type in (b"avcC", b"hvcC"):
        codec = nal.H264 if child.type == b"avcC" else nal.HEVC
        b = L(buf, child)
        entry.length_size = (avcc if codec == nal.H264 else hvcc)(b, entry.notes)
        entry.segs.extend(b.rest())
        return
    if child.type == b"esds":
        b = L(buf, child)
        _esds(b, entry)
        entry.segs.extend(b.rest())
        return
    if layout is None:
        entry.drop.append(child)
        return
    try:
        entry.segs.extend(segments(buf, child, layout))
    except CorruptFile:
        entry.drop.append(child)  # a presentation box we cannot vouch for is not kept


# -- decoder configurations ---------------------------------------------------------------

def nal_segment(b: L, codec: str, n: int, notes: list[str],
                chroma: dict[int, int] | None = None) -> None:
    """A NAL unit of ``n`` bytes: coded data, or filler when it carries anything else (an
    H.264 parameter set with bytes after its fields: those bytes zeroed)."""
    data = b.buf.get(b.pos, n)
    why = nal.verdict(codec, data)
    if not why:
        fixed = nal.tidy(codec, data, {} if chroma is None else chroma)
        if fixed is None:
            b.p(n)
            return
        if nal.PS_TAIL not in notes:
            notes.append(nal.PS_TAIL)
        b.want(fixed)
        return
    text = _PRINTABLE.search(data)
    note = f"{why}: {text.group().decode('ascii')[:100]}" if text else why
    if note not in notes:
        notes.append(note)
    size_ok = n > nal.header_size(codec)
    b.want(nal.filler(codec, n) if size_ok else bytes(n))


def avcc(b: L, notes: list[str]) -> int:
    b.want(b"\x01")
    profile = b.buf.u8(b.pos)
    b.w(3)
    size = b.buf.u8(b.pos)
    b.want(bytes([0xFC | (size & 3)]))
    chroma: dict[int, int] = {}
    for mask in (0xE0, 0x00):  # SPS count (3 reserved bits), PPS count
        count = b.buf.u8(b.pos)
        b.want(bytes([mask | (count & 0x1F if mask else count)]))
        for _ in range(count & 0x1F if mask else count):
            nal_segment(b, nal.H264, b.uint(2), notes, chroma)
    if profile in (100, 110, 122, 144) and b.left >= 4:
        for mask in (0xFC, 0xF8, 0xF8):
            value = b.buf.u8(b.pos)
            b.want(bytes([mask | value]))
        for _ in range(b.uint(1)):
            nal_segment(b, nal.H264, b.uint(2), notes, chroma)
    return (size & 3) + 1


def hvcc(b: L, notes: list[str]) -> int:
    b.want(b"\x01")
    b.want(nal.hevc_profile(b.buf.get(b.pos, 11)))
    b.w(1)  # level
    # reserved bits as the specification writes them (all 1), around the segmentation,
    # parallelism, chroma format and bit depths; the average frame rate 0, "not given"
    # (nothing decodes by it; a red team spelled text in these nine bytes)
    f = b.buf.get(b.pos, 6)
    b.want(bytes([f[0] | 0xF0, f[1], f[2] | 0xFC, f[3] | 0xFC, f[4] | 0xF8, f[5] | 0xF8]))
    b.want(b"\0\0")
    size = b.buf.u8(b.pos)
    b.w(1)
    for _ in range(b.uint(1)):
        b.w(1)  # array completeness and NAL unit type
        for _ in range(b.uint(2)):
            nal_segment(b, nal.HEVC, b.uint(2), notes)
    return (size & 3) + 1


def _descriptor(b: L) -> tuple[int, int]:
    """A descriptor's tag and payload size (the size in 1-4 bytes of 7 bits)."""
    tag = b.uint(1)
    size = 0
    for _ in range(4):
        byte = b.uint(1)
        size = (size << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    if size > b.left:
        raise CorruptFile(N_("a descriptor larger than its 'esds' box"))
    return tag, size


def _esds(b: L, entry: Entry) -> None:
    b.vf()
    tag, size = _descriptor(b)
    if tag != 3:
        raise CorruptFile(N_("an 'esds' box without an elementary stream descriptor"))
    end = b.pos + size
    b.w(2)
    flags = b.uint(1)
    if flags & 0x80:
        b.w(2)
    if flags & 0x40:  # a URL naming where the stream lives: blanked
        b.z(b.uint(1))
        entry.notes.append("a stream URL")
    if flags & 0x20:
        b.w(2)
    while b.pos < end:
        at = b.pos
        tag, size = _descriptor(b)
        if tag == 4:
            _decoder_config(b, size, entry)
        elif tag == 6:
            b.w(size)
        else:
            b.rewind(at)
            b.z(end - at)  # other descriptors (IPI, language, QoS...) are not kept


def _decoder_config(b: L, size: int, entry: Entry) -> None:
    end = b.pos + size
    object_type = b.buf.u8(b.pos)
    b.w(13)
    while b.pos < end:
        at = b.pos
        tag, n = _descriptor(b)
        if tag == 5 and object_type == 0x20:
            b.segs.extend(mp4v_segments(b.buf.get(b.pos, n), b.pos, entry.notes))
            b.pos += n
        elif tag == 5 and object_type in AAC_OBJECTS:
            used = aac.config_length(b.buf.get(b.pos, n)) or n
            b.p(min(used, n))
            b.z(n - min(used, n))  # bytes after the configuration: no decoder reads them
            entry.scrub = "aac"
        elif tag == 5:
            b.p(n)
        else:
            b.rewind(at)
            b.z(end - at)


def mp4v_segments(data: bytes, base: int, notes: list[str] | None = None) -> list[Seg]:
    """MPEG-4 Visual data (a configuration or a frame): coded data, with the bytes of every
    user-data field (start code 0x000001B2: encoder banners such as "Lavc58.134.100")
    overwritten by 0xFF, which no start code can contain; a decoder skips user data."""
    out: list[Seg] = []
    pos = 0
    at = data.find(b"\x00\x00\x01\xb2")
    while at >= 0:
        start = at + 4
        nxt = data.find(b"\x00\x00\x01", start)
        stop = len(data) if nxt < 0 else nxt
        body = data[start:stop]
        if start > pos:
            out.append(Seg(base + pos, base + start, P))
        if _MP4V_KEEP.match(body.rstrip(b"\x00")):
            out.append(Seg(base + start, base + stop, P))
        elif stop > start:
            if notes is not None and any(c != 0xFF for c in body):
                text = body.split(b"\x00", 1)[0][:60].decode("latin-1")
                if text not in notes:
                    notes.append(f"user data: {text}")
            out.append(Seg(base + start, base + stop, W, b"\xff" * (stop - start)))
        pos = stop
        at = data.find(b"\x00\x00\x01\xb2", stop)
    if pos < len(data):
        out.append(Seg(base + pos, base + len(data), P))
    return out


# -- presentation boxes inside sample entries ----------------------------------------------

def colr(b: L) -> None:
    kind = b.buf.get(b.pos, 4)
    b.w(4)
    if kind == b"nclx":
        b.w(6)
        b.want(bytes([b.buf.u8(b.pos) & 0x80]))
    elif kind == b"nclc":
        b.w(6)
    elif kind in (b"prof", b"rICC"):
        b.icc(b.left)
    else:
        raise CorruptFile(N_("a colour description of an unknown kind"))


def _fixed(n: int, full: bool = False) -> Layout:
    def layout(b: L) -> None:
        if full:
            b.vf()
        b.w(n)
    return layout


def _vpcc(b: L) -> None:
    b.vf((1,))
    b.w(6)
    b.want(b"\0\0")  # codec initialisation data: none for VP8/VP9


def av1c(b: L) -> None:
    b.want(bytes([0x81]))
    b.w(3)
    end = b.box.end

    def read(pos: int, n: int) -> bytes:
        return b.buf.get(pos, min(n, end - pos))

    try:  # configuration OBUs: sequence headers kept, metadata made blank padding
        for start, payload, stop, kind in list(obu.units(read, b.pos, end)):
            if obu.verdict(read, payload, stop, kind):
                first = b.buf.u8(start)
                b.want(bytes([(first & 0x87) | (obu.PADDING << 3)]))
                b.w(payload - start - 1)
                b.z(stop - payload)
            else:
                b.p(stop - start)
    except obu.ObuError as exc:
        raise CorruptFile(str(exc)) from None


def _dops(b: L) -> None:
    b.w(10)
    family = b.uint(1)
    if family:
        channels = b.buf.u8(b.box.payload_start + 1)
        b.w(2 + channels)


def _chan(b: L) -> None:
    b.vf()
    b.w(8)
    b.table(b.uint(4), 20)


def _dfla(b: L) -> None:
    """FLAC metadata blocks: STREAMINFO kept; any other block (a VORBIS_COMMENT holds tags and
    the encoder's name) becomes a PADDING block of the same size, all zeros."""
    b.vf()
    last = False
    while not last and b.left >= 4:
        head = b.buf.u8(b.pos)
        last = bool(head & 0x80)
        size = int.from_bytes(b.buf.get(b.pos + 1, 3), "big")
        if head & 0x7F == 0:
            b.w(4 + size)
        else:
            b.want(bytes([(head & 0x80) | 1]) + size.to_bytes(3, "big"))
            b.z(size)


def _dec3(b: L) -> None:
    """E-AC-3 configuration: data rate, substreams (3 bytes each, one more with dependent
    substreams), the optional Atmos extension byte pair; nothing after them."""
    head = b.buf.get(b.pos, 2)
    b.w(2)
    for _ in range((head[1] & 7) + 1):
        sub = b.buf.get(b.pos, 3)
        b.w(3)
        if (sub[2] >> 1) & 0xF:  # dependent substreams: their channel locations
            b.w(1)
    if b.left >= 2:
        b.w(2)  # flag_ec3_extension_type_a and complexity_index (Dolby Atmos)


CHILD_LAYOUTS: dict[bytes, Layout] = {
    b"colr": colr, b"pasp": bounded(2, 0xFFFF), b"btrt": bounded(3, 0x1FFFFFFF),
    b"clap": clap,
    b"fiel": _fixed(2), b"gama": _fixed(4), b"mdcv": mdcv, b"clli": _fixed(4),
    b"SmDm": _fixed(24, True), b"CoLL": _fixed(4, True), b"dvcC": dolby_vision,
    b"dvvC": dolby_vision, b"dvwC": dolby_vision, b"av1C": av1c, b"vpcC": _vpcc,
    b"st3d": _fixed(1, True), b"dOps": _dops, b"dac3": _fixed(3), b"dec3": _dec3,
    b"alac": _fixed(24, True), b"chan": _chan, b"dfLa": _dfla, b"frma": _fixed(4),
    b"enda": _fixed(2), b"mp4a": _fixed(4), b"\0\0\0\0": _fixed(0),
    b"free": _fixed(0), b"skip": _fixed(0),
}
