"""Matroska (.mkv) and WebM: inspect and clean losslessly.

Cleaning is done in place, not by re-muxing. Every element we remove (Tags,
Attachments, Chapters, Info Title/DateUTC/file names, track names) becomes a
Void element of exactly the same size with a zeroed payload, and Muxing/
WritingApp become empty strings padded with Void. No byte moves, so SeekHead
and Cues offsets stay valid without being rewritten, every cluster (hence
every audio/video packet) is copied byte for byte, and nothing a muxer would
add back (libavformat writes "Lavf" apps, an ENCODER tag, fresh Cues, and
re-derives colour/projection elements from its own model of the stream) can
creep in. It also makes cleaning a 1 GB file cost about one file copy.
CRC-32 elements in rewritten masters are recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from share_guard.core.containers._ebml import (
    ID_CRC32,
    ID_EBML,
    ID_SEGMENT,
    ID_VOID,
    KEEP,
    LEVEL1,
    MAX_DEPTH,
    RECURSE,
    VOID,
    EbmlFile,
    Element,
    as_float,
    as_text,
    as_uint,
    blank_element,
    parse_children,
    read_id,
    read_size,
    rewrite_master,
    void,
    void_header,
)
from share_guard.core.containers._patch import Patch, PatchingHandler, PatchPlan
from share_guard.core.containers._tagclass import classify_tag, leftover_text
from share_guard.core.containers.base import Source
from share_guard.core.errors import CorruptFile, LimitExceeded, UnsupportedFormat
from share_guard.core.report import Category

META_CAP = 16 * 1024 * 1024  # largest Info/Tracks/Tags/Chapters element we load
SMALL_CAP = 64 * 1024  # largest attachment name/description we load
MAX_SEGMENTS = 16
MAX_TOP_LEVEL = 4096

ID_SEEKHEAD, ID_INFO, ID_TRACKS = 0x114D9B74, 0x1549A966, 0x1654AE6B
ID_CHAPTERS, ID_CUES, ID_ATTACHMENTS, ID_TAGS = 0x1043A770, 0x1C53BB6B, 0x1941A469, 0x1254C367
REMOVED_LEVEL1 = {ID_CHAPTERS: "chapters", ID_ATTACHMENTS: "attachments", ID_TAGS: "tags"}

# Info children
ID_TITLE, ID_DATEUTC, ID_MUXINGAPP, ID_WRITINGAPP = 0x7BA9, 0x4461, 0x4D80, 0x5741
ID_TIMESCALE, ID_DURATION = 0x2AD7B1, 0x4489
INFO_FILENAMES = {0x7384: "segment file name", 0x3C83AB: "previous file name",
                  0x3E83BB: "next file name"}
INFO_KEEP = {ID_TIMESCALE, ID_DURATION, 0x73A4, 0x3CB923, 0x3EB923, 0x4444, 0x6924}
# Tracks
ID_TRACKENTRY, ID_TRACKNAME, ID_CODECNAME = 0xAE, 0x536E, 0x258688
TRACK_MASTERS = {ID_TRACKENTRY, 0xE0, 0xE1, 0x7670}
TRACK_TYPES = {1: "video", 2: "audio", 3: "complex", 0x10: "logo", 0x11: "subtitle",
               0x12: "buttons", 0x20: "control", 0x21: "metadata"}
# Tags, Chapters, Attachments
TAG_MASTERS = {0x7373, 0x63C0, 0x67C8}
CHAPTER_MASTERS = {0x45B9, 0xB6, 0x80, 0x8F}
ID_ATTACHEDFILE = 0x61A7
ID_SEEK, ID_SEEKID = 0x4DBB, 0x53AB

MATROSKA_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


@dataclass
class _Parsed(PatchPlan):
    doctype: str = ""


def doctype_of(head: bytes) -> str | None:
    """DocType from the EBML header in ``head``, or None if it cannot be read."""
    try:
        if not head.startswith(b"\x1a\x45\xdf\xa3"):
            return None
        hdr = EbmlHead(head)
        return hdr.doctype
    except CorruptFile:
        return None


class EbmlHead:
    """The EBML header at the start of ``data`` (which may hold more than the header)."""

    def __init__(self, data: bytes) -> None:
        eid, ilen = read_id(data, 0, " in the EBML header")
        size, slen = read_size(data, ilen, " in the EBML header")
        if eid != ID_EBML:
            raise CorruptFile("not a Matroska file: no EBML header")
        if size is None or ilen + slen + size > len(data):
            raise CorruptFile("the EBML header is cut short or too large")
        self.doctype = "matroska"
        start = ilen + slen
        for kid in parse_children(data, start, start + size, " in the EBML header"):
            if kid.id == 0x4282:
                self.doctype = as_text(data[kid.data_offset : kid.end])


def _walk(buf: bytes, masters: set[int], fn: Any, path: tuple[int, ...] = (),
          start: int = 0, end: int | None = None) -> None:
    if len(path) > MAX_DEPTH:
        raise LimitExceeded("Matroska metadata nested too deeply")
    for el in parse_children(buf, start, len(buf) if end is None else end):
        fn((*path, el.id), el, buf)
        if el.id in masters:
            _walk(buf, masters, fn, (*path, el.id), el.data_offset, el.end)


def _data(buf: bytes, el: Element) -> bytes:
    return buf[el.data_offset : el.end]


def _date_utc(raw: bytes) -> str:
    ns = int.from_bytes(raw, "big", signed=True) if len(raw) == 8 else 0
    try:
        return (MATROSKA_EPOCH + timedelta(microseconds=ns // 1000)).isoformat()
    except OverflowError:
        return f"{ns} ns after 2001-01-01"


def parse(src: Source) -> _Parsed:
    return src.cached("matroska", lambda: _parse(src))


def _parse(src: Source) -> _Parsed:
    result = _Parsed()
    with src.open() as fh:
        f = EbmlFile(fh, src.size)
        hdr = f.element_at(0, src.size)
        if hdr.id != ID_EBML:
            raise CorruptFile("not a Matroska file: no EBML header")
        result.doctype = EbmlHead(f.read(0, min(hdr.end, 4096))).doctype
        if result.doctype not in ("matroska", "webm"):
            raise UnsupportedFormat(f"an EBML file of type '{result.doctype}', not Matroska")
        pos, segments, top = hdr.end, 0, 0
        while pos < src.size:
            top += 1  # elements beside the segment(s): a few in real files, not a million
            if top > MAX_TOP_LEVEL:
                raise LimitExceeded("too many Matroska elements outside the segment")
            if src.size - pos < 2:
                result.problems.append("stray byte after the Matroska segment")
                break
            el = f.element_at(pos, src.size)
            if el.id == ID_SEGMENT:
                segments += 1
                if segments > MAX_SEGMENTS:
                    raise CorruptFile("too many Matroska segments")
                _segment(f, el, result)
            elif el.id == ID_VOID:
                result.patches.append(Patch(el.data_offset, el.size))
            elif el.id != ID_EBML and not any("outside the Matroska" in p for p in result.problems):
                result.problems.append(f"unknown data at byte {pos} outside the Matroska segment")
            pos = el.end
        if segments == 0:
            raise CorruptFile("the Matroska file has no segment (truncated?)")
    result.properties["container"] = result.doctype
    return result


def _segment(f: EbmlFile, seg: Element, r: _Parsed) -> None:
    seekheads: list[tuple[Element, bytes]] = []
    for el in f.level1(seg):
        if el.id == ID_SEEKHEAD:
            seekheads.append((el, f.payload(el, META_CAP, "SeekHead")))
        elif el.id == ID_INFO:
            _info(el, f.payload(el, META_CAP, "Info"), r)
        elif el.id == ID_TRACKS:
            _tracks(el, f.payload(el, META_CAP, "Tracks"), r)
        elif el.id == ID_TAGS:
            _tags(f.payload(el, META_CAP, "Tags"), r)
        elif el.id == ID_CHAPTERS:
            _chapters(f.payload(el, META_CAP, "Chapters"), r)
        elif el.id == ID_ATTACHMENTS:
            _attachments(f, el, r)
        elif el.id == ID_VOID:
            _void(f, el, r)
        elif el.id == ID_CRC32:
            # a CRC over the whole segment cannot survive any edit: drop it
            r.patches.append(Patch(el.offset, el.total, void_header(el.total)))
        elif el.id not in LEVEL1:
            r.problems.append(f"unknown Matroska element 0x{el.id:X} ({el.size} bytes)")
            r.find(Category.UNKNOWN, "Matroska", f"element 0x{el.id:X}", f"{el.size} bytes",
                   "data we do not understand; the file is not cleaned with confidence")
        if el.id in REMOVED_LEVEL1:
            r.patches.append(Patch(el.offset, el.total, void_header(el.total)))
            r.remove(REMOVED_LEVEL1[el.id])
    for el, payload in seekheads:
        _seekhead(el, payload, r)


def _void(f: EbmlFile, el: Element, r: _Parsed) -> None:
    if el.size > SMALL_CAP * 16:
        r.patches.append(Patch(el.data_offset, el.size))  # unchecked: zero it anyway
        return
    data = f.read(el.data_offset, el.size)
    if any(data):
        text = leftover_text(data)
        r.find(Category.OTHER, "Matroska Void", "padding", text or f"{el.size} bytes",
               "padding that still holds old data", bool(text))
        r.patches.append(Patch(el.data_offset, el.size))
        r.remove("leftover data in padding")


def _patch_master(el: Element, old: bytes, new: bytes, r: _Parsed) -> None:
    if new != old:
        r.patches.append(Patch(el.data_offset, el.size, new))


def _info(el: Element, payload: bytes, r: _Parsed) -> None:
    where = "Matroska Info"
    scale: list[int] = [1_000_000]
    duration: list[float] = []

    def decide(path: tuple[int, ...], kid: Element, buf: bytes) -> str | bytes | None:
        data, eid = _data(buf, kid), kid.id
        if eid == ID_TITLE:
            r.find(Category.OTHER, where, "Title", as_text(data), "a title given to the video")
            r.remove("title")
            return VOID
        if eid == ID_DATEUTC:
            r.find(Category.TIME, where, "DateUTC", _date_utc(data), "when the file was made")
            r.remove("date")
            return VOID
        if eid in (ID_MUXINGAPP, ID_WRITINGAPP):
            if not as_text(data):
                return KEEP
            name = "MuxingApp" if eid == ID_MUXINGAPP else "WritingApp"
            r.find(Category.DEVICE, where, name, as_text(data),
                   "names the software (and version) that wrote the file")
            r.remove("muxing/writing application")
            return blank_element(eid.to_bytes(2, "big"), kid.total)
        if eid in INFO_FILENAMES:
            r.find(Category.OTHER, where, INFO_FILENAMES[eid], as_text(data),
                   "a file name, which may name a person, place or date")
            r.remove("file names")
            return VOID
        if eid == ID_TIMESCALE:
            scale[0] = as_uint(data) or 1_000_000
        elif eid == ID_DURATION:
            value = as_float(data)
            if value is not None:
                duration.append(value)
        elif eid == ID_VOID:
            return void(kid.total) if any(data) else KEEP
        elif eid not in INFO_KEEP:
            r.find(Category.OTHER, where, f"element 0x{eid:X}", f"{kid.size} bytes",
                   "an unrecognised header item")
            r.remove("unrecognised header items")
            return VOID
        return KEEP

    _patch_master(el, payload, rewrite_master(payload, decide), r)
    if duration:
        r.properties["duration"] = round(duration[0] * scale[0] / 1e9, 3)


def _tracks(el: Element, payload: bytes, r: _Parsed) -> None:
    tracks: list[dict[str, Any]] = []

    def props(path: tuple[int, ...], kid: Element, buf: bytes) -> None:
        if kid.id == ID_TRACKENTRY:
            tracks.append({})
        elif tracks:
            data, t = _data(buf, kid), tracks[-1]
            key = {0x83: "type", 0x86: "codec", 0xB0: "width", 0xBA: "height",
                   0x7675: "roll", 0x53B8: "stereo", 0x23E383: "frame_ns", 0x9F: "channels",
                   0xB5: "rate"}.get(kid.id)
            if key in ("codec",):
                t[key] = as_text(data)
            elif key in ("roll", "rate"):
                t[key] = as_float(data)
            elif key is not None:
                t[key] = as_uint(data)

    _walk(payload, TRACK_MASTERS, props)

    def decide(path: tuple[int, ...], kid: Element, buf: bytes) -> str | bytes | None:
        if kid.id == ID_TRACKENTRY and len(path) == 1:
            return RECURSE
        if len(path) == 2 and kid.id in (ID_TRACKNAME, ID_CODECNAME):
            text = as_text(_data(buf, kid))
            if kid.id == ID_TRACKNAME:
                r.find(Category.OTHER, "Matroska track", "track name", text,
                       "a name given to a track, which may name a person or device")
            else:
                r.find(Category.DEVICE, "Matroska track", "codec name", text,
                       "names the software that encoded the track")
            r.remove("track names")
            return VOID
        if kid.id == ID_VOID and any(_data(buf, kid)):
            return void(kid.total)
        return KEEP

    _patch_master(el, payload, rewrite_master(payload, decide), r)
    _track_properties(tracks, r.properties)
    for t in tracks:
        kind, codec = int(t.get("type", 0)), str(t.get("codec", ""))
        if kind in (0x20, 0x21) or codec.startswith("D_"):
            r.find(Category.HIDDEN, "Matroska track", "data track", codec or TRACK_TYPES[kind],
                   "a timed data track (telemetry such as GPS) recorded with the video")
            r.problems.append(f"a data track ({codec or TRACK_TYPES[kind]}) cannot be removed "
                              "in place")


def _track_properties(tracks: list[dict[str, Any]], props: dict[str, Any]) -> None:
    codecs = [str(t.get("codec", "?")) for t in tracks]
    props["codecs"] = codecs
    props["tracks"] = [TRACK_TYPES.get(int(t.get("type", 0)), "unknown") for t in tracks]
    video = [t for t in tracks if t.get("type") == 1]
    audio = [t for t in tracks if t.get("type") == 2]
    props["has_audio"] = bool(audio)
    if video:
        v = video[0]
        props["width"], props["height"] = int(v.get("width", 0)), int(v.get("height", 0))
        props["video_codec"] = v.get("codec", "")
        roll = v.get("roll")
        if roll:
            # ProjectionPoseRoll is counter-clockwise; we report clockwise display rotation
            props["rotation"] = int(round(-roll / 90.0)) * 90 % 360
        if v.get("stereo"):
            props["stereo_mode"] = int(v["stereo"])
        if v.get("frame_ns"):
            props["fps"] = round(1e9 / int(v["frame_ns"]), 3)
    if audio:
        props["audio_codec"] = audio[0].get("codec", "")


def _tags(payload: bytes, r: _Parsed) -> None:
    pending: list[dict[str, str]] = []

    def fn(path: tuple[int, ...], kid: Element, buf: bytes) -> None:
        if kid.id == 0x67C8:  # SimpleTag
            pending.append({})
        elif pending and kid.id == 0x45A3:
            pending[-1]["name"] = as_text(_data(buf, kid))
        elif pending and kid.id == 0x4487:
            pending[-1]["value"] = as_text(_data(buf, kid))
        elif pending and kid.id == 0x4485:
            pending[-1]["value"] = f"{kid.size} bytes of binary data"

    _walk(payload, TAG_MASTERS, fn)
    for tag in pending:
        name, value = tag.get("name", "?"), tag.get("value", "")
        if not value:
            continue
        category, identifying, why = classify_tag(name, value)
        r.find(category, "Matroska Tags", name, value, why, identifying)


def _chapters(payload: bytes, r: _Parsed) -> None:
    def fn(path: tuple[int, ...], kid: Element, buf: bytes) -> None:
        if kid.id == 0x85:  # ChapString
            r.find(Category.OTHER, "Matroska Chapters", "chapter name",
                   as_text(_data(buf, kid)), "a chapter title written by a person")

    _walk(payload, CHAPTER_MASTERS, fn)


def _attachments(f: EbmlFile, el: Element, r: _Parsed) -> None:
    for item in f.children(el):
        if item.id != ID_ATTACHEDFILE:
            continue
        info: dict[str, str] = {}
        size = 0
        for kid in f.children(item):
            if kid.id == 0x465C:
                size = kid.size
            elif kid.id in (0x466E, 0x4660, 0x467E):
                info[hex(kid.id)] = as_text(f.payload(kid, SMALL_CAP, "attachment name"))
        name = info.get(hex(0x466E), "unnamed")
        mime = info.get(hex(0x4660), "unknown type")
        what = "a picture (cover art or thumbnail)" if mime.startswith("image/") else "a file"
        r.find(Category.HIDDEN, "Matroska Attachments", f"attachment {name}",
               f"{mime}, {size} bytes", f"{what} carried inside the video, not shown by players")


def _seekhead(el: Element, payload: bytes, r: _Parsed) -> None:
    """Drop index entries that point at removed elements (they now point at Void)."""

    def decide(path: tuple[int, ...], kid: Element, buf: bytes) -> str | bytes | None:
        if kid.id != ID_SEEK:
            return KEEP
        for sub in parse_children(buf, kid.data_offset, kid.end):
            if sub.id == ID_SEEKID and as_uint(_data(buf, sub)) in REMOVED_LEVEL1:
                return VOID
        return KEEP

    _patch_master(el, payload, rewrite_master(payload, decide), r)


class MatroskaHandler(PatchingHandler):
    name = "mkv"
    mime = "video/x-matroska"
    extensions: ClassVar[tuple[str, ...]] = (".mkv", ".mka", ".mk3d")
    priority = 40
    always_kept = ("audio and video data (byte for byte)", "track layout, timing and index")

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
            kept.append("display rotation / stereo mode")
        return kept


class WebmHandler(MatroskaHandler):
    name = "webm"
    mime = "video/webm"
    extensions = (".webm",)
    priority = 39

    def sniff(self, head: bytes) -> bool:
        return doctype_of(head) == "webm"


HANDLERS = [WebmHandler(), MatroskaHandler()]
