"""Matroska clusters: every block walked, its frames scrubbed, everything else neutral.

A cluster holds blocks (SimpleBlock, or Block inside a BlockGroup) and a few numbers.
Cleaning a cluster in memory (at most ``CLUSTER_CAP`` bytes), at the same size:

* blocks of a track that is removed (subtitles, data tracks) or does not exist become
  Void, as do BlockAdditions (except VP8/VP9 alpha planes), CodecState and the other
  deprecated BlockGroup children, SilentTracks, EncryptedBlock and unknown elements;
* each frame (laced frames one by one) is scrubbed by its track's codec: SEI and
  unknown NAL units become filler, JPEG APPn/COM payloads are zeroed;
* Void payloads are zeroed, and CRC-32 elements (of the cluster, of a block group) become
  Void: they are optional and no player checks them, and keeping one means reading every
  byte of the movie twice to recompute it and to prove it (a third of a 1 GB clean).

:func:`account_cluster` walks a clean cluster on its own and files every byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from share_guard.core.containers._ebml import Element, parse_children, void, void_header
from share_guard.core.containers._patch import Patch
from share_guard.core.containers._tagclass import leftover_text
from share_guard.core.containers.coded_frames import CodecError, FrameCodec
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.matroska_schema import (
    ALPHA_ADD_ID,
    CHILDREN,
    DROP,
    ID_BLOCK,
    ID_BLOCKADDID,
    ID_BLOCKADDITIONAL,
    ID_BLOCKADDITIONS,
    ID_BLOCKGROUP,
    ID_BLOCKMORE,
    ID_CLUSTER,
    ID_CRC32,
    ID_SIMPLEBLOCK,
    ID_VOID,
    M,
    leaf_problem,
)
from share_guard.core.containers.patch_diff import diff_patches
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message

CLUSTER_CAP = 256 * 1024 * 1024


@dataclass(frozen=True)
class Track:
    """What a cluster walker needs to know about a kept track."""

    codec: FrameCodec
    alpha: bool = False


@dataclass
class ClusterNotes:
    """What the clusters held: (where, what) -> [count, sample]; orphan track numbers."""

    seen: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    removed_tracks: set[int] = field(default_factory=set)

    def note(self, where: str, what: str, sample: str = "") -> None:
        count, old = self.seen.get((where, what), (0, ""))
        self.seen[(where, what)] = (count + 1, old or sample)


def vint(buf: bytes | bytearray, pos: int, end: int) -> tuple[int, int]:
    """(value, length) of a variable-size integer (a block's track number, lace sizes)."""
    if pos >= end or buf[pos] == 0:
        raise CorruptFile(N_("a broken Matroska block header"))
    length = 9 - buf[pos].bit_length()
    if pos + length > end:
        raise CorruptFile(N_("a Matroska block header cut short"))
    value = int.from_bytes(buf[pos : pos + length], "big") & ((1 << (7 * length)) - 1)
    return value, length


def parse_block(buf: bytes | bytearray, start: int, end: int) -> tuple[int, int, list[tuple[int, int]]]:
    """(track number, end of the block header incl. lace sizes, frame ranges) of a block."""
    track, tlen = vint(buf, start, end)
    pos = start + tlen + 3
    if pos > end:
        raise CorruptFile(N_("a Matroska block header cut short"))
    lacing = (buf[pos - 1] >> 1) & 3
    if lacing == 0:
        return track, pos, [(pos, end)]
    if pos >= end:
        raise CorruptFile(N_("a laced Matroska block cut short"))
    count = buf[pos] + 1
    pos += 1
    sizes: list[int] = []
    if lacing == 1:  # Xiph
        for _ in range(count - 1):
            size = 0
            while pos < end and buf[pos] == 255:
                size, pos = size + 255, pos + 1
            if pos >= end:
                raise CorruptFile(N_("a laced Matroska block cut short"))
            sizes.append(size + buf[pos])
            pos += 1
    elif lacing == 3:  # EBML
        first, n = vint(buf, pos, end)
        sizes.append(first)
        pos += n
        for _ in range(count - 2):
            raw, n = vint(buf, pos, end)
            sizes.append(sizes[-1] + raw - ((1 << (7 * n - 1)) - 1))
            pos += n
    else:  # fixed
        if (end - pos) % count:
            raise CorruptFile(N_("a Matroska block whose frames do not divide it evenly"))
        sizes = [(end - pos) // count] * (count - 1)
    last = end - pos - sum(sizes)
    if last < 0 or any(s < 0 for s in sizes):
        raise CorruptFile(N_("a laced Matroska block whose sizes do not fit"))
    frames, at = [], pos
    for size in [*sizes, last]:
        frames.append((at, at + size))
        at += size
    return track, pos, frames


class _Edits:
    """A cluster payload copied only when something in it changes (most clusters do not:
    copying every one cost a 1 GB file two extra seconds)."""

    def __init__(self, orig: bytes) -> None:
        self.orig = orig
        self.buf: bytearray | None = None

    def __setitem__(self, key: slice, value: bytes | bytearray) -> None:
        if self.buf is None:
            self.buf = bytearray(self.orig)
        self.buf[key] = value

    def __getitem__(self, key: slice) -> bytes | bytearray:
        return self.current()[key]

    def __len__(self) -> int:
        return len(self.orig)

    def current(self) -> bytes | bytearray:
        return self.orig if self.buf is None else self.buf


def clean_cluster(orig: bytes, base: int, tracks: dict[int, Track], notes: ClusterNotes
                  ) -> list[Patch]:
    """The patches that clean a cluster payload read from file offset ``base``."""
    data = _Edits(orig)
    crcs: list[Element] = []
    kids = parse_children(orig, 0, len(orig), " in a Matroska cluster")
    for kid in kids:
        if kid.id == ID_CRC32:
            crcs.append(kid)
        elif kid.id == ID_VOID:
            if any(data[kid.data_offset : kid.end]):
                notes.note("Matroska cluster", N_("padding (Void) holding data"),
                           leftover_text(orig[kid.data_offset : kid.end]))
                data[kid.data_offset : kid.end] = bytes(kid.size)
        elif kid.id == ID_SIMPLEBLOCK:
            _clean_block(orig, data, kid, tracks, notes, kid)
        elif kid.id == ID_BLOCKGROUP:
            _clean_group(orig, data, kid, tracks, notes)
        else:
            spec = CHILDREN[ID_CLUSTER].get(kid.id)
            if spec is None or spec[2] == DROP or leaf_problem(kid.id, spec[1],
                                                                 bytes(data[kid.data_offset:kid.end])):
                notes.note("Matroska cluster", spec[0] if spec else message(N_("element 0x{id}"),
                                                                             id=f"{kid.id:X}"))
                data[kid.offset : kid.end] = void(kid.total)
    if data.buf is None:  # most clusters: only their CRC-32 changes, patched directly
        return [Patch(base + kid.offset, kid.total, void_header(kid.total)) for kid in crcs]
    for kid in crcs:
        data[kid.offset : kid.end] = void(kid.total)
    return diff_patches(orig, data.buf, base)


def _clean_block(orig: bytes, data: _Edits, el: Element, tracks: dict[int, Track], notes: ClusterNotes,
                 outer: Element) -> bool:
    """Scrub one block's frames; False (and ``outer`` voided) when its track is not kept."""
    track, _, frames = parse_block(orig, el.data_offset, el.end)
    kept = tracks.get(track)
    if kept is None:
        if track not in notes.removed_tracks:
            notes.note("Matroska cluster", message(N_("blocks of track {track}, which is not in "
                                                         "the file"), track=track))
        data[outer.offset : outer.end] = void(outer.total)
        return False
    for s, e in frames:
        try:
            clean, found = kept.codec.scrubbed(memoryview(orig)[s:e])
        except CodecError as exc:
            raise CorruptFile(str(exc)) from exc
        for what in found:
            notes.note("Matroska frames", what, leftover_text(orig[s : min(e, s + 65536)]))
        if clean is not None:
            data[s:e] = clean
    return True


def _clean_group(orig: bytes, data: _Edits, group: Element, tracks: dict[int, Track],
                 notes: ClusterNotes) -> None:
    kids = parse_children(orig, group.data_offset, group.end, " in a Matroska block group")
    blocks = [k for k in kids if k.id == ID_BLOCK]
    if len(blocks) != 1:
        raise CorruptFile(N_("a Matroska block group without exactly one block"))
    if not _clean_block(orig, data, blocks[0], tracks, notes, group):
        return
    track = tracks[parse_block(orig, blocks[0].data_offset, blocks[0].end)[0]]
    for kid in kids:
        spec = CHILDREN[ID_BLOCKGROUP].get(kid.id)
        payload = bytes(data[kid.data_offset : kid.end])
        if kid.id == ID_BLOCK:
            continue
        if kid.id == ID_CRC32:
            data[kid.offset : kid.end] = void(kid.total)
        elif kid.id == ID_VOID:
            data[kid.data_offset : kid.end] = bytes(kid.size)
        elif kid.id == ID_BLOCKADDITIONS:
            if not (track.alpha and _alpha_only(orig, kid)):
                notes.note("Matroska block additions", N_("data attached to frames "
                                                        "(BlockAdditions)"))
                data[kid.offset : kid.end] = void(kid.total)
        elif spec is None or spec[2] == DROP or leaf_problem(kid.id, spec[1], payload):
            notes.note("Matroska block group", spec[0] if spec else message(N_("element 0x{id}"),
                                                                                id=f"{kid.id:X}"))


def _alpha_only(data: bytes | bytearray, additions: Element) -> bool:
    """True when every BlockMore is an alpha plane (BlockAddID 1) and nothing else is there."""
    for more in parse_children(data, additions.data_offset, additions.end):
        if more.id != ID_BLOCKMORE:
            return False
        fields = parse_children(data, more.data_offset, more.end)
        ids = [f.id for f in fields]
        if (set(ids) - {ID_BLOCKADDID, ID_BLOCKADDITIONAL} or ids.count(ID_BLOCKADDITIONAL) != 1
                or ids.count(ID_BLOCKADDID) > 1):
            return False
        add_id = next((int.from_bytes(data[f.data_offset : f.end], "big") for f in fields
                       if f.id == ID_BLOCKADDID), ALPHA_ADD_ID)
        if add_id != ALPHA_ADD_ID:
            return False
    return True


# -- accounting ------------------------------------------------------------------------------

def account_cluster(data: bytes, base: int, tracks: dict[int, Track], ledger: Ledger) -> None:
    """File a clean cluster payload (``data`` starts at file offset ``base``)."""
    try:
        kids = parse_children(data, 0, len(data), " in a Matroska cluster")
    except CorruptFile as exc:
        ledger.refuse(base, base + len(data), "Matroska cluster", str(exc))
        return
    for kid in kids:
        _account_child(data, kid, ID_CLUSTER, base, tracks, ledger)


def _account_child(data: bytes, kid: Element, parent: int, base: int,
                   tracks: dict[int, Track], ledger: Ledger, alpha: bool = False) -> None:
    what = f"Matroska element 0x{kid.id:X} in 0x{parent:X}"
    head_end = base + kid.data_offset
    if kid.id == ID_VOID:
        ledger.written(base + kid.offset, head_end, "Void header")
        ledger.zeroed(data, head_end, base + kid.end, "Void", base=base)
        return
    if kid.id == ID_CRC32:  # a clean copy has none in its clusters (they become Void)
        ledger.refuse(base + kid.offset, base + kid.end, what, N_("an element a clean copy "
                                                                  "does not keep"))
        return
    spec = CHILDREN[parent].get(kid.id)
    if spec is None or spec[2] == DROP:
        ledger.refuse(base + kid.offset, base + kid.end, what, N_("an element a clean copy "
                      "does not keep"))
        return
    ledger.written(base + kid.offset, head_end, what)
    if kid.id in (ID_SIMPLEBLOCK, ID_BLOCK):
        _account_block(data, kid, base, tracks, ledger)
    elif kid.id == ID_BLOCKADDITIONAL:
        if not alpha:
            ledger.refuse(base + kid.offset, base + kid.end, what, N_("a block addition"))
        else:
            ledger.payload(head_end, base + kid.end, "alpha plane")
    elif spec[1] == M:
        try:
            subs = parse_children(data, kid.data_offset, kid.end)
        except CorruptFile as exc:
            ledger.refuse(base + kid.offset, base + kid.end, what, str(exc))
            return
        if kid.id == ID_BLOCKGROUP:
            alpha = _group_is_alpha(data, subs, tracks)
        if kid.id == ID_BLOCKADDITIONS and not (alpha and _alpha_only(data, kid)):
            ledger.refuse(base + kid.offset, base + kid.end, what, N_("block additions"))
            return
        for sub in subs:
            _account_child(data, sub, kid.id, base, tracks, ledger, alpha)
    elif leaf_problem(kid.id, spec[1], data[kid.data_offset : kid.end]):
        ledger.refuse(base + kid.offset, base + kid.end, what, leaf_problem(
            kid.id, spec[1], data[kid.data_offset : kid.end]))
    else:
        ledger.written(head_end, base + kid.end, what)


def _group_is_alpha(data: bytes, subs: list[Element], tracks: dict[int, Track]) -> bool:
    for sub in subs:
        if sub.id == ID_BLOCK:
            try:
                track = tracks.get(vint(data, sub.data_offset, sub.end)[0])
            except CorruptFile:
                return False
            return bool(track and track.alpha)
    return False


def _account_block(data: bytes, el: Element, base: int, tracks: dict[int, Track],
                   ledger: Ledger) -> None:
    what = "Matroska block"
    try:
        track_no, header_end, frames = parse_block(data, el.data_offset, el.end)
    except CorruptFile as exc:
        ledger.refuse(base + el.offset, base + el.end, what, str(exc))
        return
    track = tracks.get(track_no)
    if track is None:
        ledger.refuse(base + el.offset, base + el.end, what, message(N_("a block of track {track_no}, which "
                                                                        "the clean copy does not keep"),
                                                                     track_no=track_no))
        return
    ledger.written(base + el.data_offset, base + header_end, f"{what} header")
    view = memoryview(data)
    for s, e in frames:
        track.codec.account(view[s:e], ledger, base + s, f"track {track_no} frame")
