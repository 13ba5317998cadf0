"""Fixture generators for ISO-BMFF tests: real encoded movies and photos with planted metadata.

Movies are encoded with PyAV (H.264 + AAC, 64x48, 10 frames), then boxes are
injected with the small, independent box writer below (it shares no code
with the cleaner under test). Photos come from pillow-heif / Pillow.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

# Planted values: every test checks that none of them survives a clean.
XYZ = "+43.4670+011.8850+100.000/"
KEYS_LOCATION = "+48.8583+002.2945+035.000/"
MAKE = "FixtureCamMake"
MODEL = "FixtureModel-X9"
SOFTWARE = "FixtureSoft 7.1"
DAY = "2024-05-01T12:34:56+0200"
KEYS_MAKE = "AppleFixture"
KEYS_MODEL = "iPhone Fixture 99"
KEYS_DATE = "2024-05-02T08:09:10+0200"
XMP_CREATOR = "Jane Fixture"
XMP_TOOL = "FixtureXMPTool 3"
TELEMETRY = "FixtureTelemetry GPS 43.4670 11.8850"
AUTHOR_3GP = "Joe Fixture3gp"
LOCI_NAME = "FixturePlace"
COVER_TITLE = "FixtureTitle"
#: 2024-05-01 12:00:00 UTC in seconds since 1904
MOVIE_TIME = int((datetime(2024, 5, 1, 12, tzinfo=UTC) - datetime(1904, 1, 1, tzinfo=UTC))
                 .total_seconds())

PLANTED_MOVIE = [XYZ, "43.467", MAKE, MODEL, SOFTWARE, DAY, KEYS_LOCATION, "48.8583", KEYS_MAKE,
                 KEYS_MODEL, KEYS_DATE, XMP_CREATOR, XMP_TOOL, TELEMETRY, "2024:05:01",
                 "2024:05:02", "FixtureTelemetryHandler"]

XMP_PACKET = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    f'xmp:CreatorTool="{XMP_TOOL}" exif:GPSLatitude="43,28.02N" '
    'exif:GPSLongitude="11,53.10E">'
    f"<dc:creator><rdf:Seq><rdf:li>{XMP_CREATOR}</rdf:li></rdf:Seq></dc:creator>"
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
    '<?xpacket end="w"?>'
).encode()
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")


# ---------------------------------------------------------------- box writer
def box(typ: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), typ) + payload


def full(typ: bytes, version: int, flags: int, payload: bytes = b"") -> bytes:
    return box(typ, struct.pack(">I", (version << 24) | flags) + payload)


def qt_text(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">HH", len(raw), 0x55C4) + raw


def data_atom(value: bytes, kind: int = 1) -> bytes:
    return box(b"data", struct.pack(">II", kind, 0) + value)


def keys_meta(items: list[tuple[str, str]]) -> bytes:
    """An Apple 'meta' box: hdlr 'mdta' + keys + ilst (as iPhones write)."""
    hdlr = full(b"hdlr", 0, 0, b"\0\0\0\0mdta" + bytes(12) + b"\0")
    keys = full(b"keys", 0, 0, struct.pack(">I", len(items)) + b"".join(
        box(b"mdta", k.encode()) for k, _ in items))
    ilst = box(b"ilst", b"".join(
        box(struct.pack(">I", i + 1), data_atom(v.encode())) for i, (_, v) in enumerate(items)))
    return box(b"meta", hdlr + keys + ilst)  # QuickTime style: no version/flags


def itunes_meta(items: list[tuple[bytes, bytes, int]]) -> bytes:
    hdlr = full(b"hdlr", 0, 0, b"\0\0\0\0mdirappl" + bytes(8) + b"\0")
    ilst = box(b"ilst", b"".join(box(t, data_atom(v, k)) for t, v, k in items))
    return full(b"meta", 0, 0, hdlr + ilst)


@dataclass
class Node:
    """A box in the fixture writer's own tree (containers only where needed)."""

    type: bytes
    payload: bytes = b""
    children: list[Node] | None = None
    prefix: bytes = b""  # full-box header bytes before children

    def encode(self) -> bytes:
        if self.children is None:
            return box(self.type, self.payload)
        return box(self.type, self.prefix + b"".join(c.encode() for c in self.children))

    def find(self, typ: bytes) -> Node | None:
        return next((c for c in self.children or [] if c.type == typ), None)


CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf"}


def parse(data: bytes) -> list[Node]:
    out, pos = [], 0
    while pos + 8 <= len(data):
        size, typ = struct.unpack(">I4s", data[pos : pos + 8])
        size = size or len(data) - pos
        payload = data[pos + 8 : pos + size]
        if typ in CONTAINERS:
            out.append(Node(typ, children=parse(payload)))
        else:
            out.append(Node(typ, payload))
        pos += size
    return out


def _patch(payload: bytes, offset: int, value: bytes) -> bytes:
    return payload[:offset] + value + payload[offset + len(value) :]


def _times(node: Node, when: int) -> None:
    version = node.payload[0]
    width = 8 if version == 1 else 4
    stamp = when.to_bytes(width, "big")
    node.payload = _patch(_patch(node.payload, 4, stamp), 4 + width, stamp)


def _walk(node: Node):
    yield node
    for child in node.children or []:
        yield from _walk(child)


def _handler(trak: Node) -> bytes:
    mdia = trak.find(b"mdia")
    hdlr = mdia.find(b"hdlr") if mdia else None
    return hdlr.payload[8:12] if hdlr else b""


ROT90 = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)


# ---------------------------------------------------------------- movies
def encode_movie(path: Path, fmt: str = "mp4", faststart: bool = False,
                 frames: int = 10, audio: bool = True, fragmented: bool = False) -> Path:
    import av

    options = {"movflags": "+faststart"} if faststart else {}
    if fragmented:
        options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    with av.open(str(path), "w", format=fmt, options=options) as out:
        video = out.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.options = {"preset": "ultrafast", "bf": "0"}
        sound = out.add_stream("aac", rate=16000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for i in range(frames):
            img = np.zeros((48, 64, 3), np.uint8)
            img[:, : 6 * (i + 1)] = (200, 40 + 10 * i, 90)
            for packet in video.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            t = np.arange(16000, dtype=np.float32) / 16000
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, 16000, 1024):
                chunk = tone[None, start : start + 1024]
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp",
                                                   layout="mono")
                frame.sample_rate = 16000
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path


@dataclass
class Plant:
    udta: list[bytes] = field(default_factory=list)  # extra udta atoms
    moov_boxes: list[bytes] = field(default_factory=list)  # e.g. keys meta
    xmp: bool = False
    telemetry: bool = False
    #: handler type and sample entry of the planted data track
    data_kind: tuple[bytes, bytes] = (b"meta", b"mett")
    times: bool = False
    rotate90: bool = False


def _data_trak(track_id: int, sample_offset: int, sample_size: int,
               kind: tuple[bytes, bytes] = (b"meta", b"mett")) -> bytes:
    handler, entry_type = kind
    tkhd = full(b"tkhd", 0, 1, struct.pack(">IIIII", 0, 0, track_id, 0, 1000) + bytes(8)
                + struct.pack(">hhhh", 0, 0, 0, 0)
                + struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
                + struct.pack(">II", 0, 0))
    mdhd = full(b"mdhd", 0, 0, struct.pack(">IIII", 0, 0, 1000, 1000) + b"\x55\xc4\0\0")
    hdlr = full(b"hdlr", 0, 0, b"\0\0\0\0" + handler + bytes(12)
                + b"FixtureTelemetryHandler\0")
    mett = box(entry_type, bytes(6) + struct.pack(">H", 1) + b"\0" + b"text/plain\0")
    stbl = box(b"stbl",
               full(b"stsd", 0, 0, struct.pack(">I", 1) + mett)
               + full(b"stts", 0, 0, struct.pack(">III", 1, 1, 1000))
               + full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, 1, 1))
               + full(b"stsz", 0, 0, struct.pack(">III", 0, 1, sample_size))
               + full(b"stco", 0, 0, struct.pack(">II", 1, sample_offset)))
    dinf = box(b"dinf", full(b"dref", 0, 0, struct.pack(">I", 1) + full(b"url ", 0, 1)))
    minf = box(b"minf", full(b"nmhd", 0, 0) + dinf + stbl)
    return box(b"trak", tkhd + box(b"mdia", mdhd + hdlr + minf))


def plant(data: bytes, spec: Plant) -> bytes:
    """Return ``data`` (a movie) with the metadata of ``spec`` injected."""
    top = parse(data)
    moov = next(n for n in top if n.type == b"moov")
    moov_index = top.index(moov)
    faststart = moov_index < next(i for i, n in enumerate(top) if n.type in (b"mdat", b"moof"))
    old_moov_size = len(moov.encode())
    traks = [c for c in moov.children if c.type == b"trak"]
    if spec.times:
        for node in _walk(moov):
            if node.type in (b"mvhd", b"tkhd", b"mdhd"):
                _times(node, MOVIE_TIME)
    if spec.rotate90:
        video = next(t for t in traks if _handler(t) == b"vide")
        tkhd = video.find(b"tkhd")
        tkhd.payload = _patch(tkhd.payload, 40 if tkhd.payload[0] == 0 else 52, ROT90)
    if spec.udta:
        udta = moov.find(b"udta")
        if udta is None:
            udta = Node(b"udta", children=[])
            moov.children.append(udta)
        udta.children.extend(Node(a[4:8], a[8:]) for a in spec.udta)
    for extra in spec.moov_boxes:
        moov.children.append(Node(extra[4:8], extra[8:]))
    sample = TELEMETRY.encode()
    mvhd = moov.find(b"mvhd")
    ids = [struct.unpack(">I", t.find(b"tkhd").payload[12:16] if t.find(b"tkhd").payload[0] == 0
                         else t.find(b"tkhd").payload[20:24])[0] for t in traks]
    next_id = max([struct.unpack(">I", mvhd.payload[-4:])[0], *(i + 1 for i in ids)])
    if spec.telemetry:
        trak = _data_trak(next_id, 0, len(sample), spec.data_kind)
        moov.children.append(Node(b"trak", trak[8:]))
        mvhd.payload = mvhd.payload[:-4] + struct.pack(">I", next_id + 1)
    delta = len(moov.encode()) - old_moov_size
    if faststart and delta:
        for trak in traks:
            for node in _walk(trak):
                if node.type in (b"stco", b"co64"):
                    _shift(node, delta)
    tail = box(b"uuid", XMP_UUID + XMP_PACKET) if spec.xmp else b""
    body = b"".join(n.encode() for n in top) + tail
    if spec.telemetry:
        offset = len(body) + 8
        trak = _data_trak(next_id, offset, len(sample), spec.data_kind)
        moov.children[-1] = Node(b"trak", trak[8:])
        body = b"".join(n.encode() for n in top) + tail + box(b"mdat", sample)
    return body


def _shift(node: Node, delta: int) -> None:
    wide = node.type == b"co64"
    count = struct.unpack(">I", node.payload[4:8])[0]
    fmt = ">Q" if wide else ">I"
    step = 8 if wide else 4
    out = bytearray(node.payload)
    for i in range(count):
        at = 8 + i * step
        (value,) = struct.unpack(fmt, out[at : at + step])
        out[at : at + step] = struct.pack(fmt, value + delta)
    node.payload = bytes(out)


def udta_atoms() -> list[bytes]:
    return [box(b"\xa9xyz", qt_text(XYZ)), box(b"\xa9mak", qt_text(MAKE)),
            box(b"\xa9mod", qt_text(MODEL)), box(b"\xa9swr", qt_text(SOFTWARE)),
            box(b"\xa9day", qt_text(DAY))]


def apple_keys() -> bytes:
    return keys_meta([("com.apple.quicktime.location.ISO6709", KEYS_LOCATION),
                      ("com.apple.quicktime.make", KEYS_MAKE),
                      ("com.apple.quicktime.model", KEYS_MODEL),
                      ("com.apple.quicktime.creationdate", KEYS_DATE)])


def three_gpp_atoms() -> list[bytes]:
    loci = full(b"loci", 0, 0, b"\x15\xc7" + LOCI_NAME.encode() + b"\0" + b"\0"
                + struct.pack(">iii", int(11.885 * 65536), int(43.467 * 65536), 100 * 65536)
                + b"Earth\0\0")
    auth = full(b"auth", 0, 0, b"\x15\xc7" + AUTHOR_3GP.encode() + b"\0")
    return [loci, auth]


def cover_meta() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 30)).save(buf, "JPEG")
    return itunes_meta([(b"covr", buf.getvalue(), 13), (b"\xa9nam", COVER_TITLE.encode(), 1)])


def movie(tmp: Path, name: str, fmt: str = "mp4", faststart: bool = False,
          spec: Plant | None = None, fragmented: bool = False) -> Path:
    raw = encode_movie(tmp / f"raw-{name}", fmt=fmt, faststart=faststart, fragmented=fragmented)
    out = tmp / name
    out.write_bytes(plant(raw.read_bytes(), spec or Plant()))
    return out


# ---------------------------------------------------------------- photos
GPS_EXIF = {1: "N", 2: (43.0, 28.0, 1.2), 3: "E", 4: (11.0, 53.0, 6.0)}
EXIF_MAKE = "FixturePhoneMake"
EXIF_MODEL = "FixturePhone 12"
EXIF_DATE = "2024:05:03 10:11:12"
PLANTED_PHOTO = [EXIF_MAKE, EXIF_MODEL, EXIF_DATE, XMP_CREATOR, XMP_TOOL, "43 deg 28"]


def picture(w: int = 64, h: int = 48):
    from PIL import Image

    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([xx * 4 % 256, yy * 5 % 256, (xx + yy) * 3 % 256], -1).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def exif_bytes(orientation: int = 6) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = EXIF_MAKE, EXIF_MODEL, EXIF_DATE
    exif[0x0112] = orientation
    exif[0x8825] = GPS_EXIF
    return exif.tobytes()


def heic(path: Path, thumbnails: bool = True, orientation: int = 6) -> Path:
    import pillow_heif

    heif = pillow_heif.from_pillow(picture())
    heif.save(str(path), exif=exif_bytes(orientation), xmp=XMP_PACKET,
              thumbnails=[32] if thumbnails else [], quality=-1)
    return path


def avif(path: Path) -> Path:
    picture().save(str(path), format="AVIF", exif=exif_bytes(1), xmp=XMP_PACKET, quality=90)
    return path


def motion_photo(path: Path, video: bytes, as_box: bool = True) -> Path:
    heic(path, thumbnails=False)
    with open(path, "ab") as fh:
        fh.write(box(b"mpvd", video) if as_box else video)
    return path


def _text_tag(kind: bytes, text: str) -> bytes:
    if kind == b"mluc":
        utf16 = text.encode("utf-16-be")
        return b"mluc" + bytes(4) + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16),
                                                28) + utf16
    return b"text" + bytes(4) + text.encode() + b"\0"


def icc_profile(desc: str, cprt: str = "Copyright MARKER_CPRT") -> bytes:
    """lcms' sRGB profile rebuilt with a planted description, copyright and device text."""
    from PIL import ImageCms

    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    count = struct.unpack(">I", base[128:132])[0]
    blocks = []
    for i in range(count):
        sig, off, size = struct.unpack(">4sII", base[132 + 12 * i : 144 + 12 * i])
        if sig not in (b"desc", b"cprt", b"dmnd", b"dmdd"):
            blocks.append((sig, base[off : off + size]))
    blocks += [(b"desc", _text_tag(b"mluc", desc)), (b"cprt", _text_tag(b"text", cprt)),
               (b"dmdd", _text_tag(b"mluc", "MARKER_ICCMODEL serial 12345"))]
    table = 132 + 12 * len(blocks)
    body, entries = bytearray(), []
    for sig, block in blocks:
        entries.append(struct.pack(">4sII", sig, table + len(body), len(block)))
        body += block + bytes(-len(block) % 4)
    head = bytearray(base[:128])
    head[48:52], head[52:56] = b"MRKA", b"MRKB"  # device maker and model signatures
    out = head + struct.pack(">I", len(blocks)) + b"".join(entries) + body
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)
