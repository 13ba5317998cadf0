"""AVI (RIFF): inspect and clean losslessly.

Cleaning neutralises in place instead of re-muxing: every metadata chunk
(INFO lists, strd camera data, strn stream names, IDIT dates, XMP, vendor
chunks) is turned into a JUNK chunk of the same size with a zeroed payload,
and JUNK padding is zeroed. Nothing moves, so the absolute offsets of the
OpenDML indexes (indx/ix##) and the movi-relative offsets of idx1 stay
valid, the stream data is copied byte for byte, and no muxer gets a chance
to write its own name ("Lavf" ISFT) back. Cleaning costs one file copy.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from share_guard.core.containers._patch import Patch, PatchingHandler, PatchPlan
from share_guard.core.containers._tagclass import leftover_text, looks_like_place
from share_guard.core.containers.base import Source
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.report import Category

MAX_DEPTH = 6
# Chunks walked outside 'movi' (whose frames are not walked): real files have a few hundred;
# a million tiny JUNK chunks (10 MB) took 10 s to inspect and 24 s to clean.
MAX_CHUNKS = 100_000
TEXT_CAP = 64 * 1024  # largest INFO value we read
HEADER_CAP = 16 * 1024 * 1024  # largest header chunk we read whole (avih, strh, strf)
JUNK_CHECK_CAP = 1024 * 1024

#: INFO item -> (label, category, identifying)
INFO_ITEMS: dict[bytes, tuple[str, Category, bool]] = {
    b"IART": ("artist", Category.IDENTITY, True),
    b"ICOP": ("copyright", Category.IDENTITY, True),
    b"IENG": ("engineer", Category.IDENTITY, True),
    b"ITCH": ("technician", Category.IDENTITY, True),
    b"ICMS": ("commissioned by", Category.IDENTITY, True),
    b"ISRC": ("source", Category.IDENTITY, True),
    b"ICRD": ("creation date", Category.TIME, True),
    b"IDIT": ("date/time original", Category.TIME, True),
    b"ISMP": ("timecode", Category.TIME, True),
    b"ISFT": ("software", Category.DEVICE, True),
    b"IPRD": ("product", Category.OTHER, True),
    b"INAM": ("title", Category.OTHER, True),
    b"ICMT": ("comment", Category.OTHER, True),
    b"ISBJ": ("subject", Category.OTHER, True),
    b"IKEY": ("keywords", Category.OTHER, True),
    b"IGNR": ("genre", Category.OTHER, True),
    b"ILNG": ("language", Category.OTHER, False),
}
#: chunks that describe the streams and are kept
KEEP_HDRL = {b"avih", b"JUNK"}
KEEP_STRL = {b"strh", b"strf", b"indx", b"vprp", b"JUNK"}
KEEP_TOP = {b"idx1", b"JUNK"}
KEEP_LISTS_HDRL = {b"strl", b"odml"}
AUDIO_TAGS = {1: "pcm", 3: "pcm float", 0x55: "mp3", 0x50: "mp2", 0xFF: "aac", 0x2000: "ac3",
              0x11: "ima adpcm", 0x2: "ms adpcm", 0x6: "alaw", 0x7: "mulaw", 0x161: "wma"}


@dataclass(frozen=True)
class Chunk:
    fourcc: bytes
    offset: int
    size: int  # payload size (for LIST/RIFF it includes the 4-byte list type)
    kind: bytes = b""  # list type for LIST/RIFF

    @property
    def data_offset(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        return self.offset + 8 + self.size

    @property
    def padded_end(self) -> int:
        return self.end + (self.size & 1)


class _Parsed(PatchPlan):
    def neutralise(self, chunk: Chunk, what: str) -> None:
        self.patches.append(Patch(chunk.offset, chunk.size + 8,
                                  b"JUNK" + struct.pack("<I", chunk.size)))
        self.remove(what)


class _Riff:
    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh, self.size, self.count = fh, size, 0

    def read(self, offset: int, length: int) -> bytes:
        self.fh.seek(offset)
        data = self.fh.read(length)
        if len(data) != length:
            raise CorruptFile("the AVI file is truncated")
        return data

    def chunks(self, start: int, end: int) -> Iterator[Chunk]:
        pos = start
        while pos < end:
            if end - pos < 8:
                if any(self.read(pos, end - pos)):
                    raise CorruptFile(f"stray bytes at the end of an AVI list at byte {pos}")
                return
            head = self.read(pos, 12 if end - pos >= 12 else 8)
            fourcc, size = head[:4], struct.unpack_from("<I", head, 4)[0]
            if pos + 8 + size > end:
                raise CorruptFile(
                    f"the AVI file is truncated or corrupt: chunk '{_fcc(fourcc)}' at byte "
                    f"{pos} claims {size} bytes, more than is left"
                )
            kind = b""
            if fourcc in (b"RIFF", b"LIST"):
                if size < 4:
                    raise CorruptFile(f"empty AVI list at byte {pos}")
                kind = head[8:12]
            self.count += 1
            if self.count > MAX_CHUNKS:
                raise LimitExceeded("too many AVI chunks")
            chunk = Chunk(fourcc, pos, size, kind)
            yield chunk
            pos = min(chunk.padded_end, end)


def _fcc(value: bytes) -> str:
    return value.decode("latin-1").strip() or "?"


def _text(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def parse(src: Source) -> _Parsed:
    return src.cached("avi", lambda: _parse(src))


def _parse(src: Source) -> _Parsed:
    r = _Parsed()
    with src.open() as fh:
        riff = _Riff(fh, src.size)
        n = 0
        for top in riff.chunks(0, src.size):
            if top.fourcc != b"RIFF" or top.kind not in (b"AVI ", b"AVIX"):
                if n == 0:
                    raise CorruptFile("not an AVI file")
                r.problems.append(f"unknown data after the AVI at byte {top.offset}")
                continue
            if (n == 0) != (top.kind == b"AVI "):
                raise CorruptFile("AVI extension (AVIX) in the wrong place")
            n += 1
            _riff_body(riff, top, r)
    return r


def _riff_body(riff: _Riff, top: Chunk, r: _Parsed) -> None:
    for ch in riff.chunks(top.data_offset + 4, top.end):
        if ch.fourcc == b"LIST" and ch.kind == b"hdrl" and top.kind == b"AVI ":
            _hdrl(riff, ch, r)
        elif ch.fourcc == b"LIST" and ch.kind == b"movi":
            continue  # the audio and video data: copied untouched
        elif ch.fourcc == b"LIST" and ch.kind == b"INFO":
            _info(riff, ch, r, "AVI INFO")
        elif ch.fourcc == b"JUNK":
            _junk(riff, ch, r)
        elif ch.fourcc in KEEP_TOP:
            continue
        else:
            _other(riff, ch, r, "AVI")


def _hdrl(riff: _Riff, hdrl: Chunk, r: _Parsed) -> None:
    for ch in riff.chunks(hdrl.data_offset + 4, hdrl.end):
        if ch.fourcc == b"avih":
            _avih(riff.read(ch.data_offset, min(ch.size, 56)), r.properties)
        elif ch.fourcc == b"LIST" and ch.kind == b"strl":
            _strl(riff, ch, r)
        elif ch.fourcc == b"LIST" and ch.kind == b"INFO":
            _info(riff, ch, r, "AVI header INFO")
        elif ch.fourcc == b"LIST" and ch.kind in KEEP_LISTS_HDRL:
            continue
        elif ch.fourcc == b"JUNK":
            _junk(riff, ch, r)
        elif ch.fourcc in KEEP_HDRL:
            continue
        elif ch.fourcc == b"IDIT":
            value = _text(riff.read(ch.data_offset, min(ch.size, TEXT_CAP)))
            r.find(Category.TIME, "AVI header", "date/time original", value,
                   "when the video was recorded")
            r.neutralise(ch, "dates")
        else:
            _other(riff, ch, r, "AVI header")


def _strl(riff: _Riff, strl: Chunk, r: _Parsed) -> None:
    kind = b""
    for ch in riff.chunks(strl.data_offset + 4, strl.end):
        if ch.fourcc == b"strh":
            head = riff.read(ch.data_offset, min(ch.size, 8))
            kind = head[:4]
            if kind == b"vids" and len(head) == 8:
                r.properties.setdefault("video_codec", _fcc(head[4:8]))
        elif ch.fourcc == b"strf":
            _strf(riff.read(ch.data_offset, min(ch.size, 40)), kind, r.properties)
        elif ch.fourcc == b"strd":
            r.find(Category.DEVICE, "AVI stream", "strd (camera data)", f"{ch.size} bytes",
                   "vendor data written by the camera, often its make, model and settings")
            r.neutralise(ch, "camera data (strd)")
        elif ch.fourcc == b"strn":
            value = _text(riff.read(ch.data_offset, min(ch.size, TEXT_CAP)))
            r.find(Category.OTHER, "AVI stream", "stream name", value,
                   "a name given to a stream, which may name a file, person or device")
            r.neutralise(ch, "stream names")
        elif ch.fourcc == b"JUNK":
            _junk(riff, ch, r)
        elif ch.fourcc not in KEEP_STRL:
            _other(riff, ch, r, "AVI stream")


def _avih(data: bytes, props: dict[str, Any]) -> None:
    if len(data) < 40:
        raise CorruptFile("the AVI main header is too short")
    usec, _, _, _, frames, _, streams, _, width, height = struct.unpack_from("<10I", data)
    props.update(width=width, height=abs(height), frame_count=frames, streams=streams)
    if usec:
        props["fps"] = round(1e6 / usec, 3)
        props["duration"] = round(frames * usec / 1e6, 3)


def _strf(data: bytes, kind: bytes, props: dict[str, Any]) -> None:
    if kind == b"vids" and len(data) >= 20:
        width, height = struct.unpack_from("<ii", data, 4)
        props["width"], props["height"] = abs(width), abs(height)
        compression = data[16:20]
        if any(compression):
            props["video_codec"] = _fcc(compression)
    elif kind == b"auds" and len(data) >= 2:
        tag = struct.unpack_from("<H", data)[0]
        props["has_audio"] = True
        props.setdefault("audio_codec", AUDIO_TAGS.get(tag, f"0x{tag:04X}"))


def _info(riff: _Riff, lst: Chunk, r: _Parsed, where: str) -> None:
    for ch in riff.chunks(lst.data_offset + 4, lst.end):
        value = _text(riff.read(ch.data_offset, min(ch.size, TEXT_CAP)))
        if not value:
            continue
        label, category, identifying = INFO_ITEMS.get(
            ch.fourcc, (_fcc(ch.fourcc), Category.OTHER, True)
        )
        why = {
            Category.IDENTITY: "names a person or an owner",
            Category.TIME: "a date: when the video was made",
            Category.DEVICE: "names the software or device that made the file",
        }.get(category, "a descriptive text written into the file")
        if looks_like_place(value):
            category, identifying, why = Category.LOCATION, True, "a place: where it was recorded"
        r.find(category, where, f"{label} ({_fcc(ch.fourcc)})", value, why, identifying)
    r.neutralise(lst, "INFO tags")


def _junk(riff: _Riff, ch: Chunk, r: _Parsed) -> None:
    """Padding is meant to be empty; writers leave text (or old data) in it: zero it."""
    if ch.size > JUNK_CHECK_CAP:
        r.patches.append(Patch(ch.data_offset, ch.size))
        return
    data = riff.read(ch.data_offset, ch.size)
    if any(data):
        text = leftover_text(data)
        r.find(Category.OTHER, "AVI JUNK", "padding", text or f"{ch.size} bytes of binary data",
               "padding that holds text, sometimes naming the software" if text
               else "padding holding leftover binary data (zeroed when cleaning)", bool(text))
        r.patches.append(Patch(ch.data_offset, ch.size))
        r.remove("leftover data in padding")


def _other(riff: _Riff, ch: Chunk, r: _Parsed, where: str) -> None:
    name = f"LIST {_fcc(ch.kind)}" if ch.fourcc == b"LIST" else _fcc(ch.fourcc)
    if ch.fourcc == b"_PMX":
        r.find(Category.HIDDEN, where, "XMP", f"{ch.size} bytes",
               "an XMP packet: may hold dates, places, device and edit history")
    else:
        r.find(Category.UNKNOWN, where, f"chunk {name}", f"{ch.size} bytes",
               "vendor or unknown data (cameras put make, model and dates here)")
    r.neutralise(ch, "vendor and unknown chunks")


class AviHandler(PatchingHandler):
    name = "avi"
    mime = "video/x-msvideo"
    extensions = (".avi",)
    priority = 40
    always_kept = ("audio and video data (byte for byte)", "stream headers and indexes")

    def sniff(self, head: bytes) -> bool:
        return head[:4] == b"RIFF" and head[8:12] == b"AVI "

    def plan(self, src: Source) -> PatchPlan:
        return parse(src)


HANDLERS = [AviHandler()]
