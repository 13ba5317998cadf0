"""Matroska clusters: every block walked, its frames scrubbed, everything else neutral.

A cluster holds blocks (SimpleBlock, or Block inside a BlockGroup) and a few numbers.
Cleaning a cluster (at most ``CLUSTER_CAP`` bytes) at the same size, as patches:

* blocks of a track that is removed (subtitles, data tracks) or does not exist become
  Void, as do BlockAdditions (except VP8/VP9 alpha planes), SilentTracks, EncryptedBlock
  and unknown elements of the cluster (CodecState and the other deprecated BlockGroup
  children are named, and the byte accounting refuses a copy that holds them);
* each frame (laced frames one by one) is scrubbed by its track's codec: SEI and
  unknown NAL units become filler, JPEG APPn/COM payloads are zeroed;
* Void payloads are zeroed, and CRC-32 elements (of the cluster, of a block group) become
  Void: they are optional and no player checks them, and keeping one means reading every
  byte of the movie twice to recompute it and to prove it (a third of a 1 GB clean).

The cluster is not read whole (a 1 GB movie was read three times over for a clean and its
proof): it is walked through a :class:`FileView` of the file, element and block headers,
the NAL length fields and header bytes of H.264/HEVC frames and the OBU headers of AV1
frames; only units that are not coded data (SEI, parameter sets), frames of other codecs
(audio, Motion-JPEG), Void payloads and small number elements are read.

:func:`account_cluster` walks a clean cluster on its own and files every byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from share_guard.core.containers._ebml import Element, parse_children, void_header
from share_guard.core.containers._patch import Patch
from share_guard.core.containers._tagclass import leftover_text
from share_guard.core.containers.coded_frames import SAMPLE, CodecError, FrameCodec
from share_guard.core.containers.file_view import FileView, View
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
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message

CLUSTER_CAP = 256 * 1024 * 1024
#: Void payloads are checked this much at a time; readable text is sought in this much
READ_CHUNK = 1024 * 1024
TEXT_CAP = 1024 * 1024
#: the first bytes of a block read from a file: track, timecode, flags and lace sizes
HEAD_READ = 256


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

    def wants_sample(self, where: str, what: str) -> bool:
        """True until a sample of text is kept for ``what`` (later ones are not)."""
        return not self.seen.get((where, what), (0, ""))[1]

    def note(self, where: str, what: str, sample: str = "") -> None:
        count, old = self.seen.get((where, what), (0, ""))
        self.seen[(where, what)] = (count + 1, old or sample)


def vint(buf: View, pos: int, end: int) -> tuple[int, int]:
    """(value, length) of a variable-size integer (a block's track number, lace sizes)."""
    if pos >= end or buf[pos] == 0:
        raise CorruptFile(N_("a broken Matroska block header"))
    length = 9 - buf[pos].bit_length()
    if pos + length > end:
        raise CorruptFile(N_("a Matroska block header cut short"))
    if pos + length > len(buf):  # only the first bytes of the block were read
        raise IndexError("past the bytes read")
    value = int.from_bytes(buf[pos : pos + length], "big") & ((1 << (7 * length)) - 1)
    return value, length


def parse_block(buf: View, start: int, end: int) -> tuple[int, int, list[tuple[int, int]]]:
    """(track number, end of the block header incl. lace sizes, frame ranges) of a block."""
    if not isinstance(buf, FileView):
        return _parse_block(buf, start, end)
    # from a file: the header and lace sizes read at once (the whole block only when its
    # lace sizes run past the first bytes: many Xiph-laced frames, audio)
    head = buf[start : min(end, start + HEAD_READ)]
    try:
        track, at, frames = _parse_block(head, 0, end - start)
    except IndexError:
        track, at, frames = _parse_block(bytes(buf[start:end]), 0, end - start)
    return track, start + at, [(start + s, start + e) for s, e in frames]


def _parse_block(buf: bytes | bytearray | memoryview, start: int, end: int
                 ) -> tuple[int, int, list[tuple[int, int]]]:
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


def clean_cluster(buf: View, start: int, end: int, tracks: dict[int, Track], notes: ClusterNotes
                  ) -> list[Patch]:
    """The patches that clean the cluster payload ``buf[start:end]`` (offsets as in ``buf``:
    a :class:`FileView` of the file, so that only headers are read)."""
    patches: list[Patch] = []
    for kid in parse_children(buf, start, end, " in a Matroska cluster"):
        if kid.id == ID_CRC32:
            patches.append(Patch(kid.offset, kid.total, void_header(kid.total)))
        elif kid.id == ID_VOID:
            if not _blank(buf, kid.data_offset, kid.end):
                text = bytes(buf[kid.data_offset : min(kid.end, kid.data_offset + TEXT_CAP)])
                notes.note("Matroska cluster", N_("padding (Void) holding data"), leftover_text(text))
                patches.append(Patch(kid.data_offset, kid.size))
        elif kid.id == ID_SIMPLEBLOCK:
            _clean_block(buf, patches, kid, tracks, notes, kid)
        elif kid.id == ID_BLOCKGROUP:
            _clean_group(buf, patches, kid, tracks, notes)
        else:
            spec = CHILDREN[ID_CLUSTER].get(kid.id)
            if spec is None or spec[2] == DROP or leaf_problem(kid.id, spec[1],
                                                                 bytes(buf[kid.data_offset:kid.end])):
                notes.note("Matroska cluster", spec[0] if spec else message(N_("element 0x{id}"),
                                                                             id=f"{kid.id:X}"))
                patches.append(Patch(kid.offset, kid.total, void_header(kid.total)))
    return patches


def _blank(buf: View, start: int, end: int) -> bool:
    """True when ``buf[start:end]`` is all zeros (read in pieces: a Void can be large)."""
    for pos in range(start, end, READ_CHUNK):
        chunk = bytes(buf[pos : min(end, pos + READ_CHUNK)])
        if chunk.count(0) != len(chunk):
            return False
    return True


def _clean_block(buf: View, patches: list[Patch], el: Element, tracks: dict[int, Track],
                 notes: ClusterNotes, outer: Element) -> bool:
    """Scrub one block's frames; False (and ``outer`` voided) when its track is not kept."""
    track, _, frames = parse_block(buf, el.data_offset, el.end)
    kept = tracks.get(track)
    if kept is None:
        if track not in notes.removed_tracks:
            notes.note("Matroska cluster", message(N_("blocks of track {track}, which is not in "
                                                         "the file"), track=track))
        patches.append(Patch(outer.offset, outer.total, void_header(outer.total)))
        return False
    for s, e in frames:
        try:
            edits, found, held = kept.codec.scrub_span(buf, s, e)
        except CodecError as exc:
            raise CorruptFile(str(exc)) from exc
        sample = ""
        for what in found:  # one sample of text is kept per kind: read for the first only
            if not sample and notes.wants_sample("Matroska frames", what):
                sample = leftover_text(held or bytes(buf[s : min(e, s + SAMPLE)]))
            notes.note("Matroska frames", what, sample)
        patches.extend(edits)
    return True


def _clean_group(buf: View, patches: list[Patch], group: Element, tracks: dict[int, Track],
                 notes: ClusterNotes) -> None:
    kids = parse_children(buf, group.data_offset, group.end, " in a Matroska block group")
    blocks = [k for k in kids if k.id == ID_BLOCK]
    if len(blocks) != 1:
        raise CorruptFile(N_("a Matroska block group without exactly one block"))
    if not _clean_block(buf, patches, blocks[0], tracks, notes, group):
        return
    track = tracks[parse_block(buf, blocks[0].data_offset, blocks[0].end)[0]]
    for kid in kids:
        spec = CHILDREN[ID_BLOCKGROUP].get(kid.id)
        if kid.id == ID_BLOCK:
            continue
        if kid.id == ID_CRC32:
            patches.append(Patch(kid.offset, kid.total, void_header(kid.total)))
        elif kid.id == ID_VOID:
            if not _blank(buf, kid.data_offset, kid.end):
                patches.append(Patch(kid.data_offset, kid.size))
        elif kid.id == ID_BLOCKADDITIONS:
            if not (track.alpha and _alpha_only(buf, kid)):
                notes.note("Matroska block additions", N_("data attached to frames "
                                                        "(BlockAdditions)"))
                patches.append(Patch(kid.offset, kid.total, void_header(kid.total)))
        elif spec is None or spec[2] == DROP or leaf_problem(kid.id, spec[1],
                                                             bytes(buf[kid.data_offset : kid.end])):
            notes.note("Matroska block group", spec[0] if spec else message(N_("element 0x{id}"),
                                                                                id=f"{kid.id:X}"))


def _alpha_only(data: View, additions: Element) -> bool:
    """True when every BlockMore is an alpha plane (BlockAddID 1) and nothing else is there."""
    for more in parse_children(data, additions.data_offset, additions.end):
        if more.id != ID_BLOCKMORE:
            return False
        fields = parse_children(data, more.data_offset, more.end)
        ids = [f.id for f in fields]
        if (set(ids) - {ID_BLOCKADDID, ID_BLOCKADDITIONAL} or ids.count(ID_BLOCKADDITIONAL) != 1
                or ids.count(ID_BLOCKADDID) > 1):
            return False
        add_id = next((int.from_bytes(bytes(data[f.data_offset : f.end]), "big") for f in fields
                       if f.id == ID_BLOCKADDID), ALPHA_ADD_ID)
        if add_id != ALPHA_ADD_ID:
            return False
    return True


# -- accounting ------------------------------------------------------------------------------

def account_cluster(buf: View, start: int, end: int, tracks: dict[int, Track], ledger: Ledger
                    ) -> None:
    """File the clean cluster payload ``buf[start:end]`` (offsets as in ``buf`` and the
    ledger: a :class:`FileView` of the copy, so that only headers are read)."""
    try:
        kids = parse_children(buf, start, end, " in a Matroska cluster")
    except CorruptFile as exc:
        ledger.refuse(start, end, "Matroska cluster", str(exc))
        return
    for kid in kids:
        _account_child(buf, kid, ID_CLUSTER, tracks, ledger)


def _account_child(buf: View, kid: Element, parent: int, tracks: dict[int, Track], ledger: Ledger,
                   alpha: bool = False) -> None:
    what = f"Matroska element 0x{kid.id:X} in 0x{parent:X}"
    if kid.id == ID_VOID:
        ledger.written(kid.offset, kid.data_offset, "Void header")
        for pos in range(kid.data_offset, kid.end, READ_CHUNK):
            stop = min(kid.end, pos + READ_CHUNK)
            ledger.zeroed(buf[pos:stop], pos, stop, "Void", base=pos)
        return
    if kid.id == ID_CRC32:  # a clean copy has none in its clusters (they become Void)
        ledger.refuse(kid.offset, kid.end, what, N_("an element a clean copy does not keep"))
        return
    spec = CHILDREN[parent].get(kid.id)
    if spec is None or spec[2] == DROP:
        ledger.refuse(kid.offset, kid.end, what, N_("an element a clean copy does not keep"))
        return
    ledger.written(kid.offset, kid.data_offset, what)
    if kid.id in (ID_SIMPLEBLOCK, ID_BLOCK):
        _account_block(buf, kid, tracks, ledger)
    elif kid.id == ID_BLOCKADDITIONAL:
        if not alpha:
            ledger.refuse(kid.offset, kid.end, what, N_("a block addition"))
        else:
            ledger.payload(kid.data_offset, kid.end, "alpha plane")
    elif spec[1] == M:
        try:
            subs = parse_children(buf, kid.data_offset, kid.end)
        except CorruptFile as exc:
            ledger.refuse(kid.offset, kid.end, what, str(exc))
            return
        if kid.id == ID_BLOCKGROUP:
            alpha = _group_is_alpha(buf, subs, tracks)
        if kid.id == ID_BLOCKADDITIONS and not (alpha and _alpha_only(buf, kid)):
            ledger.refuse(kid.offset, kid.end, what, N_("block additions"))
            return
        for sub in subs:
            _account_child(buf, sub, kid.id, tracks, ledger, alpha)
    elif problem := leaf_problem(kid.id, spec[1], bytes(buf[kid.data_offset : kid.end])):
        ledger.refuse(kid.offset, kid.end, what, problem)
    else:
        ledger.written(kid.data_offset, kid.end, what)


def _group_is_alpha(buf: View, subs: list[Element], tracks: dict[int, Track]) -> bool:
    for sub in subs:
        if sub.id == ID_BLOCK:
            try:
                track = tracks.get(vint(buf, sub.data_offset, sub.end)[0])
            except CorruptFile:
                return False
            return bool(track and track.alpha)
    return False


def _account_block(buf: View, el: Element, tracks: dict[int, Track], ledger: Ledger) -> None:
    what = "Matroska block"
    try:
        track_no, header_end, frames = parse_block(buf, el.data_offset, el.end)
    except CorruptFile as exc:
        ledger.refuse(el.offset, el.end, what, str(exc))
        return
    track = tracks.get(track_no)
    if track is None:
        ledger.refuse(el.offset, el.end, what, message(N_("a block of track {track_no}, which "
                                                          "the clean copy does not keep"),
                                                       track_no=track_no))
        return
    ledger.written(el.data_offset, header_end, f"{what} header")
    for s, e in frames:
        track.codec.account_span(buf, s, e, ledger, f"track {track_no} frame")
