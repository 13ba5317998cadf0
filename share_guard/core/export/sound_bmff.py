"""The sound out of an ISO-BMFF movie (MP4, MOV, 3GP, M4V), in place.

Every ``trak`` whose handler is ``soun`` becomes a ``free`` box of the same size (zeroed),
and so do the fragments' ``traf`` of those tracks and their ``trex`` defaults; the kept
tracks' ``tref`` boxes go too (as when the cleaner drops a track: a reference would
dangle). Every byte an audio sample occupies in ``mdat`` is zeroed; a byte shared with a
kept sample refuses the copy.
"""

from __future__ import annotations

from share_guard.core.containers.base import Source
from share_guard.core.containers.bmff_boxes import (
    Box,
    Buffer,
    free_header,
    read_box_tree,
    walk_top,
)
from share_guard.core.containers.bmff_samples import (
    fragment_samples,
    track_samples,
    trex_defaults,
)
from share_guard.core.containers.inplace import Patch
from share_guard.core.errors import CorruptFile
from share_guard.core.export.sound import Mute, zero_ranges
from share_guard.core.i18n import N_

FRAGMENT_READ = 16 * 1024 * 1024


def _free(box: Box) -> Patch:
    return Patch(box.start, box.size, free_header(box.size))


def _track_id(buf: Buffer, trak: Box) -> int:
    tkhd = trak.find(b"tkhd")
    if tkhd is None or tkhd.payload_size < 24:
        raise CorruptFile(N_("a track has no header"))
    version = buf.u8(tkhd.payload_start)
    return buf.u32(tkhd.payload_start + (20 if version else 12))


def _handler(buf: Buffer, trak: Box) -> bytes:
    hdlr = trak.find(b"mdia", b"hdlr")
    if hdlr is None or hdlr.payload_size < 12:
        return b""
    return buf.get(hdlr.payload_start + 8, 4)


def plan_bmff(src: Source) -> Mute:
    mute = Mute()
    audio: set[int] = set()
    gone: list[tuple[int, int]] = []
    kept: list[tuple[int, int]] = []
    with src.open() as fh:
        top = walk_top(fh, src.size)
        moovs = [b for b in top.boxes if b.type == b"moov"]
        if len(moovs) != 1:
            raise CorruptFile(N_("the movie has no single header ('moov')"))
        moov = moovs[0]
        buf = read_box_tree(fh, moov)
        traks = moov.all(b"trak")
        for trak in traks:
            stbl = trak.find(b"mdia", b"minf", b"stbl")
            ranges = [(s[0], s[1]) for s in track_samples(buf, stbl)] if stbl else []
            if _handler(buf, trak) == b"soun":
                audio.add(_track_id(buf, trak))
                mute.patches.append(_free(trak))
                mute.tracks += 1
                mute.pieces += len(ranges)
                gone += ranges
            else:
                kept += ranges
        if not audio:
            return mute
        for trak in traks:
            tref = trak.find(b"tref")
            if tref is not None and _handler(buf, trak) != b"soun":
                mute.patches.append(_free(tref))  # as the cleaner does for a dropped track
        mvex = moov.find(b"mvex")
        for trex in mvex.all(b"trex") if mvex is not None else []:
            if trex.payload_size >= 8 and buf.u32(trex.payload_start + 4) in audio:
                mute.patches.append(_free(trex))
        defaults = trex_defaults(buf, mvex)
        for moof in (b for b in top.boxes if b.type == b"moof"):
            mbuf = read_box_tree(fh, moof, FRAGMENT_READ)
            for traf in moof.all(b"traf"):
                tfhd = traf.find(b"tfhd")
                if tfhd is not None and tfhd.payload_size >= 8 and \
                        mbuf.u32(tfhd.payload_start + 4) in audio:
                    mute.patches.append(_free(traf))
            for tid, samples in fragment_samples(mbuf, moof, defaults).items():
                ranges = [(s[0], s[1]) for s in samples]
                if tid in audio:
                    mute.pieces += len(ranges)
                    gone += ranges
                else:
                    kept += ranges
    mute.patches += zero_ranges(gone, kept)
    return mute

