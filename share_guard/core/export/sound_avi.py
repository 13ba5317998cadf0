"""The sound out of an AVI video, in place.

Every audio stream's list (``LIST strl`` with an ``auds`` header) becomes a ``JUNK`` chunk of
the same size, ``avih`` counts the streams that are left, and every chunk of those streams
in ``movi`` (frames and OpenDML ``ix##`` indexes, in the first RIFF and every ``AVIX``)
becomes ``JUNK``; their ``idx1`` entries become neutral ones. Streams are numbered by their
place in the header, so a kept stream that came after an audio one is numbered again
everywhere it is named (its chunks, its index chunks and their ``dwChunkId``, ``idx1``).
"""

from __future__ import annotations

import struct

from share_guard.core.containers.avi_walk import NEUTRAL_IDX1, Chunk, Riff, Walk
from share_guard.core.containers.base import Source
from share_guard.core.containers.inplace import Patch
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.export.sound import Mute
from share_guard.core.i18n import N_

IDX1_CAP = 512 * 1024 * 1024


def _junk(ch: Chunk) -> Patch:
    return Patch(ch.offset, 8 + ch.size, b"JUNK" + struct.pack("<I", ch.size))


def _number(fourcc: bytes) -> int | None:
    if fourcc[:2].isdigit():
        return int(fourcc[:2])
    if fourcc[:2] == b"ix" and fourcc[2:].isdigit():
        return int(fourcc[2:])
    return None


class _Muter:
    def __init__(self, riff: Riff, size: int) -> None:
        self.riff, self.size = riff, size
        self.walk = Walk(size)  # (the walker's chunk limits)
        self.mute = Mute()
        self.audio: set[int] = set()
        self.renumber: dict[int, bytes] = {}

    def chunks(self, start: int, end: int, movi: bool = False) -> list[Chunk]:
        return list(self.riff.chunks(start, end, self.walk, movi))

    def header(self, hdrl: Chunk) -> None:
        avih: Chunk | None = None
        streams: list[Chunk] = []
        kinds: list[bytes] = []
        for ch in self.chunks(hdrl.data_offset + 4, hdrl.end):
            if ch.fourcc == b"avih" and ch.size >= 40:
                avih = ch
            elif ch.fourcc == b"LIST" and ch.kind == b"strl":
                strh = next((c for c in self.chunks(ch.data_offset + 4, ch.end)
                             if c.fourcc == b"strh" and c.size >= 8), None)
                streams.append(ch)
                kinds.append(self.riff.read(strh.data_offset, 4) if strh else b"")
        if avih is None:
            raise CorruptFile(N_("the AVI has no main header"))
        self.audio = {n for n, kind in enumerate(kinds) if kind == b"auds"}
        if not self.audio:
            return
        kept = [n for n in range(len(streams)) if n not in self.audio]
        self.renumber = {old: b"%02d" % new for new, old in enumerate(kept) if old != new}
        for n, strl in enumerate(streams):
            if n in self.audio:
                self.mute.patches.append(_junk(strl))
                self.mute.tracks += 1
            elif n in self.renumber:
                for ch in self.chunks(strl.data_offset + 4, strl.end):
                    if ch.fourcc == b"indx" and ch.size >= 12:  # its dwChunkId
                        self.mute.patches.append(Patch(ch.data_offset + 8, 2, self.renumber[n]))
        self.mute.patches.append(Patch(avih.data_offset + 24, 4, struct.pack("<I", len(kept))))

    def movi(self, lst: Chunk) -> None:
        for ch in self.chunks(lst.data_offset + 4, lst.end, movi=True):
            if ch.fourcc == b"LIST" and ch.kind == b"rec ":
                self.movi(ch)
                continue
            n = _number(ch.fourcc)
            if n in self.audio:
                self.mute.patches.append(_junk(ch))
                self.mute.pieces += ch.fourcc[:2] != b"ix"
            elif n is not None and n in self.renumber:
                digits = self.renumber[n]
                if ch.fourcc[:2] == b"ix":
                    self.mute.patches.append(Patch(ch.offset + 2, 2, digits))
                    if ch.size >= 12:  # the standard index names the stream's chunks too
                        self.mute.patches.append(Patch(ch.data_offset + 8, 2, digits))
                else:
                    self.mute.patches.append(Patch(ch.offset, 2, digits))

    def idx1(self, ch: Chunk) -> None:
        if ch.size > IDX1_CAP:
            raise LimitExceeded(N_("an AVI index larger than 512 MB"))
        data = self.riff.read(ch.data_offset, ch.size)
        for at in range(0, len(data) // 16 * 16, 16):
            n = _number(data[at : at + 4])
            if n in self.audio:
                self.mute.patches.append(Patch(ch.data_offset + at, 16, NEUTRAL_IDX1))
            elif n is not None and n in self.renumber:
                self.mute.patches.append(Patch(ch.data_offset + at, 2, self.renumber[n]))


def plan_avi(src: Source) -> Mute:
    with src.open() as fh:
        m = _Muter(Riff(fh, src.size), src.size)
        first = True
        for top in m.chunks(0, src.size):
            if top.fourcc != b"RIFF" or top.kind not in (b"AVI ", b"AVIX"):
                break
            for ch in m.chunks(top.data_offset + 4, top.end):
                if first and ch.fourcc == b"LIST" and ch.kind == b"hdrl":
                    m.header(ch)
                    if not m.audio:
                        return m.mute
                elif ch.fourcc == b"LIST" and ch.kind == b"movi":
                    m.movi(ch)
                elif first and ch.fourcc == b"idx1":
                    m.idx1(ch)
            first = False
    return m.mute
