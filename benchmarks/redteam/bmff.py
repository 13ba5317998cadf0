"""MP4 / MOV / 3GP / M4V: a box tree editor of its own (sample offsets kept right), tracks
built from scratch (telemetry, timecode, text, timed metadata), and coded samples edited
in place (the NAL units, AAC elements and OBUs a decoder skips)."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

from . import Case, case, icc_marker, icc_variant, picture
from .jpeg import jpeg, scan_ends, seg

#: container boxes and the bytes before their children
PREFIX = {b"moov": 0, b"trak": 0, b"mdia": 0, b"minf": 0, b"stbl": 0, b"udta": 0,
          b"edts": 0, b"dinf": 0, b"mvex": 0, b"moof": 0, b"traf": 0, b"mfra": 0,
          b"gmhd": 0, b"dref": 8, b"stsd": 8, b"avc1": 78, b"hvc1": 78, b"hev1": 78,
          b"mp4v": 78, b"jpeg": 78, b"mp4a": 28, b"av01": 78, b"fLaC": 28, b"Opus": 28,
          b"wave": 0}


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full(kind: bytes, version: int, flags: int, payload: bytes = b"") -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


@dataclass
class Node:
    type: bytes
    payload: bytes = b""
    children: list[Node] | None = None
    prefix: bytes = b""

    def encode(self) -> bytes:
        if self.children is None:
            return box(self.type, self.payload)
        return box(self.type, self.prefix + b"".join(c.encode() for c in self.children))

    def find(self, *path: bytes) -> Node:
        node = self
        for kind in path:
            node = next(c for c in node.children or [] if c.type == kind)
        return node

    def all(self, kind: bytes) -> list[Node]:
        return [c for c in self.children or [] if c.type == kind]


def parse(data: bytes, audio_v1: bool = False) -> list[Node]:
    out, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        size = size or len(data) - pos
        payload = data[pos + 8 : pos + size]
        skip = PREFIX.get(kind)
        if kind == b"mp4a" and len(payload) >= 28 and payload[8:10] == b"\0\1":
            skip = 44  # QuickTime sound description version 1
        if skip is not None and len(payload) >= skip:
            out.append(Node(kind, children=parse(payload[skip:]), prefix=payload[:skip]))
        else:
            out.append(Node(kind, payload))
        pos += size
    return out


@dataclass
class Movie:
    top: list[Node]
    extra_mdat: bytes = b""  # media data of added tracks (a last 'mdat')
    added: list[tuple[Node, list[int]]] = field(default_factory=list)  # stco and offsets

    @classmethod
    def of(cls, data: bytes) -> Movie:
        return cls(parse(data))

    @property
    def moov(self) -> Node:
        return next(n for n in self.top if n.type == b"moov")

    def track(self, handler: bytes) -> Node:
        for trak in self.moov.all(b"trak"):
            if trak.find(b"mdia", b"hdlr").payload[8:12] == handler:
                return trak
        raise KeyError(handler)

    def entry(self, handler: bytes = b"vide") -> Node:
        stsd = self.track(handler).find(b"mdia", b"minf", b"stbl", b"stsd")
        return stsd.children[0]  # type: ignore[index]

    def add_track(self, trak: Node, samples: list[bytes]) -> None:
        """Add ``trak`` whose one chunk of ``samples`` goes into the last mdat."""
        stco = trak.find(b"mdia", b"minf", b"stbl", b"stco")
        self.added.append((stco, [len(self.extra_mdat)]))
        self.extra_mdat += b"".join(samples)
        self.moov.children.insert(len(self.moov.children), trak)  # type: ignore[union-attr]

    def encode(self) -> bytes:
        order = [n.type for n in self.top]
        assert order.index(b"moov") > order.index(b"mdat"), "plant into mdat-first movies"
        for stco, rel in self.added:
            stco.payload = struct.pack(">II", 0, len(rel)) + b"".join(
                struct.pack(">I", 0) for _ in rel)
        head = b"".join(n.encode() for n in self.top)
        if self.added:
            base = len(head) + 8
            for stco, rel in self.added:
                stco.payload = struct.pack(">II", 0, len(rel)) + b"".join(
                    struct.pack(">I", base + r) for r in rel)
            head = b"".join(n.encode() for n in self.top)
            head += box(b"mdat", self.extra_mdat)
        return head


def edit(data: bytes, change: Callable[[Movie], None]) -> bytes:
    movie = Movie.of(data)
    change(movie)
    return movie.encode()


# -- making movies ------------------------------------------------------------------------

def movie(fmt: str = "mp4", vcodec: str = "libx264", acodec: str | None = "aac",
          frames: int = 12, metadata: dict[str, str] | None = None,
          options: dict[str, str] | None = None, vopts: dict[str, str] | None = None) -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt, options=options or {}) as out:
        for k, v in (metadata or {}).items():
            out.metadata[k] = v
        v = out.add_stream(vcodec, rate=12, options=vopts or {})
        v.width, v.height = 64, 48
        v.pix_fmt = "yuvj420p" if vcodec == "mjpeg" else "yuv420p"
        a = None
        if acodec:
            a = out.add_stream(acodec, rate=48000)
            if acodec == "flac" or acodec == "libopus":
                a.format = "s16"
        for i in range(frames):
            for p in v.encode(av.VideoFrame.from_image(picture(seed=7 * i))):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            import numpy as np

            n = 960 if acodec in ("libopus", "opus") else 1024
            for i in range(int(48000 / n)):
                t = (np.arange(n) + i * n) / 48000
                samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
                frame = av.AudioFrame.from_ndarray(samples[None, :].copy(), format="s16",
                                                   layout="mono")
                frame.sample_rate = 48000
                frame.pts = i * n
                for p in a.encode(frame):
                    out.mux(p)
            for p in a.encode():
                out.mux(p)
    return buf.getvalue()


def remux(data: bytes, fmt: str, change: Callable[[int, int, bytes], bytes]) -> bytes:
    """Copy every packet of ``data`` into a new ``fmt`` file, packet bytes changed by
    ``change(stream index, packet number, bytes)``."""
    import av

    out_buf = io.BytesIO()
    with av.open(io.BytesIO(data)) as src, av.open(out_buf, "w", format=fmt) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        counts: dict[int, int] = {}
        for packet in src.demux():
            if packet.size == 0:
                continue
            n = counts.get(packet.stream.index, 0)
            counts[packet.stream.index] = n + 1
            new = av.Packet(change(packet.stream.index, n, bytes(packet)))
            new.pts, new.dts, new.time_base = packet.pts, packet.dts, packet.time_base
            new.is_keyframe = packet.is_keyframe
            new.stream = streams[packet.stream.index]
            out.mux(new)
    return out_buf.getvalue()


def mjpeg_mov(frame: Callable[[int], bytes], fmt: str = "mov") -> bytes:
    """Motion-JPEG whose frames are the JPEGs ``frame(i)`` makes."""
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        s = out.add_stream("mjpeg", rate=12)
        s.width, s.height, s.pix_fmt = 64, 48, "yuvj420p"
        s.time_base = Fraction(1, 12)
        for i in range(6):
            p = av.Packet(frame(i))
            p.stream, p.pts, p.dts, p.time_base = s, i, i, Fraction(1, 12)
            out.mux(p)
    return buf.getvalue()


# -- tracks built from scratch ----------------------------------------------------------------

def trak(track_id: int, handler: bytes, entry: bytes, sizes: list[int], duration: int = 1000,
         media_header: bytes | None = None, name: str = "", timescale: int = 1000) -> Node:
    tkhd = full(b"tkhd", 0, 3, struct.pack(">IIIIIQhhhH", 0, 0, track_id, 0, duration, 0, 0,
                                           0, 0, 0) + struct.pack(">9I", 0x10000, 0, 0, 0,
                                                                  0x10000, 0, 0, 0, 0x40000000)
               + struct.pack(">II", 0, 0))
    mdhd = full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0))
    hdlr = full(b"hdlr", 0, 0, bytes(4) + handler + bytes(12) + name.encode() + b"\0")
    n = len(sizes)
    stbl = [full(b"stsd", 0, 0, struct.pack(">I", 1) + entry),
            full(b"stts", 0, 0, struct.pack(">III", 1, n, max(duration // max(n, 1), 1))),
            full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, n, 1)),
            full(b"stsz", 0, 0, struct.pack(">II", 0, n) + b"".join(struct.pack(">I", s)
                                                                    for s in sizes)),
            full(b"stco", 0, 0, struct.pack(">II", 1, 0))]
    dinf = box(b"dinf", full(b"dref", 0, 0, struct.pack(">I", 1) + full(b"url ", 0, 1)))
    minf = box(b"minf", (media_header or full(b"nmhd", 0, 0)) + dinf
               + box(b"stbl", b"".join(stbl)))
    node = parse(box(b"trak", tkhd + box(b"mdia", mdhd + hdlr + minf)))[0]
    return node


def sample_entry(kind: bytes, body: bytes = b"", children: bytes = b"") -> bytes:
    return box(kind, bytes(6) + struct.pack(">H", 1) + body + children)


def qt_name(text: str) -> bytes:
    raw = text.encode()
    return box(b"name", struct.pack(">HH", len(raw), 0) + raw)


def ilst_item(kind: bytes, value: bytes, type_code: int = 1) -> bytes:
    return box(kind, box(b"data", struct.pack(">II", type_code, 0) + value))


def keys_meta(items: list[tuple[str, bytes]]) -> bytes:
    keys = full(b"keys", 0, 0, struct.pack(">I", len(items)) + b"".join(
        box(b"mdta", k.encode()) for k, _v in items))
    ilst = box(b"ilst", b"".join(box(struct.pack(">I", i + 1), box(b"data", struct.pack(
        ">II", 1, 0) + v)) for i, (_k, v) in enumerate(items)))
    hdlr = full(b"hdlr", 0, 0, bytes(4) + b"mdta" + bytes(12) + b"\0")
    return box(b"meta", hdlr + keys + ilst)


def first_sei(data: bytes) -> tuple[int, int]:
    """(start, size) of the first SEI NAL unit in the media data (x264's banner)."""
    at = data.index(b"x264 - core")
    start = data.rindex(b"\x06\x05", 0, at)
    size = int.from_bytes(data[start - 4 : start], "big")
    return start, size


def replace_unit(data: bytes, unit: Callable[[int], bytes]) -> bytes:
    """The movie with x264's banner SEI NAL unit replaced by ``unit(size)`` (same size)."""
    start, size = first_sei(data)
    new = unit(size)
    assert len(new) == size
    return data[:start] + new + data[start + size :]


def fill(head: bytes, text: bytes, size: int, tail: bytes = b"") -> bytes:
    return head + text + b"_" * (size - len(head) - len(text) - len(tail)) + tail


# -- the cases ----------------------------------------------------------------------------------

def _aud(size: int, text: bytes) -> bytes:
    return fill(b"\x09\xf0", text, size)


def _sei(ptype: int, body: bytes) -> bytes:
    return bytes([0x06, ptype, len(body)]) + body + b"\x80"


def _avcc_with(avcc: Node, sps_tail: bytes = b"", tail: bytes = b"") -> None:
    p = bytearray(avcc.payload)
    n = int.from_bytes(p[6:8], "big")
    if sps_tail:
        sps = bytes(p[8 : 8 + n]) + sps_tail
        p = bytearray(p[:6] + struct.pack(">H", len(sps)) + sps + p[8 + n :])
    avcc.payload = bytes(p) + tail


@case
def bmff_cases() -> Iterator[Case]:
    try:
        import av  # noqa: F401
    except ImportError:
        return
    base = movie()

    # H.264 units a decoder skips, written over x264's banner SEI (nothing moves)
    units = {
        "aud-payload": lambda n: _aud(n, b"RT_M_AUD_PAYLOAD"),
        "end-of-seq-payload": lambda n: fill(b"\x0a", b"RT_M_EOSEQ_PAYLOAD", n),
        "svc-prefix-unit": lambda n: fill(b"\x0e\x80", b"RT_M_NAL14_PREFIX", n),
        "sei-filler-payload": lambda n: sei_unit(3, n, b"RT_M_SEI_FILLER"),
        "sei-recovery-oversize": lambda n: sei_unit(6, n, b"\x88RT_M_SEI_RECOVERY"),
    }
    for name, unit in units.items():
        marker = {"aud-payload": "RT_M_AUD_PAYLOAD", "end-of-seq-payload": "RT_M_EOSEQ_PAYLOAD",
                  "svc-prefix-unit": "RT_M_NAL14_PREFIX", "sei-filler-payload": "RT_M_SEI_FILLER",
                  "sei-recovery-oversize": "RT_M_SEI_RECOVERY"}[name]
        yield Case(f"mp4-h264-{name}", replace_unit(base, unit), [marker], 2)

    # the decoder configuration: bytes after the SPS, after the configuration record
    yield Case("mp4-avcc-sps-tail", edit(base, lambda m: _avcc_with(
        m.entry().find(b"avcC"), sps_tail=b"RT_M_SPS_TAIL")), ["RT_M_SPS_TAIL"], 2)
    yield Case("mp4-avcc-extra", edit(base, lambda m: _avcc_with(
        m.entry().find(b"avcC"), tail=b"RT_M_AVCC_EXTRA")), ["RT_M_AVCC_EXTRA"], 5)

    # sample-entry children with bytes after their fields, a colour profile with text
    def grow(kind: bytes, body: bytes) -> Callable[[Movie], None]:
        def change(m: Movie) -> None:
            m.entry().children.append(Node(kind, body))  # type: ignore[union-attr]
        return change
    yield Case("mp4-pasp-extra", edit(base, grow(b"pasp", struct.pack(">II", 1, 1)
                                                 + b"RT_M_PASP_EXTRA")), ["RT_M_PASP_EXTRA"], 5)
    yield Case("mp4-btrt-extra", edit(base, grow(b"btrt", struct.pack(">III", 0, 9000, 9000)
                                                 + b"RT_M_BTRT_EXTRA")), ["RT_M_BTRT_EXTRA"], 5)
    yield Case("mp4-mdcv-numbers", edit(base, grow(b"mdcv", b"RT_M_MDCV_PRIMAR"
                                                   + struct.pack(">II", 10**7, 50))),
               ["RT_M_MDCV_PRIMAR"], 6)
    for place in ("header-illuminant", "private-tag", "mluc-second-record"):
        marker = f"RT_MICC_{place.upper().replace('-', '_')}"
        yield Case(f"mp4-icc-{place}", edit(base, grow(b"colr", b"prof"
                                                       + icc_variant(place, marker))),
                   [icc_marker(place, marker)], 1)

    # numbers of kept headers that spell text: the track's display size, the sample entry's
    # resolution, the matrix's translation
    def tkhd_size(m: Movie) -> None:
        tkhd = m.track(b"vide").find(b"tkhd")
        tkhd.payload = tkhd.payload[:-8] + b"RT_MTKWH"
    yield Case("mp4-tkhd-size-text", edit(base, tkhd_size), ["RT_MTKWH"], 6)

    def resolution(m: Movie) -> None:
        entry = m.entry()
        entry.prefix = entry.prefix[:28] + b"RT_MHRES" + entry.prefix[36:]
    yield Case("mp4-entry-resolution-text", edit(base, resolution), ["RT_MHRES"], 6)

    yield Case("mp4-dolby-vision-reserved", edit(base, grow(b"dvcC", bytes([1, 0, 0x10, 0x35])
                                                          + b"RT_M_DVCC_RESERVED__")),
               ["RT_M_DVCC_RESERVED"], 5)
    yield Case("mp4-pasp-numbers", edit(base, grow(b"pasp", b"RT_MPASP")), ["RT_MPASP"], 6)

    def translation(m: Movie) -> None:
        tkhd = m.track(b"vide").find(b"tkhd")
        p = tkhd.payload
        at = len(p) - 8 - 36 + 24  # matrix x, y (after a, b, u, c, d, v)
        tkhd.payload = p[:at] + b"RT_MTRAN" + p[at + 8 :]
    yield Case("mp4-matrix-translation-text", edit(base, translation), ["RT_MTRAN"], 6)

    # boxes of the movie: iods with extra bytes, an edit list longer than its count,
    # meta inside a track, a 'wide' and a producer-reference-time box at the top
    def elst_extra(m: Movie) -> None:
        trak_ = m.track(b"vide")
        trak_.children.insert(1, Node(b"edts", children=[Node(  # type: ignore[union-attr]
            b"elst", struct.pack(">II", 0, 1) + struct.pack(">IiHH", 1000, 0, 1, 0)
            + b"RT_M_ELST_EXTRA")]))
    yield Case("mp4-elst-extra", edit(base, elst_extra), ["RT_M_ELST_EXTRA"], 5)

    def iods(m: Movie) -> None:
        m.moov.children.insert(1, Node(b"iods", bytes(4) + b"\x10\x07\x00\x4f\xff\xff\x29\x15"
                                       b"\xff" + b"RT_M_IODS_EXTRA"))  # type: ignore[union-attr]
    yield Case("mp4-iods-extra", edit(base, iods), ["RT_M_IODS_EXTRA"], 5)

    def trak_meta(m: Movie) -> None:
        m.track(b"vide").children.append(Node(b"meta", keys_meta(  # type: ignore[union-attr]
            [("com.apple.quicktime.camera.lens_model", b"RT_M_TRAK_META_LENS")])[8:]))
    yield Case("mp4-meta-in-track", edit(base, trak_meta), ["RT_M_TRAK_META_LENS"], 3)

    def top_boxes(m: Movie) -> None:
        m.top.append(Node(b"prft", bytes(4) + struct.pack(">IQ", 1, 0xE7A1B2C3D4E5F601)
                          + b"RT_M_PRFT_EXTRA"))
        m.top.append(Node(b"wide", b"RT_M_WIDE_BOX"))
    yield Case("mp4-prft-and-wide", edit(base, top_boxes), ["RT_M_PRFT_EXTRA", "RT_M_WIDE_BOX"], 3)

    # sample auxiliary information pointing at bytes in mdat
    def aux_info(m: Movie) -> None:
        stbl = m.track(b"vide").find(b"mdia", b"minf", b"stbl")
        mdat = next(n for n in m.top if n.type == b"mdat")
        head = sum(len(n.encode()) for n in m.top[: m.top.index(mdat)]) + 8
        at = head + len(mdat.payload)
        mdat.payload += b"RT_M_SAIO_AUXINFO"
        stbl.children += [Node(b"saiz", bytes(4) + bytes([17]) + struct.pack(">I", 1)),  # type: ignore[operator]
                          Node(b"saio", bytes(4) + struct.pack(">II", 1, at))]
    yield Case("mp4-saiz-saio", edit(base, aux_info), ["RT_M_SAIO_AUXINFO"], 3)

    # telemetry, timecode, chapter text: tracks built from scratch
    def gopro(m: Movie) -> None:
        m.moov.children.append(Node(b"udta", children=[  # type: ignore[union-attr]
            Node(b"FIRM", b"RT_M_GOPRO_FIRMWARE"), Node(b"CAME", b"RT_M_GOPRO_SERIAL__"),
            Node(b"GPMF", b"DEVC\x00\x01\x00\x10RT_M_GPMF_UDTA")]))
        gpmf = [b"DEVC\x00\x01\x00\x20GPS5RT_M_GPMF_GPS_SAMPLE_%d" % i for i in range(3)]
        m.add_track(trak(3, b"meta", sample_entry(b"gpmd"), [len(s) for s in gpmf],
                         name="GoPro MET"), gpmf)
        tc = [struct.pack(">I", 3600)]
        tmcd = sample_entry(b"tmcd", struct.pack(">IIIIBB", 0, 0, 12, 1, 12, 0),
                            qt_name("RT_M_TMCD_REEL"))
        m.add_track(trak(4, b"tmcd", tmcd, [4], name="GoPro TCD",
                         media_header=box(b"gmhd", full(b"gmin", 0, 0, bytes(12)))), tc)
    yield Case("mp4-gopro-like", edit(base, gopro),
               ["RT_M_GOPRO_FIRMWARE", "RT_M_GOPRO_SERIAL", "RT_M_GPMF_UDTA",
                "RT_M_GPMF_GPS_SAMPLE", "RT_M_TMCD_REEL"], 0)

    def dji(m: Movie) -> None:
        m.moov.children.append(Node(b"udta", children=[  # type: ignore[union-attr]
            Node(b"\xa9xyz", struct.pack(">HH", 18, 0x15C7) + b"+22.3193+114.1694/"),
            Node(b"djmd", b"\x00\x01RT_M_DJI_DJMD"), Node(b"dbgi", b"RT_M_DJI_DBGI")]))
        texts = [f"F/2.8 SS 100 ISO 100 GPS (114.1694, 22.3193, 20) RT_M_DJI_SRT_{i}".encode()
                 for i in range(3)]
        samples = [struct.pack(">H", len(t)) + t for t in texts]
        tx3g = sample_entry(b"tx3g", bytes(4) + bytes(2) + bytes(4) + bytes(8)
                            + bytes(12), box(b"ftab", struct.pack(">HHB", 1, 1, 5) + b"Serif"))
        m.add_track(trak(3, b"sbtl", tx3g, [len(s) for s in samples], name="DJI.Subtitle"),
                    samples)
    yield Case("mp4-dji-like", edit(base, dji), ["RT_M_DJI_DJMD", "RT_M_DJI_DBGI",
                                                 "RT_M_DJI_SRT_"], 0)

    def chapters(m: Movie) -> None:
        title = b"RT_M_CHAPTER_TITLE"
        sample = struct.pack(">H", len(title)) + title
        tx3g = sample_entry(b"tx3g", bytes(4) + bytes(2) + bytes(4) + bytes(8) + bytes(12))
        m.add_track(trak(3, b"text", tx3g, [len(sample)], name="Chapters"), [sample])
        m.track(b"vide").children.append(Node(b"tref", box(b"chap", struct.pack(">I", 3))))  # type: ignore[union-attr]
    yield Case("mp4-chapter-track", edit(base, chapters), ["RT_M_CHAPTER_TITLE"], 3)

    # an iPhone MOV: Keys metadata (location, make, model, software) and a timed-metadata
    # track ('mebx') with a location sample
    iphone = movie("mov", acodec="aac")

    def iphone_meta(m: Movie) -> None:
        m.moov.children.append(Node(b"meta", keys_meta([  # type: ignore[union-attr]
            ("com.apple.quicktime.location.ISO6709", b"+48.8584+002.2945+035.000/"),
            ("com.apple.quicktime.make", b"Apple"),
            ("com.apple.quicktime.model", b"RT_M_IPHONE_MODEL"),
            ("com.apple.quicktime.software", b"RT_M_IPHONE_SW"),
            ("com.apple.quicktime.creationdate", b"2024-05-01T10:00:00+0200")])[8:]))
        keyd = box(struct.pack(">I", 1), box(b"keyd", b"mdta"
                                             + b"com.apple.quicktime.location.ISO6709")
                   + box(b"dtyp", struct.pack(">I", 0) + struct.pack(">I", 1)))
        mebx = sample_entry(b"mebx", b"", box(b"keys", keyd))
        samples = [box(struct.pack(">I", 1), b"+48.8584+002.2945/RT_M_MEBX_LOCATION")]
        m.add_track(trak(3, b"meta", mebx, [len(samples[0])], name="Core Media Metadata"),
                    samples)
    yield Case("mov-iphone-like", edit(iphone, iphone_meta),
               ["RT_M_IPHONE_MODEL", "RT_M_IPHONE_SW", "+48.8584", "RT_M_MEBX_LOCATION"], 0)

    # an Android screen recording: Keys with the OS version and capture rate, no audio
    def android(m: Movie) -> None:
        m.moov.children.append(Node(b"meta", keys_meta([  # type: ignore[union-attr]
            ("com.android.version", b"RT_M_ANDROID_14"),
            ("com.android.capture.fps", struct.pack(">f", 60.0))])[8:]))
    yield Case("mp4-android-screen-recording", edit(movie(acodec=None), android),
               ["RT_M_ANDROID_14"], 0)

    # a 3GP from an old phone (3GPP udta: title, author, location) and an iTunes M4V with
    # cover art whose JPEG holds EXIF
    def three_gpp(m: Movie) -> None:
        loci = bytes(4) + b"\x15\xc7" + b"RT_M_3GP_PLACE\0" + b"\0" + struct.pack(">iii", 1, 2, 3) \
            + b"earth\0\0"
        m.moov.children.append(Node(b"udta", children=[  # type: ignore[union-attr]
            Node(b"titl", bytes(4) + b"\x15\xc7RT_M_3GP_TITLE\0"),
            Node(b"auth", bytes(4) + b"\x15\xc7RT_M_3GP_AUTHOR\0"), Node(b"loci", loci)]))
    yield Case("3gp-old-phone", edit(movie("3gp"), three_gpp),
               ["RT_M_3GP_TITLE", "RT_M_3GP_AUTHOR", "RT_M_3GP_PLACE"], 0)
    cover = jpeg(picture(16, 16), exif=b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x3b\0\x02\0\0\0"
                 b"\x10\0\0\0\x1a\0\0\0\0RT_M_COVER_EXIF\0")

    def itunes(m: Movie) -> None:
        ilst = box(b"ilst", ilst_item(b"\xa9nam", b"RT_M_M4V_TITLE")
                   + ilst_item(b"covr", cover, 13))
        hdlr = full(b"hdlr", 0, 0, bytes(4) + b"mdir" + b"appl" + bytes(8) + b"\0")
        m.moov.children.append(Node(b"udta", children=[  # type: ignore[union-attr]
            Node(b"meta", bytes(4) + hdlr + ilst)]))
    yield Case("m4v-itunes-cover", edit(movie("ipod"), itunes),
               ["RT_M_M4V_TITLE", "RT_M_COVER_EXIF"], 0)

    # fragmented (DASH-like) MP4 with a title
    frag = movie(options={"movflags": "frag_keyframe+empty_moov+default_base_moof"},
                 metadata={"title": "RT_M_FRAGMENTED_TITLE"})
    yield Case("mp4-fragmented", frag, ["RT_M_FRAGMENTED_TITLE"], 0)

    # audio: AAC data-stream element opening each frame, FLAC tags, Opus
    def dse(stream: int, n: int, packet: bytes) -> bytes:
        text = b"RT_M_AAC_DSE_%02d" % n
        return packet if stream == 0 else bytes([0x80, len(text)]) + text + packet
    yield Case("mp4-aac-data-stream-element", remux(base, "mp4", dse), ["RT_M_AAC_DSE_"], 2)

    def flac_tags(m: Movie) -> None:
        dfla = m.entry(b"soun").find(b"dfLa")
        body = bytearray(dfla.payload)
        body[4] &= 0x7F  # STREAMINFO is no longer the last block
        comment = struct.pack("<I", 4) + b"Lavf" + struct.pack("<I", 1) \
            + struct.pack("<I", 21) + b"ARTIST=RT_M_FLAC_ART"
        dfla.payload = bytes(body) + bytes([0x84]) + len(comment).to_bytes(3, "big") + comment
    yield Case("mp4-flac-vorbis-comment", edit(movie(acodec="flac"), flac_tags),
               ["RT_M_FLAC_ART"], 2)
    yield Case("mp4-opus-audio", movie(acodec="libopus", metadata={"artist": "RT_M_OPUS_ART"}),
               ["RT_M_OPUS_ART"], 0)

    # HEVC: an access unit delimiter with text after its one byte, opening every sample
    hevc = movie(vcodec="libx265", acodec=None, vopts={"x265-params": "log-level=none"})
    aud = b"\x46\x01\x50RT_M_HEVC_AUD_TEXT"
    yield Case("mp4-hevc-aud-payload", remux(hevc, "mp4", lambda s, n, p: len(aud).to_bytes(
        4, "big") + aud + p), ["RT_M_HEVC_AUD_TEXT"], 2)

    # Motion-JPEG in MOV: a spare Huffman table in each frame, text after the scan
    def spare_dht(i: int) -> bytes:
        counts = bytearray(16)
        counts[7] = 16
        return jpeg(picture(seed=i))[:2] + seg(0xC4, bytes([0x13]) + counts
                                                + b"RT_M_MJPEG_DHT__") + jpeg(picture(seed=i))[2:]
    yield Case("mov-mjpeg-spare-dht", mjpeg_mov(spare_dht), ["RT_M_MJPEG_DHT"], 6)

    def scan_tail(i: int) -> bytes:
        data = jpeg(picture(seed=i))
        end_ = scan_ends(data)[-1]
        return data[:end_] + b"RT_M_MJPEG_SCAN_TAIL" + data[end_:]
    yield Case("mov-mjpeg-scan-tail", mjpeg_mov(scan_tail), ["RT_M_MJPEG_SCAN_TAIL"], 6)


def _lenbytes(n: int) -> bytes:
    """An SEI payload size of ``n`` bytes (0xFF runs, then the rest)."""
    return b"\xff" * (n // 255) + bytes([n % 255])


def sei_unit(ptype: int, n: int, text: bytes) -> bytes:
    """An H.264 SEI NAL unit of exactly ``n`` bytes: one message of ``ptype`` holding ``text``
    padded with '_', then the stop bit."""
    for k in range(1, 8):
        payload = n - 3 - k
        if len(_lenbytes(payload)) == k:
            return fill(bytes([6, ptype]) + _lenbytes(payload), text, n, b"\x80")
    raise ValueError(n)
