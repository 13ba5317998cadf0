"""Matroska / WebM: an EBML writer of its own around frames PyAV encodes, so every element
(and every element a parser skips) can hide something."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from . import Case, case, picture
from .jpeg import jpeg, seg

UNKNOWN = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def vint(n: int) -> bytes:
    return (n | (1 << 56)).to_bytes(8, "big")


def el(eid: int, payload: bytes | int | str) -> bytes:
    if isinstance(payload, int):
        payload = payload.to_bytes(max(1, (payload.bit_length() + 7) // 8), "big")
    elif isinstance(payload, str):
        payload = payload.encode()
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big") + vint(len(payload)) + payload


@dataclass
class Track:
    codec: str  # Matroska codec ID
    kind: int  # 1 video, 2 audio, 17 subtitle
    private: bytes = b""
    frames: list[bytes] = field(default_factory=list)
    keys: list[bool] = field(default_factory=list)
    ms: int = 83  # milliseconds per frame
    extra: bytes = b""  # more children of the TrackEntry
    video: bytes = b""  # more children of Video


def encode(codec: str, kind: str = "video", fmt: str = "matroska", n: int = 12,
           options: dict[str, str] | None = None) -> Track:
    """Frames and codec private data of a short clip encoded by PyAV."""
    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        if kind == "video":
            s = out.add_stream(codec, rate=12, options=options or {})
            s.width, s.height = 64, 48
            s.pix_fmt = "yuv420p"
            for i in range(n):
                for p in s.encode(av.VideoFrame.from_image(picture(seed=9 * i))):
                    out.mux(p)
        else:
            s = out.add_stream(codec, rate=48000)
            if codec != "aac":
                s.format = "s16"
            size = 960 if "opus" in codec else 1152 if codec == "flac" else 1024
            for i in range(n):
                t = (np.arange(size) + i * size) / 48000
                data = (np.sin(2 * np.pi * 330 * t) * 6000).astype(np.int16)[None, :]
                frame = av.AudioFrame.from_ndarray(data.copy(), format="s16", layout="mono")
                frame.sample_rate, frame.pts = 48000, i * size
                for p in s.encode(frame):
                    out.mux(p)
        for p in s.encode():
            out.mux(p)
    with av.open(io.BytesIO(buf.getvalue())) as src:
        stream = src.streams[0]
        private = bytes(stream.codec_context.extradata or b"")
        frames, keys = [], []
        for p in src.demux(stream):
            if p.size:
                frames.append(bytes(p))
                keys.append(bool(p.is_keyframe))
    mkv_id = {"libx264": "V_MPEG4/ISO/AVC", "libx265": "V_MPEGH/ISO/HEVC", "libvpx": "V_VP8",
              "libvpx-vp9": "V_VP9", "libsvtav1": "V_AV1", "mjpeg": "V_MJPEG",
              "libopus": "A_OPUS", "flac": "A_FLAC", "aac": "A_AAC"}[codec]
    return Track(mkv_id, 1 if kind == "video" else 2, private, frames, keys,
                 83 if kind == "video" else 20)


@dataclass
class Mkv:
    tracks: list[Track]
    doctype: str = "matroska"
    header_extra: bytes = b""
    info_extra: bytes = b""
    tracks_extra: bytes = b""
    level1_extra: bytes = b""
    cluster_extra: bytes = b""
    unknown_sizes: bool = False
    block: Callable[[int, int, bytes, bool], bytes] | None = None  # custom block writer
    title: str = ""

    def encode(self) -> bytes:
        header = el(0x1A45DFA3, el(0x4286, 1) + el(0x42F7, 1) + el(0x42F2, 4) + el(0x42F3, 8)
                    + el(0x4282, self.doctype) + el(0x4287, 4) + el(0x4285, 2)
                    + self.header_extra)
        info = el(0x1549A966, el(0x2AD7B1, 1_000_000) + el(0x4D80, "redteam")
                  + el(0x5741, "redteam") + (el(0x7BA9, self.title) if self.title else b"")
                  + self.info_extra)
        entries = b""
        for n, t in enumerate(self.tracks, 1):
            body = el(0xD7, n) + el(0x73C5, n) + el(0x83, t.kind) + el(0x86, t.codec)
            if t.private:
                body += el(0x63A2, t.private)
            if t.kind == 1:
                body += el(0xE0, el(0xB0, 64) + el(0xBA, 48) + t.video)
            elif t.kind == 2:
                body += el(0xE1, el(0xB5, struct.pack(">d", 48000.0)) + el(0x9F, 1))
            entries += el(0xAE, body + t.extra)
        tracks = el(0x1654AE6B, entries + self.tracks_extra)
        blocks = []
        for n, t in enumerate(self.tracks, 1):
            for i, frame in enumerate(t.frames):
                key = t.keys[i] if i < len(t.keys) else True
                blocks.append((i * t.ms, n, frame, key))
        blocks.sort(key=lambda b: (b[0], b[1]))
        body = b"".join((self.block or simple_block)(tc, n, f, k) for tc, n, f, k in blocks)
        cluster = el(0xE7, 0) + body + self.cluster_extra
        if self.unknown_sizes:
            cl = b"\x1f\x43\xb6\x75" + UNKNOWN + cluster
            segment = b"\x18\x53\x80\x67" + UNKNOWN + info + tracks + self.level1_extra + cl
        else:
            segment = el(0x18538067, info + tracks + self.level1_extra + el(0x1F43B675, cluster))
        return header + segment


def simple_block(tc: int, track: int, frame: bytes, key: bool) -> bytes:
    return el(0xA3, bytes([0x80 | track]) + struct.pack(">h", tc) + bytes([0x80 if key else 0])
              + frame)


def group(tc: int, track: int, frame: bytes, extra: bytes = b"") -> bytes:
    block = el(0xA1, bytes([0x80 | track]) + struct.pack(">h", tc) + b"\0" + frame)
    return el(0xA0, block + extra)


@case
def mkv_cases() -> Iterator[Case]:
    try:
        import av  # noqa: F401
    except ImportError:
        return
    h264 = encode("libx264")

    def one(**kw: object) -> bytes:
        return Mkv([h264], **kw).encode()  # type: ignore[arg-type]

    # elements of the header, Info, Tracks a walker may skip or keep
    ext = el(0x4281, el(0x4283, "RT_K_DOCTYPE_EXT") + el(0x4284, 1))
    yield Case("mkv-doctype-extension", one(header_extra=ext), ["RT_K_DOCTYPE_EXT"], 3)
    yield Case("mkv-chapter-translate", one(info_extra=el(0x6924, el(0x69A5, b"RT_K_CHAPTRANS")
                                                          + el(0x69BF, 1))),
               ["RT_K_CHAPTRANS"], 3)
    yield Case("mkv-duration-float", one(info_extra=el(0x4489, b"@RT_KDUR")), ["RT_KDUR"], 6)
    flags = el(0xB9, b"RT_KFLAG") + el(0x6DF8, b"RT_KMAXC")
    t = encode("libx264")
    t.extra = flags
    yield Case("mkv-flag-numbers", Mkv([t]).encode(), ["RT_KFLAG", "RT_KMAXC"], 6)
    yield Case("mkv-void-in-tracks", one(tracks_extra=el(0xEC, b"RT_K_VOID_IN_TRACKS")),
               ["RT_K_VOID_IN_TRACKS"], 4)
    yield Case("mkv-crc32-oversize", one(info_extra=el(0xBF, b"RT_K_CRC32_OVERSIZE")),
               ["RT_K_CRC32_OVERSIZE"], 5)
    t = encode("libx264")
    t.extra = el(0x22B59D, "en-x-RTKLANGPRIV") + el(0x6624, el(0x66FC, b"RT_K_TRACKTRANS")
                                                       + el(0x66BF, 1))
    yield Case("mkv-language-and-translate", Mkv([t]).encode(),
               ["RTKLANGPRIV", "RT_K_TRACKTRANS"], 3)
    t = encode("libx264")
    t.video = el(0x7670, el(0x7671, 0) + el(0x7672, b"\0\0\0\0RT_K_PROJ_PRIVATE"))
    yield Case("mkv-projection-private", Mkv([t]).encode(), ["RT_K_PROJ_PRIVATE"], 5)
    t = encode("libx264")
    t.private = t.private + b"RT_K_AVCC_TAIL"
    yield Case("mkv-codecprivate-tail", Mkv([t]).encode(), ["RT_K_AVCC_TAIL"], 5)
    t = encode("libx264")
    mastering = el(0x55D0, el(0x55D1, b"RT_KMAST") + el(0x55D2, struct.pack(">f", 0.3)))
    t.video = el(0x55B0, el(0x55B1, 1) + mastering)
    yield Case("mkv-mastering-floats", Mkv([t]).encode(), ["RT_KMAST"], 6)

    # blocks: a codec state, an encrypted block, a group with additions on a track without alpha
    def with_state(tc: int, track: int, frame: bytes, key: bool) -> bytes:
        return group(tc, track, frame, el(0xA4, b"RT_K_CODECSTATE") if tc == 0 else b"")
    yield Case("mkv-codec-state", one(block=with_state), ["RT_K_CODECSTATE"], 3)
    yield Case("mkv-encrypted-block", one(cluster_extra=el(0xAF, b"\x81\0\0\0RT_K_ENCBLOCK")),
               ["RT_K_ENCBLOCK"], 3)

    # inside the frames: an access unit delimiter with text; an AV1 metadata OBU
    aud = b"\x09\xf0RT_K_AUD_TEXT"
    t = encode("libx264")
    t.frames = [len(aud).to_bytes(4, "big") + aud + f for f in t.frames]
    yield Case("mkv-h264-aud-payload", Mkv([t]).encode(), ["RT_K_AUD_TEXT"], 2)
    try:
        os.environ.setdefault("SVT_LOG", "1")  # errors only
        av1 = encode("libsvtav1", options={"preset": "12"})
        payload = bytes([4, 0xB5, 0, 0x3B]) + b"RT_K_AV1_T35" + b"\x80"
        meta = bytes([(5 << 3) | 0x02, len(payload)]) + payload
        av1.frames = [_after_first_obu(f, meta) for f in av1.frames]
        yield Case("mkv-av1-metadata-obu", Mkv([av1]).encode(), ["RT_K_AV1_T35"], 2)
    except (av.error.FFmpegError, ValueError):  # type: ignore[attr-defined]
        pass

    # WebM: VP9 frames with text after them; VP8 with alpha additions; Opus private data
    vp9 = encode("libvpx-vp9", fmt="webm")
    vp9.frames = [f + b"RT_K_VP9_TAIL" for f in vp9.frames]
    yield Case("webm-vp9-frame-tail", Mkv([vp9], doctype="webm").encode(), ["RT_K_VP9_TAIL"], 6)
    vp8 = encode("libvpx", fmt="webm")
    vp8.video = el(0x53C0, 1)

    def alpha(tc: int, track: int, frame: bytes, key: bool) -> bytes:
        more = el(0x75A1, el(0xA6, el(0xEE, 1) + el(0xA5, b"RT_K_ALPHA_ADDITION")))
        return group(tc, track, frame, more)
    yield Case("webm-vp8-alpha-addition", Mkv([vp8], doctype="webm", block=alpha).encode(),
               ["RT_K_ALPHA_ADDITION"], 6)
    opus = encode("libopus", kind="audio", fmt="webm")
    opus.private = opus.private + b"RT_K_OPUSHEAD_EXTRA"
    yield Case("webm-opushead-extra", Mkv([vp8, opus], doctype="webm").encode(),
               ["RT_K_OPUSHEAD_EXTRA"], 5)
    flac = encode("flac", kind="audio")
    pic = struct.pack(">II", 3, 10) + b"image/jpeg" + struct.pack(">I", 19) \
        + b"RT_K_FLAC_PICTURE__" + struct.pack(">IIIII", 16, 16, 24, 0, 4) + b"\xff\xd8\xff\xd9"
    flac.private = _flac_with(flac.private, 6, pic)
    yield Case("mkv-flac-picture-block", Mkv([h264, flac]).encode(), ["RT_K_FLAC_PICTURE"], 2)

    # Motion-JPEG with a spare quantisation table in every frame
    mj = Track("V_MJPEG", 1)
    for i in range(6):
        frame = jpeg(picture(seed=i))
        spare = seg(0xDB, bytes([0x03]) + b"RT_K_MJPEG_SPAREDQT".ljust(64, b"_"))
        at = frame.index(b"\xff\xda")
        mj.frames.append(frame[:at] + spare + frame[at:])
        mj.keys.append(True)
    yield Case("mkv-mjpeg-spare-dqt", Mkv([mj]).encode(), ["RT_K_MJPEG_SPAREDQT"], 6)

    # what browsers record: WebM, unknown sizes, VP8 + Opus, the app's name
    rec = Mkv([encode("libvpx", fmt="webm"), encode("libopus", kind="audio", fmt="webm")],
              doctype="webm", unknown_sizes=True)
    data = rec.encode().replace(b"redteam", b"RTCHROM", 2)
    yield Case("webm-browser-recording", data, ["RTCHROM"], 0)
    hevc_flags = encode("libx265", options={"x265-params": "log-level=none"})
    hevc_flags.private = hevc_flags.private[:2] + b"RT_K_FLAGS" + hevc_flags.private[12:]
    yield Case("mkv-hvcc-profile-flags", Mkv([hevc_flags]).encode(), ["RT_K_FLAGS"], 6)

    # what a phone's editor exports: HEVC + AAC in Matroska with a title and tags
    tags = el(0x1254C367, el(0x7373, el(0x63C0, b"") + el(0x67C8, el(0x45A3, "ARTIST")
                                                           + el(0x4487, "RT_K_TAG_ARTIST"))))
    hevc = encode("libx265", options={"x265-params": "log-level=none"})
    yield Case("mkv-hevc-aac-tags", Mkv([hevc, encode("aac", kind="audio")],
                                        title="RT_K_TITLE", level1_extra=tags).encode(),
               ["RT_K_TITLE", "RT_K_TAG_ARTIST"], 0)


def _after_first_obu(frame: bytes, obu: bytes) -> bytes:
    """``frame`` with ``obu`` inserted after its first OBU when that is a sequence header."""
    header = frame[0]
    if (header >> 3) & 0xF != 1 or not header & 0x02:
        return obu + frame
    pos = 1 + (1 if header & 0x04 else 0)
    size, shift = 0, 0
    while True:
        b = frame[pos]
        pos += 1
        size |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return frame[: pos + size] + obu + frame[pos + size :]


def _flac_with(private: bytes, kind: int, body: bytes) -> bytes:
    """FLAC codec private data ("fLaC" + blocks) with one more metadata block, last."""
    if private[:4] != b"fLaC":  # FFmpeg's extradata: the bare STREAMINFO
        private = b"fLaC" + b"\x80" + len(private).to_bytes(3, "big") + private
    blocks, pos = [], 4
    while pos < len(private):
        head = private[pos]
        size = int.from_bytes(private[pos + 1 : pos + 4], "big")
        blocks.append(bytes([head & 0x7F]) + private[pos + 1 : pos + 4 + size])
        pos += 4 + size
    blocks.append(bytes([0x80 | kind]) + len(body).to_bytes(3, "big") + body)
    return b"fLaC" + b"".join(blocks)
