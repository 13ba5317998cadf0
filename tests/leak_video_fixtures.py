"""Matroska and AVI files assembled element by element, so a test can plant a marker anywhere.

The coded frames come from real encoders (PyAV writes a small file; its packets and codec
header are taken back out), the containers around them are written here with struct, so
every hiding place (a Void in the EBML header, a GPS-log chunk in ``movi``, bytes after a
``strf``) is one argument away.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import av
import piexif
from PIL import Image

from tests.video_fixtures import ebml, make_video, riff_chunk, riff_list

Hook = Callable[[int, bytes], bytes]


@dataclass
class Coded:
    codec_id: str
    private: bytes
    frames: list[tuple[bytes, bool]]  # (packet, keyframe)
    width: int = 64
    height: int = 48


def encoded(tmp: Path, vcodec: str = "libx264", container: str = "matroska",
            frames: int = 6) -> Coded:
    path = tmp / f"src_{vcodec}.{'avi' if container == 'avi' else 'mkv'}"
    make_video(path, container=container, vcodec=vcodec, acodec=None, frames=frames)
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        private = bytes(stream.codec_context.extradata or b"")
        packets = [(bytes(p), bool(p.is_keyframe)) for p in c.demux(stream) if p.size]
    codec_id = {"libx264": "V_MPEG4/ISO/AVC", "libx265": "V_MPEGH/ISO/HEVC",
                "mjpeg": "V_MJPEG", "libsvtav1": "V_AV1", "mpeg4": "V_MPEG4/ISO/ASP"}[vcodec]
    return Coded(codec_id, private, packets)


def jpeg_with_exif(i: int, marker: str, comment: str) -> bytes:
    """A JPEG frame with EXIF (artist, GPS) and a comment, as old cameras write per frame."""
    img = Image.new("RGB", (64, 48), (20 + 10 * i, 80, 160))
    exif = piexif.dump({"0th": {piexif.ImageIFD.Artist: marker.encode(),
                                piexif.ImageIFD.Make: b"MarkerCam"},
                        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N",
                                piexif.GPSIFD.GPSLatitude: ((48, 1), (51, 1), (2911, 100))}})
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, comment=comment.encode(), quality=90)
    return buf.getvalue()


# -- Matroska --------------------------------------------------------------------------------

def _uint(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def block(track: int, timecode: int, payload: bytes, key: bool = True) -> bytes:
    return bytes([0x80 | track]) + struct.pack(">h", timecode) + bytes([0x80 if key else 0]) + payload


@dataclass
class Mkv:
    """Pieces of a Matroska file; ``build`` writes them with correct sizes."""

    coded: Coded
    ebml_extra: bytes = b""
    info_extra: bytes = b""
    entry_extra: bytes = b""
    video_extra: bytes = b""  # more children of Video
    codec_id: str | None = None
    language: bytes = b"und"
    tracks_extra: bytes = b""
    seekhead_extra: bytes = b""
    level1_extra: bytes = b""
    cluster_extra: bytes = b""
    extra_blocks: list[bytes] = field(default_factory=list)  # raw SimpleBlock payloads
    group_extra: bytes = b""  # added to a BlockGroup wrapping the second frame
    after: bytes = b""  # after the segment
    frame_hook: Hook | None = None

    def build(self) -> bytes:
        c = self.coded
        head = ebml(0x1A45DFA3, ebml(0x4286, b"\x01", 1) + ebml(0x42F7, b"\x01", 1)
                    + ebml(0x4282, b"matroska", 1) + ebml(0x4287, b"\x04", 1)
                    + ebml(0x4285, b"\x02", 1) + self.ebml_extra, 1)
        info = ebml(0x1549A966, ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big"))
                    + ebml(0x4D80, b"builder") + ebml(0x5741, b"builder") + self.info_extra)
        video = ebml(0xE0, ebml(0xB0, _uint(c.width)) + ebml(0xBA, _uint(c.height))
                     + self.video_extra)
        entry = (ebml(0xD7, b"\x01") + ebml(0x73C5, b"\x11\x22\x33\x44\x55\x66\x77\x88")
                 + ebml(0x83, b"\x01") + ebml(0x86, (self.codec_id or c.codec_id).encode())
                 + ebml(0x22B59C, self.language) + video
                 + (ebml(0x63A2, c.private) if c.private else b"") + self.entry_extra)
        tracks = ebml(0x1654AE6B, ebml(0xAE, entry) + self.tracks_extra)
        body = ebml(0xE7, b"\x00")
        for i, (frame, key) in enumerate(c.frames):
            if self.frame_hook is not None:
                frame = self.frame_hook(i, frame)
            if i == 1 and self.group_extra:
                body += ebml(0xA0, ebml(0xA1, block(1, i * 100, frame, False)[:3] + b"\x00"
                                        + frame) + self.group_extra)
            else:
                body += ebml(0xA3, block(1, i * 100, frame, key))
        body += b"".join(ebml(0xA3, b) for b in self.extra_blocks) + self.cluster_extra
        cluster = ebml(0x1F43B675, body)
        seekhead = ebml(0x114D9B74, self.seekhead_extra) if self.seekhead_extra else b""
        segment = ebml(0x18538067, seekhead + info + tracks + self.level1_extra + cluster)
        return head + segment + self.after


# -- AVI ------------------------------------------------------------------------------------

@dataclass
class Avi:
    """Pieces of an AVI file (video stream 0, optional extra streams), with idx1."""

    frames: Sequence[bytes]
    fourcc: bytes = b"MJPG"
    strf_extra: bytes = b""  # after the 40-byte BITMAPINFOHEADER (biSize stays 40)
    extradata: bytes = b""  # codec extradata after the header (counted in biSize)
    strl_extra: bytes = b""
    extra_strl: list[bytes] = field(default_factory=list)  # whole LIST strl chunks
    avih_reserved: bytes = bytes(16)
    odml_extra: bytes = b""
    dmlh_reserved: bytes = bytes(244)
    hdrl_extra: bytes = b""
    top_extra: bytes = b""  # between hdrl and movi
    movi_extra: list[bytes] = field(default_factory=list)  # whole chunks, after the frames
    idx1_extra: bytes = b""
    after: bytes = b""
    #: header fields overwritten: (chunk fourcc, offset in its payload, bytes)
    fields: list[tuple[bytes, int, bytes]] = field(default_factory=list)

    def build(self) -> bytes:
        data = bytearray(self._build())
        for fourcc, offset, value in self.fields:
            at = data.index(fourcc) + 8 + offset
            data[at : at + len(value)] = value
        return bytes(data)

    def _build(self) -> bytes:
        n = len(self.frames)
        streams = 1 + len(self.extra_strl)
        avih = struct.pack("<10I", 100_000, 0, 0, 0x10, n, 0, streams, 0, 64, 48)
        strh = struct.pack("<4s4sIHHIIIIIIII4h", b"vids", self.fourcc, 0, 0, 0, 0, 1, 10, 0, n,
                           0, 0xFFFFFFFF, 0, 0, 0, 64, 48)
        bih = struct.pack("<IiiHH4sIiiII", 40 + len(self.extradata), 64, 48, 1, 24, self.fourcc,
                          64 * 48 * 3, 0, 0, 0, 0) + self.extradata
        strl = riff_list(b"strl", [riff_chunk(b"strh", strh),
                                   riff_chunk(b"strf", bih + self.strf_extra)]
                         + ([self.strl_extra] if self.strl_extra else []))
        odml = riff_list(b"odml", [riff_chunk(b"dmlh", struct.pack("<I", n)
                                              + self.dmlh_reserved)]
                         + ([self.odml_extra] if self.odml_extra else []))
        hdrl = riff_list(b"hdrl", [riff_chunk(b"avih", avih[:40] + self.avih_reserved), strl,
                                   *self.extra_strl, odml]
                         + ([self.hdrl_extra] if self.hdrl_extra else []))
        chunks = [riff_chunk(b"00dc", f) for f in self.frames] + list(self.movi_extra)
        movi = riff_list(b"movi", chunks)
        idx = b""
        pos = 4  # offsets from the 'movi' fourcc
        for ch in chunks:
            size = struct.unpack_from("<I", ch, 4)[0]
            idx += ch[:4] + struct.pack("<III", 0x10, pos, size)
            pos += len(ch)
        body = b"AVI " + hdrl + self.top_extra + movi + riff_chunk(b"idx1", idx + self.idx1_extra)
        return b"RIFF" + struct.pack("<I", len(body)) + body + self.after


def text_strl(codec: bytes = b"GAB2") -> bytes:
    strh = struct.pack("<4s4sIHHIIIIIIII4h", b"txts", codec, 0, 0, 0, 0, 1, 10, 0, 1, 0,
                       0xFFFFFFFF, 0, 0, 0, 0, 0)
    return riff_list(b"strl", [riff_chunk(b"strh", strh), riff_chunk(b"strf", b"")])


def aac_with_data_element(data: bytes, fmt: str, text: bytes) -> bytes:
    """``data`` (a movie) remuxed by PyAV with every AAC frame opened by a data-stream element
    holding ``text`` (decoders skip its bytes: found by the red team); video untouched."""
    assert len(text) < 255
    out = io.BytesIO()
    with av.open(io.BytesIO(data)) as src, av.open(out, "w", format=fmt) as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if not packet.size:
                continue
            raw = bytes(packet)
            if packet.stream.type == "audio":  # ID_DSE, tag 0, no alignment, its byte count
                raw = bytes([0x80, len(text)]) + text + raw
            new = av.Packet(raw)
            new.pts, new.dts, new.time_base = packet.pts, packet.dts, packet.time_base
            new.is_keyframe = packet.is_keyframe
            new.stream = streams[packet.stream.index]
            dst.mux(new)
    return out.getvalue()
