"""Cleaning a HEIF ``meta`` box in place: items, their names and their properties.

Every item the primary picture does not need (Exif, XMP and other ``mime`` items, ``uri ``
items, thumbnails, depth maps, gain maps, extra pictures) gets its type changed to
``free``, its name, content type and URI blanked, and its bytes zeroed; kept pictures lose
their names. A property no kept picture uses (``udes`` descriptions, vendor properties,
the removed items' ``auxC``) becomes ``free``; kept properties are laid out field by field
(an ICC profile neutralised, SEI units in ``hvcC`` turned into filler). ``xml ``/``bxml``,
``uuid`` boxes and entity groups (``grpl``) become ``free``. Nothing moves, so every
``iloc`` offset stays valid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from share_guard.core.containers import nal
from share_guard.core.containers.bmff_boxes import Box, Buffer
from share_guard.core.containers.bmff_entries import Entry, hvcc
from share_guard.core.containers.bmff_layout import L, Layout, hdlr, plan_segments, segments
from share_guard.core.containers.bmff_meta import finding, xmp_block_findings
from share_guard.core.containers.bmff_tracks import plan_dref
from share_guard.core.containers.heif_items import HeifMeta, Item
from share_guard.core.containers.heif_layout import (
    PROPERTIES,
    grid_size,
    iinf,
    iloc,
    infe,
    ipma,
    iref,
    iref_child,
    pitm,
)
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.icc import icc_findings
from share_guard.core.report import Category, Finding

if TYPE_CHECKING:
    from share_guard.core.containers.bmff_movie import MovieScanner

C = Category
#: boxes inside 'meta' that hold no picture: freed
DROPPED = {b"xml ": "XML metadata", b"bxml": "Binary XML metadata", b"uuid": "Vendor data",
           b"grpl": "Entity groups", b"ipro": "Item protection", b"fiin": "File delivery data",
           b"ipmc": "IPMP control"}


def item_entry(heif: HeifMeta, item: Item) -> Entry:
    """How a kept picture's bytes are coded (for scrubbing and accounting)."""
    scrub, length = "", 4
    if item.type in (b"hvc1", b"hvt1"):
        hvcc = item.prop(b"hvcC")
        scrub = nal.HEVC
        if hvcc is not None and hvcc.payload_size >= 22:
            length = (heif.buf.u8(hvcc.payload_start + 21) & 3) + 1
    elif item.type == b"jpeg":
        scrub = "jpeg"
    elif item.type == b"av01":
        scrub = "av1"
    return Entry(item.infe, item.type, "video", scrub, length)


class MetaCleaner:
    """Plans the in-place cleaning of one HEIF 'meta' box."""

    def __init__(self, mover: MovieScanner, heif: HeifMeta, keep: set[int]) -> None:
        self.mover = mover
        self.scan = mover.scan
        self.heif = heif
        self.buf: Buffer = heif.buf
        self.keep = keep
        self.findings: list[Finding] = []
        self.freed_props: set[int] = set()

    def apply(self, box: Box, layout: Layout) -> bool:
        try:
            segs = segments(self.buf, box, layout)
        except CorruptFile as exc:
            self.scan.problems.append(message(N_("box '{name}' cannot be kept ({exc})"),
                                              name=box.name, exc=exc))
            return False
        plan_segments(self.buf, segs, self.scan.plan)
        return True

    def run(self) -> None:
        meta = self.heif.meta
        self.scan.plan.patch(meta.payload_start, b"\0\0\0\0")
        for child in meta.children:
            typ = child.type
            if typ == b"hdlr":
                self.apply(child, hdlr)
            elif typ == b"dinf":
                for dref in child.all(b"dref"):
                    plan_dref(self.scan, self.buf, dref)
            elif typ == b"pitm":
                self.apply(child, pitm)
            elif typ == b"iinf":
                self.items(child)
            elif typ == b"iloc":
                self.apply(child, iloc)
            elif typ == b"iref":
                self.references(child)
            elif typ == b"iprp":
                self.properties(child)
            elif typ == b"idat":
                self.idat(child)
            elif typ in (b"free", b"skip"):
                self.scan.plan.blank_payload(child)
            elif typ in DROPPED:
                self.dropped(child)
            else:
                name = message(N_("Unknown box '{name}'"), name=child.name)
                self.scan.findings.append(finding(C.UNKNOWN, "HEIF meta", name,
                                                  f"{child.payload_size} bytes",
                                                  N_("data we cannot interpret; the file is not "
                                                     "cleaned")))
                self.scan.problems.append(message(N_("unknown box '{name}' in the HEIF header"),
                                                  name=child.name))

    def dropped(self, box: Box) -> None:
        where = "HEIF meta"
        if box.type in (b"xml ", b"bxml"):
            self.findings.extend(xmp_block_findings(self.buf.payload(box)[4:], f"{where} XML"))
        else:
            self.findings.append(finding(C.HIDDEN, where, DROPPED[box.type],
                                         f"{box.payload_size} bytes",
                                         N_("data the picture does not need; removed")))
        self.scan.plan.free(box)

    # -- items ----------------------------------------------------------------------------
    def items(self, box: Box) -> None:
        self.apply_prefix(box, iinf)
        for child in box.children:
            item = next((i for i in self.heif.items.values() if i.infe is child), None)
            if child.type != b"infe" or item is None:
                self.scan.plan.free(child)
                continue
            kept = item.id in self.keep
            if kept and item.protected:
                self.scan.problems.append(N_("the picture is encrypted"))
            if item.name and kept:
                self.findings.append(finding(C.OTHER, f"HEIF item {item.id}", N_("Item name"),
                                             item.name, N_("a name given to the picture; "
                                             "removed")))
            if item.type == b"uri " and not kept:
                self.findings.append(finding(C.HIDDEN, f"HEIF item {item.id}", N_("Item URI type"),
                                             item.content_type or "(none)",
                                             N_("names a kind of data linked to the picture; "
                                             "removed")))
            self.apply(child, infe(kept))

    def apply_prefix(self, box: Box, layout: Layout) -> None:
        """A container's own fields (version, flags, count) before its children."""
        first = box.children[0].start if box.children else box.end
        fake = Box(box.type, box.start, box.header, first - box.start, box.depth)
        self.apply(fake, layout)

    def references(self, box: Box) -> None:
        version = self.buf.u8(box.payload_start)
        self.apply_prefix(box, iref)
        for child in box.children:
            self.apply(child, iref_child(version))

    # -- properties ---------------------------------------------------------------------
    def properties(self, iprp: Box) -> None:
        used: dict[int, bool] = {}  # property index -> essential for a kept picture
        for item in self.heif.items.values():
            if item.id in self.keep:
                for index, essential in item.assoc:
                    used[index] = used.get(index, False) or essential
        for child in iprp.children:
            if child.type == b"ipco":
                for index, prop in enumerate(child.children, 1):
                    self.prop(index, prop, used)
            elif child.type in (b"free", b"skip"):
                self.scan.plan.blank_payload(child)
            elif child.type != b"ipma":
                self.scan.plan.free(child)
        for child in iprp.all(b"ipma"):
            self.apply(child, ipma(lambda index: index not in self.freed_props))

    def prop(self, index: int, prop: Box, used: dict[int, bool]) -> None:
        layout = PROPERTIES.get(prop.type)
        if prop.type in (b"free", b"skip"):
            self.scan.plan.blank_payload(prop)
            return
        if prop.type == b"udes":
            self.findings.extend(udes_findings(self.buf, prop))
        if index in used and layout is not None:
            try:
                segs = segments(self.buf, prop, layout)
                if prop.type == b"colr":
                    for seg in segs:
                        if seg.cls == "icc":
                            data = self.buf.get(seg.start, seg.end - seg.start)
                            self.findings.extend(icc_findings(data, "HEIF colour profile"))
                plan_segments(self.buf, segs, self.scan.plan)
                if prop.type == b"hvcC":
                    self.hvcc_notes(prop)
                return
            except CorruptFile as exc:  # an IccError too
                if used[index]:
                    self.scan.problems.append(message(N_("an essential property '{name}' cannot be kept "
                                                         "({exc})"),
                                                      name=prop.name, exc=exc))
                    return
        elif index in used and used[index]:
            self.scan.problems.append(message(N_("an essential property '{name}' share_guard does not know"),
                                              name=prop.name))
            return
        elif index in used and prop.type not in (b"udes",):
            self.findings.append(finding(C.UNKNOWN, "HEIF properties",
                                         message(N_("Property '{name}'"),
                                                 name=prop.name), f"{prop.payload_size} "
                                         "bytes", N_("data the decoder does not need; removed")))
        self.freed_props.add(index)
        self.scan.plan.free(prop)

    def hvcc_notes(self, prop: Box) -> None:
        notes: list[str] = []
        hvcc(L(self.buf, prop), notes)
        for note in notes:
            self.findings.append(finding(C.DEVICE, "HEIF decoder setup", N_("Data in the decoder "
                                         "setup"), note, N_("text beside the picture's parameter "
                                         "sets; replaced by filler")))

    # -- idat ----------------------------------------------------------------------------
    def idat(self, box: Box) -> None:
        """Item data stored in the header: kept grid descriptions laid out, the rest zero."""
        plan = self.scan.plan
        kept: list[tuple[int, int]] = []
        for item in self.heif.items.values():
            if item.id not in self.keep or item.construction != 1:
                continue
            for a, b in item.extents:
                if item.type == b"grid":
                    size = grid_size(self.buf.get(a, b - a))
                    plan.zero_range(a + size, b)
                kept.append((a, b))
        pos = box.payload_start
        for a, b in sorted(kept):
            plan.zero_range(pos, a)
            pos = max(pos, b)
        plan.zero_range(pos, box.end)


def udes_findings(buf: Buffer, box: Box) -> list[Finding]:
    """'udes': language, name, description, tags (NUL-terminated strings)."""
    pos, texts = box.payload_start + 4, []
    for _ in range(4):
        if pos >= box.end:
            break
        text, pos = buf.cstring(pos, box.end)
        texts.append(text)
    value = " / ".join(t for t in texts[1:] if t) or f"{box.payload_size} bytes"
    return [finding(C.OTHER, "HEIF properties", N_("Picture description"), value,
                    N_("a title, description or tags written into the file; removed"))]
