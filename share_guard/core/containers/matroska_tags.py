"""What Matroska Tags, Chapters and Attachments say, for inspect (the cleaner voids them whole)."""

from __future__ import annotations

from typing import Any

from share_guard.core.budget import spend, unread
from share_guard.core.containers._ebml import MAX_DEPTH, EbmlFile, Element, as_text, parse_children
from share_guard.core.containers._patch import PatchPlan
from share_guard.core.containers._tagclass import classify_tag
from share_guard.core.errors import LimitExceeded
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category

META_CAP = 16 * 1024 * 1024
SMALL_CAP = 64 * 1024
TAG_MASTERS = {0x7373, 0x63C0, 0x67C8}
CHAPTER_MASTERS = {0x45B9, 0xB6, 0x80, 0x8F}
ID_ATTACHEDFILE = 0x61A7


def _walk(buf: bytes, masters: set[int], fn: Any, path: tuple[int, ...] = (),
          start: int = 0, end: int | None = None) -> None:
    if len(path) > MAX_DEPTH:
        raise LimitExceeded(N_("Matroska metadata nested too deeply"))
    for el in parse_children(buf, start, len(buf) if end is None else end):
        fn((*path, el.id), el, buf)
        if el.id in masters:
            _walk(buf, masters, fn, (*path, el.id), el.data_offset, el.end)


def _data(buf: bytes, el: Element) -> bytes:
    return buf[el.data_offset : el.end]


def tags(f: EbmlFile, el: Element, r: PatchPlan) -> None:
    payload = f.payload(el, META_CAP, "Tags")
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
    if not spend(len(pending)):  # more tags than the file may have read: refused
        r.findings.append(unread("Matroska Tags"))
        return
    for tag in pending:
        name, value = tag.get("name", "?"), tag.get("value", "")
        if not value:
            continue
        category, identifying, why = classify_tag(name, value)
        r.find(category, "Matroska Tags", name, value, why, identifying)


def chapters(f: EbmlFile, el: Element, r: PatchPlan) -> None:
    payload = f.payload(el, META_CAP, "Chapters")
    def fn(path: tuple[int, ...], kid: Element, buf: bytes) -> None:
        if kid.id == 0x85:  # ChapString
            r.find(Category.OTHER, "Matroska Chapters", N_("chapter name"),
                   as_text(_data(buf, kid)), N_("a chapter title written by a person"))

    _walk(payload, CHAPTER_MASTERS, fn)


def attachments(f: EbmlFile, el: Element, r: PatchPlan) -> None:
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
        r.find(Category.HIDDEN, "Matroska Attachments", message(N_("attachment {name}"), name=name),
               f"{mime}, {size} bytes", message(N_("{what} carried inside the video, not shown by players"),
                                                what=what))
