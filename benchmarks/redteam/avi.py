"""AVI: a RIFF tree editor of its own (the idx1 index kept right) around files PyAV writes;
stream headers and formats, chunks inside movi, camera vendor lists, coded frames."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from . import Case, case, picture
from .bmff import movie, remux
from .jpeg import jpeg, scan_ends, seg


@dataclass
class Chunk:
    fourcc: bytes
    data: bytes = b""
    kind: bytes = b""  # list type for RIFF/LIST
    children: list[Chunk] = field(default_factory=list)

    @property
    def is_list(self) -> bool:
        return self.fourcc in (b"RIFF", b"LIST")

    def encode(self) -> bytes:
        if self.is_list:
            body = self.kind + b"".join(c.encode() for c in self.children)
        else:
            body = self.data
        return self.fourcc + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")

    def find(self, kind: bytes) -> Chunk:
        return next(c for c in self.children if c.kind == kind or (not c.is_list
                                                                    and c.fourcc == kind))

    def lists(self, kind: bytes) -> list[Chunk]:
        return [c for c in self.children if c.is_list and c.kind == kind]


def parse(data: bytes, start: int = 0, end: int | None = None) -> list[Chunk]:
    end = len(data) if end is None else end
    out, pos = [], start
    while pos + 8 <= end:
        fourcc, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if fourcc in (b"RIFF", b"LIST"):
            out.append(Chunk(fourcc, kind=data[pos + 8 : pos + 12],
                             children=parse(data, pos + 12, pos + 8 + size)))
        else:
            out.append(Chunk(fourcc, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return out


@dataclass
class Avi:
    riff: Chunk
    after: bytes = b""

    @classmethod
    def of(cls, data: bytes) -> Avi:
        return cls(parse(data)[0])

    @property
    def hdrl(self) -> Chunk:
        return self.riff.find(b"hdrl")

    @property
    def movi(self) -> Chunk:
        return self.riff.find(b"movi")

    def strl(self, n: int = 0) -> Chunk:
        return self.hdrl.lists(b"strl")[n]

    def encode(self) -> bytes:
        """The file with idx1 rebuilt from the chunks now in movi (offsets from movi's type)."""
        entries, pos = b"", 4
        for c in self.movi.children:
            if not c.is_list and c.fourcc[2:] in (b"dc", b"db", b"wb", b"pc"):
                flags = 0x10 if c.fourcc[2:] != b"wb" else 0x10
                entries += c.fourcc + struct.pack("<III", flags, pos, len(c.data))
            pos += len(c.encode())
        for c in self.riff.children:
            if c.fourcc == b"idx1":
                c.data = entries
        return self.riff.encode() + self.after


def edit(data: bytes, change: Callable[[Avi], None]) -> bytes:
    avi = Avi.of(data)
    change(avi)
    return avi.encode()


def in_movi(extra: list[Chunk], at: int = 1) -> Callable[[Avi], None]:
    def change(avi: Avi) -> None:
        avi.movi.children[at:at] = extra
    return change


def pal8_avi() -> bytes:
    """Raw 8-bit palette video (a 'DIB ' stream with a palette in its format), by ffmpeg's
    palette filters (PyAV cannot convert to pal8)."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pal8.avi"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        "testsrc2=s=64x48:d=0.5:r=6", "-filter_complex",
                        "split[a][b];[a]palettegen=max_colors=16[p];[b][p]paletteuse",
                        "-c:v", "rawvideo", "-pix_fmt", "pal8", "-fflags", "+bitexact",
                        str(out)], check=True, timeout=60)
        return out.read_bytes()


def _even(data: bytes) -> bytes:
    """FFmpeg's reader of Nikon lists skips no pad byte: keep their chunks even-sized."""
    return data + b"\0" * (len(data) & 1)


@case
def avi_cases() -> Iterator[Case]:
    try:
        import av  # noqa: F401
    except ImportError:
        return
    base = movie("avi", vcodec="mjpeg", acodec="pcm_s16le")

    # stream formats and headers with bytes after their fields
    def pcm_cbsize(avi: Avi) -> None:
        strf = avi.strl(1).find(b"strf")
        strf.data = strf.data[:16] + struct.pack("<H", 18) + b"RT_V_PCM_CBSIZE___"
    yield Case("avi-pcm-cbsize", edit(base, pcm_cbsize), ["RT_V_PCM_CBSIZE"], 5)

    def strh_extra(avi: Avi) -> None:
        strh = avi.strl(0).find(b"strh")
        strh.data += b"RT_V_STRH_EXTRA_"
    yield Case("avi-strh-extra", edit(base, strh_extra), ["RT_V_STRH_EXTRA"], 5)

    def vprp(avi: Avi) -> None:
        body = struct.pack("<9I", 0, 0, 25, 64, 48, 0x00040003, 64, 48, 1) \
            + struct.pack("<8I", 48, 64, 48, 64, 0, 0, 0, 0) + b"RT_V_VPRP_EXTRA_"
        avi.strl(0).children.append(Chunk(b"vprp", body))
    yield Case("avi-vprp-extra", edit(base, vprp), ["RT_V_VPRP_EXTRA"], 5)

    def avih_extra(avi: Avi) -> None:
        avih = avi.hdrl.find(b"avih")
        avih.data += b"RT_V_AVIH_EXTRA_"
    yield Case("avi-avih-extra", edit(base, avih_extra), ["RT_V_AVIH_EXTRA"], 5)

    def hints(avi: Avi) -> None:
        strh = avi.strl(0).find(b"strh")
        strh.data = strh.data[:12] + b"RT_V" + strh.data[16:40] + b"HINT" + strh.data[44:]
        avih = avi.hdrl.find(b"avih")
        avih.data = avih.data[:4] + b"RT_VAVIH" + avih.data[12:]
    yield Case("avi-header-hints", edit(base, hints), ["RT_VAVIH"], 6)

    # vendor lists cameras write (Nikon/Canon 'ncdt'), JUNK at the top, strn
    def nikon(avi: Avi) -> None:
        ncdt = Chunk(b"LIST", kind=b"ncdt", children=[
            Chunk(b"nctg", struct.pack("<HH", 0x13, 16) + b"RT_V_NIKON_MAKER"),
            Chunk(b"ncth", _even(jpeg(picture(16, 12), comment=b"RT_V_NIKON_THUMB")))])
        avi.riff.children.insert(1, ncdt)
    yield Case("avi-nikon-ncdt", edit(base, nikon), ["RT_V_NIKON_MAKER", "RT_V_NIKON_THUMB"], 3)

    def junk_top(avi: Avi) -> None:
        avi.riff.children.insert(2, Chunk(b"JUNK", b"RT_V_TOP_JUNK_LEFTOVER__"))
    yield Case("avi-junk-top-level", edit(base, junk_top), ["RT_V_TOP_JUNK"], 4)

    def strn(avi: Avi) -> None:
        avi.strl(0).children.append(Chunk(b"strn", b"RT_V_STREAM_NAME\0"))
    yield Case("avi-strn", edit(base, strn), ["RT_V_STREAM_NAME"], 3)

    # chunks inside movi: a 'rec ' list with a vendor chunk, a palette change
    rec = Chunk(b"LIST", kind=b"rec ", children=[Chunk(b"gps0", b"RT_V_REC_GPSLOG 48.85 2.29")])
    yield Case("avi-rec-list-vendor", edit(base, in_movi([rec])), ["RT_V_REC_GPSLOG"], 3)

    # Motion-JPEG frames: a spare Huffman table, text after the scan
    def frames(change: Callable[[bytes], bytes]) -> Callable[[Avi], None]:
        def apply(avi: Avi) -> None:
            for c in avi.movi.children:
                if not c.is_list and c.fourcc == b"00dc" and c.data:
                    c.data = change(c.data)
        return apply

    def spare_dht(frame: bytes) -> bytes:
        counts = bytearray(16)
        counts[7] = 16
        return frame[:2] + seg(0xC4, bytes([0x13]) + counts + b"RT_V_MJPEG_DHT__") + frame[2:]
    yield Case("avi-mjpeg-spare-dht", edit(base, frames(spare_dht)), ["RT_V_MJPEG_DHT"], 6)

    def scan_tail(frame: bytes) -> bytes:
        end = scan_ends(frame)[-1]
        return frame[:end] + b"RT_V_MJPEG_SCANTAIL" + frame[end:]
    yield Case("avi-mjpeg-scan-tail", edit(base, frames(scan_tail)), ["RT_V_MJPEG_SCANTAIL"], 6)

    # H.264: an SEI in the extradata after BITMAPINFOHEADER; AAC's Lavc banner; MPEG-4 Part 2
    h264 = movie("avi", vcodec="libx264", acodec="aac")

    def extradata_sei(avi: Avi) -> None:
        strf = avi.strl(0).find(b"strf")
        payload = bytes(range(16)) + b"RT_V_EXTRADATA_SEI"
        sei = b"\0\0\0\1\x06\x05" + bytes([len(payload)]) + payload + b"\x80"
        strf.data = struct.pack("<I", 40 + len(strf.data[40:]) + len(sei)) + strf.data[4:] + sei
    yield Case("avi-h264-extradata-sei", edit(h264, extradata_sei), ["RT_V_EXTRADATA_SEI"], 2)
    yield Case("avi-aac-lavc-banner", h264, ["Lavc"], 2)
    yield Case("avi-mpeg4-lavc-userdata", movie("avi", vcodec="mpeg4", acodec=None),
               ["Lavc"], 2)
    dse = remux(h264, "avi", lambda s, n, p: p if s == 0 else bytes([0x80, 14])
                + b"RT_V_AAC_DSE__" + p)
    yield Case("avi-aac-data-element", dse, ["RT_V_AAC_DSE"], 2)

    # raw palette video: palette entries no pixel uses
    pal = pal8_avi()

    def palette(avi: Avi) -> None:
        strf = avi.strl(0).find(b"strf")
        body = bytearray(strf.data)
        head = int.from_bytes(body[0:4], "little")
        at = head + 4 * 200
        body[at : at + 16] = b"RT_V_PAL_UNUSED_"
        strf.data = bytes(body)
    yield Case("avi-palette-unused", edit(pal, palette), ["RT_V_PAL_UNUSED"], 6)

    # what an old compact camera wrote: Motion-JPEG + PCM, INFO, IDIT, a Nikon list
    def camera(avi: Avi) -> None:
        avi.riff.children.insert(2, Chunk(b"LIST", kind=b"INFO", children=[
            Chunk(b"ISFT", b"RT_V_CAMERA_FIRMWARE\0"), Chunk(b"IDIT", b"MON JAN 01 10:00:00 2024\n\0")]))
        nikon(avi)
    yield Case("avi-old-camera", edit(base, camera), ["RT_V_CAMERA_FIRMWARE", "RT_V_NIKON_MAKER"],
               0)
