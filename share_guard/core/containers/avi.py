"""AVI (RIFF): inspect and clean losslessly, in place.

Cleaning neutralises in place instead of re-muxing (``avi_structure`` says what every
byte range must be): every metadata chunk (INFO lists, ``strd`` camera data, ``strn``
stream names, ``IDIT`` dates, XMP, vendor and GPS-log chunks, also inside ``movi``,
text/subtitle streams' chunks, chunks for streams that do not exist) becomes a JUNK
chunk of the same size with a zeroed payload; JUNK payloads, reserved header fields,
bytes after a stream format's declared size and data after the RIFF are zeroed;
Motion-JPEG frames lose their EXIF/comments and H.264 frames their SEI, at the same
size. Nothing moves, so the absolute offsets of the OpenDML indexes and the
movi-relative offsets of idx1 stay valid (entries for a chunk that became JUNK are
made neutral), decoded frames and audio are identical, and no muxer gets a chance to
write its own name back. Cleaning costs one file copy plus reading the file.
"""

from __future__ import annotations

import struct
from typing import Any

from share_guard.core.containers._patch import Patch, PatchingHandler, PatchPlan
from share_guard.core.containers._tagclass import leftover_text, looks_like_place
from share_guard.core.containers.avi_structure import walk
from share_guard.core.containers.avi_walk import TEXT_CAP, Chunk, Note, Riff, Walk, fcc
from share_guard.core.containers.base import Source
from share_guard.core.containers.coded_frames import CodecError
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.patch_diff import diff_patches
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category

READ_CHUNK = 8 * 1024 * 1024
FRAME_CAP = 256 * 1024 * 1024

#: INFO item -> (label, category, identifying)
INFO_ITEMS: dict[bytes, tuple[str, Category, bool]] = {
    b"IART": (N_("artist"), Category.IDENTITY, True),
    b"ICOP": (N_("copyright"), Category.IDENTITY, True),
    b"IENG": (N_("engineer"), Category.IDENTITY, True),
    b"ITCH": (N_("technician"), Category.IDENTITY, True),
    b"ICMS": (N_("commissioned by"), Category.IDENTITY, True),
    b"ISRC": (N_("source"), Category.IDENTITY, True),
    b"ICRD": (N_("creation date"), Category.TIME, True),
    b"IDIT": (N_("date/time original"), Category.TIME, True),
    b"ISMP": (N_("timecode"), Category.TIME, True),
    b"ISFT": (N_("software"), Category.DEVICE, True),
    b"IPRD": (N_("product"), Category.OTHER, True),
    b"INAM": (N_("title"), Category.OTHER, True),
    b"ICMT": (N_("comment"), Category.OTHER, True),
    b"ISBJ": (N_("subject"), Category.OTHER, True),
    b"IKEY": (N_("keywords"), Category.OTHER, True),
    b"IGNR": (N_("genre"), Category.OTHER, True),
    b"ILNG": (N_("language"), Category.OTHER, False),
}
AUDIO_TAGS = {1: "pcm", 3: "pcm float", 0x55: "mp3", 0x50: "mp2", 0xFF: "aac", 0x2000: "ac3",
              0x11: "ima adpcm", 0x2: "ms adpcm", 0x6: "alaw", 0x7: "mulaw", 0x161: "wma"}
ZEROED_WHY = {
    "JUNK": N_("padding that holds text, sometimes naming the software"),
    "data after the AVI": N_("bytes after the video that players never read"),
}


class _Parsed(PatchPlan):
    pass


def _text(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def parse(src: Source) -> _Parsed:
    return src.cached("avi", lambda: _parse(src))


def _parse(src: Source) -> _Parsed:
    r = _Parsed()
    with src.open() as fh:
        riff = Riff(fh, src.size)
        w = walk(riff, src.size)
        r.problems.extend(w.problems)
        _properties(riff, w, r.properties)
        for note in w.notes:
            _note(riff, note, r)
        frames: dict[str, tuple[int, str]] = {}
        for region in w.regions:
            if region.kind == "z":
                _blank(riff, region.start, region.end, region.what, r)
            elif region.kind == "x":
                r.patches.append(Patch(region.start, region.end - region.start, region.new))
            elif region.kind == "f" and region.codec is not None:
                data = riff.read(region.start, region.end - region.start)
                try:
                    clean, found = region.codec.scrubbed(data)
                except CodecError as exc:
                    raise CorruptFile(str(exc)) from exc
                for what in found:
                    count, sample = frames.get(what, (0, ""))
                    frames[what] = (count + 1, sample or leftover_text(data[:65536]))
                if clean is not None:
                    r.patches.extend(diff_patches(data, clean, region.start))
        for what, (count, sample) in frames.items():
            category = Category.HIDDEN if what in ("EXIF", "XMP") else Category.DEVICE
            r.find(category, "AVI frames", what, (sample or what) + f" (in {count} frames)",
                   N_("data inside the video stream that players do not show (neutralised in "
                   "place)"))
            r.remove(f"{what} inside frames")
        if w.index_fixed:
            r.find(Category.HIDDEN, "AVI index", N_("index entries"),
                   f"{w.index_fixed} entries point at nothing they name",
                   N_("index entries that could carry data (made neutral)"))
            r.remove("stray index entries")
    return r


def _blank(riff: Riff, start: int, end: int, what: str, r: _Parsed) -> None:
    head = riff.read(start, min(end - start, READ_CHUNK))
    dirty = any(head) or (end - start > len(head) and _any_after(riff, start + len(head), end))
    if not dirty:
        return
    text = leftover_text(head)
    r.find(Category.OTHER if what == "JUNK" else Category.HIDDEN, f"AVI {what}", N_("padding")
           if what == "JUNK" else what, text or f"{end - start} bytes of binary data",
           ZEROED_WHY.get(what, N_("bytes no player reads (zeroed when cleaning)")), bool(text)
           or what != "JUNK")
    r.patches.append(Patch(start, end - start))
    r.remove("leftover data in padding" if what == "JUNK" else what)


def _any_after(riff: Riff, start: int, end: int) -> bool:
    pos = start
    while pos < end:
        n = min(READ_CHUNK, end - pos)
        if any(riff.read(pos, n)):
            return True
        pos += n
    return False


def _note(riff: Riff, note: Note, r: _Parsed) -> None:
    ch, where = note.chunk, note.where
    if ch.fourcc == b"LIST" and ch.kind == b"INFO":
        _info(riff, ch, r, f"{where} INFO")
        r.remove("INFO tags")
        return
    value = _text(riff.read(ch.data_offset, min(ch.size, TEXT_CAP)))
    if ch.fourcc == b"IDIT":
        r.find(Category.TIME, where, N_("date/time original"), value, N_("when the video was recorded"))
        r.remove("dates")
    elif ch.fourcc == b"strd":
        r.find(Category.DEVICE, where, N_("strd (camera data)"), f"{ch.size} bytes",
               N_("vendor data written by the camera, often its make, model and settings"))
        r.remove("camera data (strd)")
    elif ch.fourcc == b"strn":
        r.find(Category.OTHER, where, N_("stream name"), value,
               N_("a name given to a stream, which may name a file, person or device"))
        r.remove("stream names")
    elif ch.fourcc == b"_PMX":
        r.find(Category.HIDDEN, where, N_("XMP"), f"{ch.size} bytes",
               N_("an XMP packet: may hold dates, places, device and edit history"))
        r.remove("vendor and unknown chunks")
    elif note.what != "other":
        r.find(Category.HIDDEN, where, note.what, leftover_text(
            riff.read(ch.data_offset, min(ch.size, TEXT_CAP))) or f"{ch.size} bytes",
               N_("data carried with the video that players do not show"))
        r.remove(note.what)
    else:
        name = f"LIST {fcc(ch.kind)}" if ch.fourcc == b"LIST" else fcc(ch.fourcc)
        sample = leftover_text(riff.read(ch.data_offset, min(ch.size, TEXT_CAP)))
        r.find(Category.UNKNOWN, where, message(N_("chunk {name}"), name=name), sample or f"{ch.size} bytes",
               N_("vendor or unknown data (cameras put make, model, dates and GPS logs here)"))
        r.remove("vendor and unknown chunks")


def _info(riff: Riff, lst: Chunk, r: _Parsed, where: str) -> None:
    w = Walk(riff.size)
    for ch in riff.chunks(lst.data_offset + 4, lst.end, w):
        value = _text(riff.read(ch.data_offset, min(ch.size, TEXT_CAP)))
        if not value:
            continue
        label, category, identifying = INFO_ITEMS.get(
            ch.fourcc, (fcc(ch.fourcc), Category.OTHER, True)
        )
        why = {
            Category.IDENTITY: N_("names a person or an owner"),
            Category.TIME: N_("a date: when the video was made"),
            Category.DEVICE: N_("names the software or device that made the file"),
        }.get(category, N_("a descriptive text written into the file"))
        if looks_like_place(value):
            category, identifying, why = Category.LOCATION, True, N_("a place: where it was recorded")
        r.find(category, where, message(N_("{label} (tag {fcc})"),
                                        label=label, fcc=fcc(ch.fourcc)), value, why, identifying)


def _properties(riff: Riff, w: Walk, props: dict[str, Any]) -> None:
    data = riff.read(32, 40) if riff.size >= 72 else b""
    if len(data) == 40 and riff.read(24, 4) == b"avih":
        usec, _, _, _, frames, _, streams, _, width, height = struct.unpack_from("<10I", data)
        props.update(width=width, height=abs(height), frame_count=frames, streams=streams)
        if usec:
            props["fps"] = round(1e6 / usec, 3)
            props["duration"] = round(frames * usec / 1e6, 3)
    for s in w.streams:
        if s.kind == b"vids":
            codec = s.compression if any(s.compression) else s.handler
            props.setdefault("video_codec", fcc(codec))
        elif s.kind == b"auds":
            props["has_audio"] = True
    props.setdefault("has_audio", False)
    props["streams_kept"] = sum(1 for s in w.streams if s.kept)


def account(src: Source) -> Ledger:
    """File every byte of a clean AVI copy (the walk re-parses the copy itself)."""
    ledger = Ledger(src.size)
    with src.open() as fh:
        riff = Riff(fh, src.size)
        w = walk(riff, src.size)
        for problem in w.problems:
            ledger.refuse(0, src.size, "AVI", problem)
        for g in w.regions:
            if g.kind == "w":
                ledger.written(g.start, g.end, g.what)
            elif g.kind == "p":
                ledger.payload(g.start, g.end, g.what)
            elif g.kind == "z":
                pos = g.start
                while pos < g.end:
                    n = min(READ_CHUNK, g.end - pos)
                    ledger.zeroed(riff.read(pos, n), pos, pos + n, g.what, base=pos)
                    pos += n
            elif g.kind == "f" and g.codec is not None:
                if g.end - g.start > FRAME_CAP:
                    ledger.refuse(g.start, g.end, g.what, N_("a frame too large to check"))
                    continue
                g.codec.account(riff.read(g.start, g.end - g.start), ledger, g.start, g.what)
            else:
                ledger.refuse(g.start, g.end, g.what, N_("a chunk a clean copy does not keep"))
    return ledger


class AviHandler(PatchingHandler):
    name = "avi"
    mime = "video/x-msvideo"
    extensions = (".avi",)
    priority = 40
    accounts = True
    always_kept = ("audio and video frames (decoded identically; metadata inside them "
                   "neutralised)", "stream headers and indexes")

    def sniff(self, head: bytes) -> bool:
        return head[:4] == b"RIFF" and head[8:12] == b"AVI "

    def plan(self, src: Source) -> PatchPlan:
        return parse(src)

    def account(self, src: Source) -> Ledger:
        return account(src)


HANDLERS = [AviHandler()]
