"""The sound out of a Matroska or WebM video, in place.

Every ``TrackEntry`` of type audio becomes a ``Void`` element of the same size, and so does
every ``SimpleBlock`` and ``BlockGroup`` of those tracks in every cluster, and every cue
position that points at them (a ``CuePoint`` left with none goes whole). A first
``CRC-32`` child of a changed element is computed again. Offsets do not move, so the
``SeekHead`` and the remaining cues stay valid.
"""

from __future__ import annotations

import zlib

from share_guard.core.containers._ebml import (
    KEEP,
    RECURSE,
    VOID,
    EbmlFile,
    Element,
    as_uint,
    parse_children,
    rewrite_master,
    void_header,
)
from share_guard.core.containers.base import Source
from share_guard.core.containers.inplace import Patch
from share_guard.core.containers.matroska import META_CAP
from share_guard.core.containers.matroska_blocks import CLUSTER_CAP, vint
from share_guard.core.containers.matroska_schema import (
    ID_BLOCK,
    ID_BLOCKGROUP,
    ID_CLUSTER,
    ID_CRC32,
    ID_CUEPOINT,
    ID_CUES,
    ID_CUETRACK,
    ID_CUETRACKPOSITIONS,
    ID_EBML,
    ID_SEGMENT,
    ID_SIMPLEBLOCK,
    ID_TRACKENTRY,
    ID_TRACKNUMBER,
    ID_TRACKS,
    ID_TRACKTYPE,
)
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.export.sound import Mute
from share_guard.core.i18n import N_, message

AUDIO = 2  # TrackType


def _child_uint(payload: bytes, el: Element, wanted: int) -> int | None:
    for kid in parse_children(payload, el.data_offset, el.end):
        if kid.id == wanted:
            return as_uint(payload[kid.data_offset : kid.end])
    return None


def plan_matroska(src: Source) -> Mute:
    mute = Mute()
    with src.open() as fh:
        f = EbmlFile(fh, src.size)
        head = f.element_at(0, src.size)
        if head.id != ID_EBML:
            raise CorruptFile(N_("not a Matroska file: no EBML header"))
        segment = f.element_at(head.end, src.size)
        while segment.id != ID_SEGMENT and not segment.unknown_size and segment.end < src.size:
            segment = f.element_at(segment.end, src.size)  # (Void elements before it)
        if segment.id != ID_SEGMENT:
            raise CorruptFile(N_("the Matroska file has no segment"))
        elements = list(f.level1(segment))
        audio: set[int] = set()

        def tracks(path: tuple[int, ...], kid: Element, payload: bytes) -> str | None:
            if path == (ID_TRACKENTRY,) and _child_uint(payload, kid, ID_TRACKTYPE) == AUDIO:
                audio.add(_child_uint(payload, kid, ID_TRACKNUMBER) or 0)
                mute.tracks += 1
                return VOID
            return KEEP

        for el in (e for e in elements if e.id == ID_TRACKS):
            _rewrite(f, el, tracks, mute)
        if not audio:
            return mute

        def cues(path: tuple[int, ...], kid: Element, payload: bytes) -> str | None:
            if path == (ID_CUEPOINT,):
                spots = [k for k in parse_children(payload, kid.data_offset, kid.end)
                         if k.id == ID_CUETRACKPOSITIONS]
                ours = [k for k in spots if _child_uint(payload, k, ID_CUETRACK) in audio]
                return VOID if ours and len(ours) == len(spots) else RECURSE if ours else KEEP
            if path == (ID_CUEPOINT, ID_CUETRACKPOSITIONS):
                return VOID if _child_uint(payload, kid, ID_CUETRACK) in audio else KEEP
            return KEEP

        for el in elements:
            if el.id == ID_CUES:
                _rewrite(f, el, cues, mute)
            elif el.id == ID_CLUSTER:
                _cluster(f, el, audio, mute)
    return mute


def _rewrite(f: EbmlFile, el: Element, decide: object, mute: Mute) -> None:
    payload = f.payload(el, META_CAP, "metadata element")
    new = rewrite_master(payload, decide)  # type: ignore[arg-type]
    if new != payload:
        mute.patches.append(Patch(el.data_offset, el.size, new))


def _track_of(data: bytes, kid: Element) -> int | None:
    if kid.id == ID_SIMPLEBLOCK:
        return vint(data, kid.data_offset, kid.end)[0]
    if kid.id == ID_BLOCKGROUP:
        for sub in parse_children(data, kid.data_offset, kid.end):
            if sub.id == ID_BLOCK:
                return vint(data, sub.data_offset, sub.end)[0]
    return None


def _cluster(f: EbmlFile, el: Element, audio: set[int], mute: Mute) -> None:
    if el.size > CLUSTER_CAP:
        raise LimitExceeded(message(N_("a Matroska cluster of {count} MB"), count=el.size // 1_000_000))
    data = f.read(el.data_offset, el.size)
    kids = parse_children(data, 0, len(data))
    gone = [k for k in kids if _track_of(data, k) in audio]
    if not gone:
        return
    out = bytearray(data)
    for kid in gone:
        mute.patches.append(Patch(el.data_offset + kid.offset, kid.total, void_header(kid.total)))
        out[kid.offset : kid.end] = void_header(kid.total) + bytes(kid.total - len(
            void_header(kid.total)))
    mute.pieces += len(gone)
    crc = kids[0] if kids and kids[0].id == ID_CRC32 and kids[0].size == 4 else None
    if crc is not None:  # the cluster's checksum over what follows it, now changed
        value = zlib.crc32(bytes(out[crc.end :])) & 0xFFFFFFFF
        mute.patches.append(Patch(el.data_offset + crc.data_offset, 4,
                                  value.to_bytes(4, "little")))
