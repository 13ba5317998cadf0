"""One walk over an AVI file that says what every byte range of a clean copy must be.

The walker classifies the file into regions: a structure kept as parsed (chunk
headers, avih/strh fields, BITMAPINFOHEADER, index entries that point at the chunk
they name), decoder payload (audio, codec extradata, a palette), a frame to scrub
(Motion-JPEG, H.264/HEVC Annex B), bytes that must be blank (JUNK payloads, reserved
fields, bytes after a header's declared size, pad bytes, data after the RIFF), and
chunks or index entries that must become something else (a chunk nothing plays turned
into JUNK, an index entry for it made neutral).

The cleaner (``avi.plan``) turns those regions into same-size patches; the byte
accounting (``avi.account``) runs the same walk over the *clean copy* and files each
region in a ledger, refusing any region that would still need changing. The walk
re-parses whatever file it is given, so the proof rests on the copy's own bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers.coded_frames import (
    MJPEG_FOURCCS,
    MP4V_FOURCCS,
    NAL_FOURCCS,
    FrameCodec,
)
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.i18n import N_, message

#: WAVEFORMATEX tags of AAC (raw, as FFmpeg and others write it)
AAC_TAGS = frozenset({0x00FF, 0x1610, 0x4143, 0x706D, 0xA106})

MAX_DEPTH = 6
# Chunks walked outside 'movi': real files have a few hundred; a million tiny JUNK chunks
# (10 MB) took 10 s to inspect and 24 s to clean.
MAX_CHUNKS = 20_000
MAX_MOVI_CHUNKS = 5_000_000  # frames and index chunks: 24 h at 30 fps with audio
TEXT_CAP = 64 * 1024
HEADER_CAP = 16 * 1024 * 1024
NEUTRAL_IDX1 = b"JUNK" + bytes(12)


@dataclass(frozen=True)
class Chunk:
    fourcc: bytes
    offset: int
    size: int  # payload size (for LIST/RIFF it includes the 4-byte list type)
    kind: bytes = b""  # list type for LIST/RIFF
    limit: int = 0  # end of the parent: a pad byte never runs past it

    @property
    def data_offset(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        return self.offset + 8 + self.size

    @property
    def padded_end(self) -> int:
        return min(self.end + (self.size & 1), max(self.limit, self.end))


@dataclass(frozen=True)
class Region:
    """``kind``: "w" written, "p" payload, "z" blank, "f" frame (``codec``), "x" must
    become ``new`` (a chunk turned JUNK, a neutral index entry)."""

    kind: str
    start: int
    end: int
    what: str
    codec: FrameCodec | None = None
    new: bytes = b""


@dataclass
class Stream:
    kind: bytes = b""  # vids, auds, txts, mids...
    handler: bytes = b""
    compression: bytes = b""
    format_tag: int = 0  # an audio stream's WAVEFORMATEX wFormatTag
    #: raw indexed video: (palette offset, entries, width, height, bits per pixel)
    palette: tuple[int, int, int, int, int] | None = None

    @property
    def kept(self) -> bool:
        return self.kind in (b"vids", b"auds")

    def codec(self) -> FrameCodec:
        if self.kind == b"auds":
            return FrameCodec("aac") if self.format_tag in AAC_TAGS else FrameCodec()
        if self.kind != b"vids":
            return FrameCodec()
        for fcc in (self.compression, self.handler):
            if fcc in NAL_FOURCCS:
                return FrameCodec("nal", NAL_FOURCCS[fcc], None)
            if fcc in MJPEG_FOURCCS or fcc.upper() == b"MJPG":
                return FrameCodec("jpeg")
            if fcc in MP4V_FOURCCS:
                return FrameCodec("mp4v")
        return FrameCodec()


@dataclass
class Note:
    """Something the walk found that a person should see (inspect turns it into findings)."""

    where: str
    what: str
    chunk: Chunk


@dataclass
class Walk:
    """The regions of one file, the streams, and what was found along the way."""

    size: int
    regions: list[Region] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: movi chunks by offset: (fourcc as kept, payload size)
    movi: dict[int, tuple[bytes, int]] = field(default_factory=dict)
    movi_starts: list[int] = field(default_factory=list)
    pending: list[tuple[str, int, bytes]] = field(default_factory=list)
    chunks: int = 0
    movi_chunks: int = 0
    index_fixed: int = 0  # idx1 entries that pointed at nothing they name
    tail: int = -1  # where data after the last RIFF starts

    def add(self, kind: str, start: int, end: int, what: str, **kw: object) -> None:
        if end > start:
            self.regions.append(Region(kind, start, end, what, **kw))  # type: ignore[arg-type]

    def header(self, ch: Chunk, what: str) -> None:
        self.add("w", ch.offset, ch.data_offset + (4 if ch.fourcc in (b"LIST", b"RIFF") else 0),
                 f"{what} header")

    def pad(self, ch: Chunk) -> None:
        self.add("z", ch.end, ch.padded_end, "pad byte")

    def neutralise(self, ch: Chunk, where: str, what: str) -> None:
        """The whole chunk becomes JUNK with a blank payload."""
        self.notes.append(Note(where, what, ch))
        self.add("x", ch.offset, ch.padded_end, what, new=b"JUNK" + struct.pack("<I", ch.size))

    def blank_chunk(self, ch: Chunk, what: str) -> None:
        self.header(ch, what)
        self.add("z", ch.data_offset, ch.end, what)
        self.pad(ch)


class Riff:
    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh, self.size = fh, size

    def read(self, offset: int, length: int) -> bytes:
        self.fh.seek(offset)
        data = self.fh.read(length)
        if len(data) != length:
            raise CorruptFile(N_("the AVI file is truncated"))
        return data

    def chunks(self, start: int, end: int, w: Walk, movi: bool = False) -> Iterator[Chunk]:
        pos = start
        while pos < end:
            if end - pos < 8:
                w.add("z", pos, end, "bytes at the end of a list")
                return
            head = self.read(pos, 12 if end - pos >= 12 else 8)
            fourcc, size = head[:4], struct.unpack_from("<I", head, 4)[0]
            if pos + 8 + size > end:
                raise CorruptFile(
                    message(N_("the AVI file is truncated or corrupt: chunk '{fcc}' at byte {pos} claims "
                               "{size} bytes, more than is left"),
                            fcc=fcc(fourcc), pos=pos, size=size)
                )
            kind = b""
            if fourcc in (b"RIFF", b"LIST"):
                if size < 4:
                    raise CorruptFile(message(N_("empty AVI list at byte {pos}"), pos=pos))
                kind = head[8:12]
            if movi:
                w.movi_chunks += 1
            else:
                w.chunks += 1
            if w.chunks > MAX_CHUNKS or w.movi_chunks > MAX_MOVI_CHUNKS:
                raise LimitExceeded(N_("too many AVI chunks"))
            chunk = Chunk(fourcc, pos, size, kind, end)
            yield chunk
            pos = chunk.padded_end


def fcc(value: bytes) -> str:
    return value.decode("latin-1").strip() or "?"
