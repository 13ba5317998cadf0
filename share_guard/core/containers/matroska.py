"""Matroska (.mkv) and WebM: inspect and clean losslessly, in place.

Cleaning is not a re-mux. Every element we remove (Tags, Attachments, Chapters,
titles, dates, file names, per-file IDs, track names, encoder settings, subtitle and
data tracks with their blocks, block additions, unknown elements, a second segment)
becomes a Void element of exactly the same size with a zeroed payload; MuxingApp/
WritingApp become empty strings padded with Void; Void payloads and bytes after the
last element are zeroed. Inside the kept audio/video data, metadata the encoder or
camera wrote (H.264/HEVC SEI, Motion-JPEG EXIF/comments, codec-header comments) is
neutralised at the same size (``matroska_codecs``), so decoded frames and audio stay
identical. No byte moves: SeekHead and Cues offsets stay valid, nothing a muxer would
add back can creep in, and cleaning a 1 GB file costs about one file copy plus reading
its headers (clusters are walked in place, see ``matroska_blocks``). CRC-32 elements of
the metadata are recomputed.

``account()`` (``matroska_account``) re-walks the clean copy and proves every byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from share_guard.core.containers._ebml import (
    EbmlFile,
    Element,
    as_float,
    as_text,
    as_uint,
    parse_children,
    read_id,
    read_size,
    void_header,
)
from share_guard.core.containers._patch import Patch, PatchingHandler, PatchPlan
from share_guard.core.containers._tagclass import leftover_text
from share_guard.core.containers.base import Source
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.matroska_blocks import (
    CLUSTER_CAP,
    ClusterNotes,
    Track,
    clean_cluster,
)
from share_guard.core.containers.matroska_codecs import frame_codec
from share_guard.core.containers.matroska_meta import (
    REMOVED_TYPES,
    TRACK_TYPES,
    MasterCleaner,
    TrackInfo,
    read_tracks,
)
from share_guard.core.containers.matroska_schema import (
    ID_ATTACHMENTS,
    ID_CHAPTERS,
    ID_CLUSTER,
    ID_CRC32,
    ID_CUES,
    ID_EBML,
    ID_INFO,
    ID_SEEKHEAD,
    ID_SEGMENT,
    ID_TAGS,
    ID_TRACKS,
    ID_VOID,
    KEPT_LEVEL1,
    REMOVED_LEVEL1,
)
from share_guard.core.containers.matroska_tags import attachments, chapters, tags
from share_guard.core.containers.patch_diff import diff_patches
from share_guard.core.errors import CorruptFile, LimitExceeded, UnsupportedFormat
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category

META_CAP = 16 * 1024 * 1024  # largest Info/Tracks/Tags/Chapters/Cues element we load
SMALL_CAP = 64 * 1024  # largest attachment name/description we load
VOID_CHECK_CAP = 1024 * 1024
MAX_SEGMENTS = 16
MAX_TOP_LEVEL = 4096


@dataclass
class _Parsed(PatchPlan):
    doctype: str = ""
    notes: ClusterNotes = field(default_factory=ClusterNotes)


def doctype_of(head: bytes) -> str | None:
    """DocType from the EBML header in ``head``, or None if it cannot be read."""
    try:
        if not head.startswith(b"\x1a\x45\xdf\xa3"):
            return None
        return EbmlHead(head).doctype
    except CorruptFile:
        return None


class EbmlHead:
    """The EBML header at the start of ``data`` (which may hold more than the header)."""

    def __init__(self, data: bytes) -> None:
        eid, ilen = read_id(data, 0, " in the EBML header")
        size, slen = read_size(data, ilen, " in the EBML header")
        if eid != ID_EBML:
            raise CorruptFile(N_("not a Matroska file: no EBML header"))
        if size is None or ilen + slen + size > len(data):
            raise CorruptFile(N_("the EBML header is cut short or too large"))
        self.doctype = "matroska"
        self.start, self.end = ilen + slen, ilen + slen + size
        for kid in parse_children(data, self.start, self.end, " in the EBML header"):
            if kid.id == 0x4282:
                self.doctype = as_text(data[kid.data_offset : kid.end])


def parse(src: Source) -> _Parsed:
    return src.cached("matroska", lambda: _parse(src))


def _parse(src: Source) -> _Parsed:
    r = _Parsed()
    with src.open() as fh:
        f = EbmlFile(fh, src.size)
        hdr = f.element_at(0, src.size)
        if hdr.id != ID_EBML:
            raise CorruptFile(N_("not a Matroska file: no EBML header"))
        if hdr.size > SMALL_CAP:
            raise LimitExceeded(N_("the EBML header is too large"))
        head = f.read(0, hdr.end)
        r.doctype = EbmlHead(head).doctype
        if r.doctype not in ("matroska", "webm"):
            raise UnsupportedFormat(message(N_("an EBML file of type '{doctype}', not Matroska"),
                                            doctype=r.doctype))
        payload = head[hdr.data_offset :]
        clean = MasterCleaner(r).clean(ID_EBML, payload)
        if clean != payload:
            r.patches.append(Patch(hdr.data_offset, hdr.size, clean.rstrip(b"\0")))
        _top_level(f, hdr.end, src.size, r)
    _notes_to_findings(r)
    r.properties["container"] = r.doctype
    return r


def _top_level(f: EbmlFile, pos: int, size: int, r: _Parsed) -> None:
    segments = top = 0
    while pos < size:
        top += 1  # elements beside the segment: a few in real files, not a million
        if top > MAX_TOP_LEVEL:
            raise LimitExceeded(N_("too many Matroska elements outside the segment"))
        try:
            if size - pos < 2:
                raise CorruptFile(N_("a stray byte"))
            el = f.element_at(pos, size)
        except CorruptFile:
            if not segments:
                raise
            _tail(f, pos, size, r)
            return
        if el.id == ID_SEGMENT and not segments:
            segments = 1
            _segment(f, el, r)
        elif el.id == ID_VOID:
            _void(f, el, r, "Matroska file")
        else:
            what = ("a second EBML header" if el.id == ID_EBML else
                    "a second segment, which players do not show" if el.id == ID_SEGMENT else
                    f"element 0x{el.id:X} outside the segment")
            if not any(f.name == what for f in r.findings):  # one finding per kind, not 4096
                r.find(Category.HIDDEN, "Matroska file", what, f"{el.total} bytes",
                       N_("data players do not show, carried along with the video"))
            r.patches.append(Patch(el.offset, el.total, void_header(el.total)))
            r.remove("data outside the first segment")
        pos = el.end
    if not segments:
        raise CorruptFile(N_("the Matroska file has no segment (truncated?)"))


def _tail(f: EbmlFile, pos: int, size: int, r: _Parsed) -> None:
    """Bytes after the last element that are no element at all: zeroed."""
    data = f.read(pos, min(size - pos, VOID_CHECK_CAP))
    if any(data) or size - pos > len(data):
        r.find(Category.HIDDEN, "Matroska file", N_("data after the end"),
               leftover_text(data) or f"{size - pos} bytes",
               N_("bytes after the video that players never read"))
        r.patches.append(Patch(pos, size - pos))
        r.remove("data after the end of the file")


def _segment(f: EbmlFile, seg: Element, r: _Parsed) -> None:
    seekheads: list[Element] = []
    cues: list[Element] = []
    kept: dict[int, TrackInfo] = {}
    frames: dict[int, Track] = {}
    level1: dict[int, int] = {}
    tracks_seen = False
    for el in f.level1(seg):
        if el.id in KEPT_LEVEL1:
            level1[el.offset - seg.data_offset] = el.id
        if el.id == ID_SEEKHEAD:
            seekheads.append(el)
        elif el.id == ID_INFO:
            _info(f, el, r)
        elif el.id == ID_TRACKS:
            if tracks_seen:
                r.problems.append(N_("two Matroska track lists"))
            tracks_seen = True
            kept = _tracks(f, el, r)
            frames = {n: Track(frame_codec(t.codec, t.private), t.alpha) for n, t in kept.items()}
        elif el.id == ID_CLUSTER:
            if not tracks_seen:
                raise CorruptFile(N_("a Matroska cluster before the track list"))
            _cluster(f, el, frames, r)
        elif el.id == ID_CUES:
            cues.append(el)
        elif el.id in REMOVED_LEVEL1:
            {ID_TAGS: tags, ID_CHAPTERS: chapters, ID_ATTACHMENTS: attachments}[el.id](f, el, r)
            r.patches.append(Patch(el.offset, el.total, void_header(el.total)))
            r.remove(REMOVED_LEVEL1[el.id])
        elif el.id == ID_VOID:
            _void(f, el, r, "Matroska segment")
        elif el.id == ID_CRC32:
            # a CRC over the whole segment cannot survive any edit: drop it
            r.patches.append(Patch(el.offset, el.total, void_header(el.total)))
        else:
            data = f.read(el.data_offset, min(el.size, 4096))
            r.find(Category.UNKNOWN, "Matroska segment", message(N_("element 0x{id}"), id=f"{el.id:X}"),
                   leftover_text(data) or f"{el.size} bytes",
                   N_("an element we do not know: players skip it (removed)"))
            r.patches.append(Patch(el.offset, el.total, void_header(el.total)))
            r.remove("unrecognised elements")
    cleaner = MasterCleaner(r, kept, level1)
    for el in cues + seekheads:
        _master(f, el, r, cleaner, "Cues" if el.id == ID_CUES else "SeekHead")


def _master(f: EbmlFile, el: Element, r: _Parsed, cleaner: MasterCleaner, what: str) -> bytes:
    payload = f.payload(el, META_CAP, what)
    clean = cleaner.clean(el.id, payload)
    if clean != payload:
        r.patches.extend(diff_patches(payload, clean, el.data_offset))
    return payload


def _void(f: EbmlFile, el: Element, r: _Parsed, where: str) -> None:
    if el.size > VOID_CHECK_CAP:
        r.patches.append(Patch(el.data_offset, el.size))  # unchecked: zero it anyway
        return
    data = f.read(el.data_offset, el.size)
    if any(data):
        text = leftover_text(data)
        r.find(Category.OTHER, where, N_("padding (Void)"), text or f"{el.size} bytes",
               N_("padding that still holds old data"), bool(text))
        r.patches.append(Patch(el.data_offset, el.size))
        r.remove("leftover data in padding")


def _info(f: EbmlFile, el: Element, r: _Parsed) -> None:
    payload = _master(f, el, r, MasterCleaner(r), "Info")
    scale, duration = 1_000_000, None
    for kid in parse_children(payload, 0, len(payload)):
        if kid.id == 0x2AD7B1:
            scale = as_uint(payload[kid.data_offset : kid.end]) or 1_000_000
        elif kid.id == 0x4489:
            duration = as_float(payload[kid.data_offset : kid.end])
    if duration is not None:
        r.properties["duration"] = round(duration * scale / 1e9, 3)


def _tracks(f: EbmlFile, el: Element, r: _Parsed) -> dict[int, TrackInfo]:
    payload = f.payload(el, META_CAP, "Tracks")
    tracks = read_tracks(payload)
    kept: dict[int, TrackInfo] = {}
    for t in tracks:
        fate = t.fate()
        if t.number in kept or t.number == 0:
            r.problems.append(N_("two Matroska tracks with the same number"))
        elif fate == "keep":
            kept[t.number] = t
        elif fate == "remove":
            r.notes.removed_tracks.add(t.number)
            label = t.label()
            category = Category.HIDDEN if label.startswith("data") else Category.OTHER
            r.find(category, "Matroska track", message(N_("{label} track"),
                                                       label=label), t.codec or TRACK_TYPES.get(
                t.type, "?"), message(N_("a {label} track carried with the video (removed with its blocks)"),
                                      label=label))
            r.remove(f"{label} tracks")
        else:
            r.problems.append(fate)
    _master(f, el, r, MasterCleaner(r, kept), "Tracks")
    _track_properties(tracks, kept, r.properties)
    return kept


def _cluster(f: EbmlFile, el: Element, kept: dict[int, Track], r: _Parsed) -> None:
    if el.size > CLUSTER_CAP:
        raise LimitExceeded(message(N_("a Matroska cluster of {size} MB, more than {limit} MB"),
                                    size=el.size // 1_000_000, limit=CLUSTER_CAP // 1_000_000))
    r.patches.extend(clean_cluster(f.view, el.data_offset, el.end, kept, r.notes))


def _notes_to_findings(r: _Parsed) -> None:
    for (where, what), (count, sample) in r.notes.seen.items():
        category = (Category.HIDDEN if any(w in what for w in ("EXIF", "XMP", "track", "after"))
                    else Category.DEVICE if any(w in what for w in ("SEI", "NAL", "APP"))
                    else Category.UNKNOWN if what.startswith("element") else Category.OTHER)
        times = f" (in {count} places)" if count > 1 else ""
        r.find(category, where, what, (sample or what) + times,
               N_("data inside the video stream that players do not show (neutralised in place)"))
        r.remove(f"{what} ({where})")


def _track_properties(tracks: list[TrackInfo], kept: dict[int, TrackInfo],
                      props: dict[str, Any]) -> None:
    props["codecs"] = [t.codec or "?" for t in tracks]
    props["tracks"] = [TRACK_TYPES.get(t.type, "unknown") for t in tracks]
    video = [t for t in kept.values() if t.type == 1]
    audio = [t for t in kept.values() if t.type == 2]
    props["has_audio"] = bool(audio)
    if video:
        v = video[0].props
        props["width"], props["height"] = int(v.get("width", 0)), int(v.get("height", 0))
        props["video_codec"] = video[0].codec
        if v.get("roll"):
            # ProjectionPoseRoll is counter-clockwise; we report clockwise display rotation
            props["rotation"] = int(round(-v["roll"] / 90.0)) * 90 % 360
        if v.get("stereo"):
            props["stereo_mode"] = int(v["stereo"])
        if v.get("frame_ns"):
            props["fps"] = round(1e9 / int(v["frame_ns"]), 3)
    if audio:
        props["audio_codec"] = audio[0].codec
    if any(t.type in REMOVED_TYPES for t in tracks):
        props["removed_tracks"] = sum(1 for t in tracks if t.number not in kept)


class MatroskaHandler(PatchingHandler):
    name = "mkv"
    mime = "video/x-matroska"
    extensions: ClassVar[tuple[str, ...]] = (".mkv", ".mka", ".mk3d")
    priority = 40
    accounts = True
    always_kept = ("audio and video frames (decoded identically; metadata inside them "
                   "neutralised)", "track layout, timing and index")

    def sniff(self, head: bytes) -> bool:
        if not head.startswith(b"\x1a\x45\xdf\xa3"):
            return False
        # an unreadable header is claimed here so that inspect explains the damage
        return doctype_of(head) != "webm"

    def plan(self, src: Source) -> PatchPlan:
        return parse(src)

    def kept(self, plan: PatchPlan) -> list[str]:
        kept = list(self.always_kept)
        if "rotation" in plan.properties or "stereo_mode" in plan.properties:
            kept.append(N_("display rotation / stereo mode"))
        return kept

    def account(self, src: Source) -> Ledger:
        from share_guard.core.containers.matroska_account import account

        return account(src)


class WebmHandler(MatroskaHandler):
    name = "webm"
    mime = "video/webm"
    extensions = (".webm",)
    priority = 39

    def sniff(self, head: bytes) -> bool:
        return doctype_of(head) == "webm"


HANDLERS = [WebmHandler(), MatroskaHandler()]
