"""Matroska header elements (EBML header, Info, Tracks, Cues, SeekHead) cleaned at the same size.

Each master is rewritten child by child from ``matroska_schema``: kept numbers stay,
ASCII codes keep their code (anything after it zeroed), text and per-file IDs become
Void, MuxingApp/WritingApp become empty, TrackUIDs become the track number, codec
headers are scrubbed by ``matroska_codecs``, unknown elements become Void, Void payloads
are zeroed and CRC-32s recomputed. Tracks other than audio and video (subtitles, data
tracks such as GPS telemetry, menus) are removed whole, with their cue entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from share_guard.core.containers._ebml import (
    KEEP,
    RECURSE,
    VOID,
    Element,
    as_float,
    as_text,
    as_uint,
    blank_element,
    parse_children,
    rewrite_master,
    void,
)
from share_guard.core.containers._patch import PatchPlan
from share_guard.core.containers._tagclass import leftover_text
from share_guard.core.containers.coded_frames import CodecError
from share_guard.core.containers.matroska_codecs import clean_private, frame_codec
from share_guard.core.containers.matroska_schema import (
    BLANK,
    CHILDREN,
    DROP,
    DROPPED_WHY,
    ID_ALPHAMODE,
    ID_CODECID,
    ID_CODECPRIVATE,
    ID_COMPRESSION,
    ID_CONTENTENCODING,
    ID_CONTENTENCODINGS,
    ID_CUEPOINT,
    ID_CUES,
    ID_CUETRACK,
    ID_CUETRACKPOSITIONS,
    ID_ENCRYPTION,
    ID_PROJPRIVATE,
    ID_SEEK,
    ID_SEEKID,
    ID_SEEKPOS,
    ID_TRACKENTRY,
    ID_TRACKNUMBER,
    ID_TRACKS,
    ID_TRACKTYPE,
    ID_TRACKUID,
    ID_VIDEO,
    ID_VOID,
    KEPT_LEVEL1,
    REMOVED_AS,
    UID,
    B,
    F,
    M,
    S,
    leaf_problem,
    neutral_ascii,
    neutral_float,
    uid_value,
)
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category

TRACK_TYPES = {1: N_("video"), 2: N_("audio"), 3: N_("complex"), 0x10: N_("logo"), 0x11: N_("subtitle"),
               0x12: N_("buttons"), 0x20: N_("control"), 0x21: N_("metadata")}
REMOVED_TYPES = {0x10: N_("logo"), 0x11: N_("subtitle"), 0x12: N_("menu (buttons)"), 0x20: N_("control"),
                 0x21: N_("data (telemetry such as GPS)")}
#: binary leaves kept as the decoder's data, with the largest size that makes sense
#: binary leaves kept up to this size (header-stripping settings: the few bytes of a frame
#: header MP3, AC-3 and DTS tracks drop; more is a place to put text)
BINARY_CAPS = {0x2EB524: 4, ID_PROJPRIVATE: 20, 0x4255: 4}
MATROSKA_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


@dataclass
class TrackInfo:
    number: int = 0
    uid_size: int = 0
    type: int = 0
    codec: str = ""
    private: bytes = b""
    alpha: bool = False
    compressed: bool = False
    encrypted: bool = False
    props: dict[str, Any] = field(default_factory=dict)

    def fate(self) -> str:
        """"keep", "remove", or why the file cannot be cleaned."""
        if self.codec.startswith(("S_", "D_", "B_")) or self.type in REMOVED_TYPES:
            return "remove"
        if self.type not in (1, 2):
            return f"a Matroska track of type {TRACK_TYPES.get(self.type, self.type)}"
        if self.encrypted:
            return "an encrypted Matroska track"
        try:
            kind = frame_codec(self.codec, self.private).kind
        except CodecError as exc:
            return str(exc)
        if self.compressed and kind != "plain":
            return "a compressed Matroska track whose frames cannot be checked"
        return "keep"

    def label(self) -> str:
        if self.codec.startswith("S_") or self.type == 0x11:
            return "subtitle"
        return REMOVED_TYPES.get(self.type, "data")


def _props(buf: bytes, start: int, end: int, t: TrackInfo, depth: int = 0) -> None:
    for kid in parse_children(buf, start, end, " in a Matroska track"):
        data = buf[kid.data_offset : kid.end]
        key = {0xB0: "width", 0xBA: "height", 0x7675: "roll", 0x53B8: "stereo",
               0x23E383: "frame_ns", 0x9F: "channels", 0xB5: "rate"}.get(kid.id)
        if kid.id == ID_TRACKNUMBER:
            t.number = as_uint(data)
        elif kid.id == ID_TRACKUID:
            t.uid_size = kid.size
        elif kid.id == ID_TRACKTYPE:
            t.type = as_uint(data)
        elif kid.id == ID_CODECID:
            t.codec = as_text(data)
        elif kid.id == ID_CODECPRIVATE:
            t.private = data
        elif kid.id == ID_ALPHAMODE:
            t.alpha = as_uint(data) == 1
        elif kid.id == ID_COMPRESSION:
            t.compressed = True
        elif kid.id == ID_ENCRYPTION:
            t.encrypted = True
        elif key in ("roll", "rate"):
            t.props[key] = as_float(data)
        elif key is not None:
            t.props[key] = as_uint(data)
        if kid.id in (ID_VIDEO, 0xE1, 0x7670, ID_CONTENTENCODINGS, ID_CONTENTENCODING) and depth < 4:
            _props(buf, kid.data_offset, kid.end, t, depth + 1)


def read_tracks(payload: bytes) -> list[TrackInfo]:
    tracks = []
    for el in parse_children(payload, 0, len(payload), " in the Matroska track list"):
        if el.id == ID_TRACKENTRY:
            t = TrackInfo()
            _props(payload, el.data_offset, el.end, t)
            tracks.append(t)
    return tracks


def date_utc(raw: bytes) -> str:
    ns = int.from_bytes(raw, "big", signed=True) if len(raw) == 8 else 0
    try:
        return (MATROSKA_EPOCH + timedelta(microseconds=ns // 1000)).isoformat()
    except OverflowError:
        return f"{ns} ns after 2001-01-01"


class MasterCleaner:
    """Rewrites header masters at the same size, recording findings in ``plan``."""

    def __init__(self, plan: PatchPlan, tracks: dict[int, TrackInfo] | None = None,
                 level1: dict[int, int] | None = None) -> None:
        self.plan = plan
        self.tracks = tracks or {}  # kept tracks by number
        self.level1 = level1 or {}  # segment-relative offset -> level-1 ID
        self.entry: TrackInfo | None = None

    def clean(self, parent: int, payload: bytes) -> bytes:
        return rewrite_master(payload, self.decide, (parent,))

    def _drop(self, name: str, kind: str, data: bytes, where: str) -> None:
        category, why = DROPPED_WHY.get(name, (Category.OTHER, N_("an item a clean copy does "
                                               "not keep")))
        if name == "DateUTC":
            value = date_utc(data)
        elif kind == S:
            value = as_text(data)
        elif kind == B:
            value = data[:16].hex() + ("..." if len(data) > 16 else "")
        else:
            value = leftover_text(data) or f"{len(data)} bytes"
        self.plan.find(category, where, name, value, why)
        self.plan.remove(REMOVED_AS.get(name, "other header items"))

    def decide(self, path: tuple[int, ...], kid: Element, buf: bytes) -> str | bytes | None:
        parent, data = path[-2], buf[kid.data_offset : kid.end]
        head = buf[kid.offset : kid.data_offset]
        where = {ID_TRACKENTRY: "Matroska track"}.get(parent, "Matroska header")
        if kid.id == ID_VOID:
            if any(data):
                self.plan.find(Category.OTHER, where, N_("padding (Void)"),
                               leftover_text(data) or f"{kid.size} bytes",
                               N_("padding that still holds old data"), bool(leftover_text(data)))
                self.plan.remove("leftover data in padding")
                return void(kid.total)
            return KEEP
        spec = CHILDREN.get(parent, {}).get(kid.id)
        if spec is None:
            self.plan.find(Category.UNKNOWN, where, message(N_("element 0x{id}"), id=f"{kid.id:X}"),
                           leftover_text(data) or f"{kid.size} bytes",
                           N_("an element we do not know (removed)"))
            self.plan.remove("unrecognised elements")
            return VOID
        name, kind, policy = spec
        if policy == DROP:
            self._drop(name, kind, data, where)
            return VOID
        if policy == BLANK:
            if not kid.size:
                return KEEP
            self.plan.find(Category.DEVICE, where, name, as_text(data),
                           N_("names the software (and version) that wrote the file"))
            self.plan.remove("muxing/writing application")
            return blank_element(head[: len(head) - _size_len(head)], kid.total)
        special = self._special(path, kid, data, head)
        if special != "":
            return special
        if kind == M:
            return RECURSE
        problem = leaf_problem(kid.id, kind, data)
        if problem and kind == F and neutral_float(kid.id, data) is not None:
            self.plan.find(Category.OTHER, where, message(N_("{name} (more digits than it needs)"),
                                                          name=name),
                           f"{kid.size} bytes", N_("digits no player needs, where text can hide"),
                           False)
            self.plan.remove("digits numbers do not need")
            return head + neutral_float(kid.id, data)  # type: ignore[operator]
        if problem and kind == S:
            fixed = neutral_ascii(kid.id, data)
            if fixed is not None:
                self.plan.find(Category.OTHER, where, message(N_("{name} (hidden text after it)"), name=name),
                               leftover_text(data) or f"{kid.size} bytes",
                               N_("bytes hidden after a code"))
                self.plan.remove("hidden text after codes")
                return head + fixed
            if kid.id == ID_CODECID or parent not in (ID_TRACKENTRY,):
                raise CorruptFile(message(N_("a Matroska {name} that is not a plain code"), name=name))
        if problem:
            self._drop(name, kind, data, where)
            return VOID
        if policy == UID and self.entry is not None and kid.size:
            if self.entry.number >= 1 << (8 * kid.size):
                raise CorruptFile(N_("a Matroska TrackUID too short for its track number"))
            return head + uid_value(self.entry.number, kid.size)
        return KEEP

    def _special(self, path: tuple[int, ...], kid: Element, data: bytes,
                 head: bytes) -> str | bytes | None:
        """Decisions that depend on more than the element itself ("" when none applies)."""
        parent = path[-2]
        if parent == ID_TRACKS and kid.id == ID_TRACKENTRY:
            entry = TrackInfo()
            _props(data, 0, len(data), entry)
            self.entry = entry
            return RECURSE if entry.number in self.tracks else VOID
        if kid.id == ID_CODECPRIVATE and self.entry is not None:
            try:
                clean, found = clean_private(self.entry.codec, data)
            except CodecError as exc:
                raise CorruptFile(str(exc)) from exc
            if found:
                self.plan.find(Category.DEVICE, "Matroska codec header", ", ".join(found),
                               leftover_text(data) or f"{kid.size} bytes",
                               N_("text the encoder or camera wrote into the codec header"))
                self.plan.remove("text inside codec headers")
            return head + clean if clean != data else KEEP
        if kid.id in BINARY_CAPS:
            return KEEP if kid.size <= BINARY_CAPS[kid.id] and not leaf_problem(
                kid.id, B, data) else VOID
        if parent == ID_CUES and kid.id == ID_CUEPOINT:
            kids = parse_children(data, 0, len(data))
            tracks = [_cue_track(data, k.data_offset, k.end) for k in kids
                      if k.id == ID_CUETRACKPOSITIONS]
            return RECURSE if any(t in self.tracks for t in tracks) else VOID
        if kid.id == ID_CUETRACKPOSITIONS:
            return RECURSE if _cue_track(data, 0, len(data)) in self.tracks else VOID
        if kid.id == ID_SEEK:
            return RECURSE if seek_ok(data, self.level1) else VOID
        return ""


def _size_len(head: bytes) -> int:
    first = head[0]
    id_len = 1 if first & 0x80 else 2 if first & 0x40 else 3 if first & 0x20 else 4
    return len(head) - id_len


def _cue_track(buf: bytes, start: int, end: int) -> int:
    for k in parse_children(buf, start, end):
        if k.id == ID_CUETRACK:
            return as_uint(buf[k.data_offset : k.end])
    return 0


def seek_ok(data: bytes, level1: dict[int, int]) -> bool:
    """A Seek entry that names a kept level-1 element and points at it."""
    fields: dict[int, bytes] = {}
    for k in parse_children(data, 0, len(data)):
        if k.id in fields or k.id not in (ID_SEEKID, ID_SEEKPOS):
            return False
        fields[k.id] = data[k.data_offset : k.end]
    if set(fields) != {ID_SEEKID, ID_SEEKPOS} or not 1 <= len(fields[ID_SEEKID]) <= 4:
        return False
    target = int.from_bytes(fields[ID_SEEKID], "big")
    return target in KEPT_LEVEL1 and level1.get(as_uint(fields[ID_SEEKPOS])) == target
