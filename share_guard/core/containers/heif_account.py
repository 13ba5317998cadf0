"""Byte accounting for the ``meta`` box of a clean HEIF/AVIF copy.

Walks the output's ``meta`` on its own: every child must be a box share_guard keeps, laid
out as :mod:`heif_layout` specifies, or ``free`` and blank; an item is either a picture
(type ``hvc1``, ``grid``, ``av01``...; name blank) or ``free``; every property is a known
one or blank. Returns where the kept pictures' bytes are in ``mdat`` (and how they are
coded) for the movie accountant, which proves the rest of ``mdat`` is zero.
"""

from __future__ import annotations

from share_guard.core.containers.bmff_account import Span
from share_guard.core.containers.bmff_boxes import Box, Buffer, Bytes, Counter, parse_children
from share_guard.core.containers.bmff_layout import (
    MOVIE_LEAVES,
    Layout,
    Seg,
    Z,
    account_segments,
    hdlr,
    segments,
)
from share_guard.core.containers.heif_items import IMAGE_TYPES, HeifMeta, parse_heif_meta
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
from share_guard.core.containers.heif_meta import item_entry
from share_guard.core.containers.ledger import Ledger
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message

MAX_META = 64 * 1024 * 1024


class MetaAccountant:
    def __init__(self, mm: Bytes, ledger: Ledger, size: int) -> None:
        self.mm, self.ledger, self.size = mm, ledger, size

    def __call__(self, meta: Box) -> list[Span]:
        if meta.size > MAX_META:
            self.ledger.refuse(meta.start, meta.end, "meta", N_("a header too large to check"))
            return []
        self.buf = Buffer(bytes(self.mm[meta.start : meta.end]), meta.start)
        try:
            parse_children(self.buf, meta, Counter())
            heif = parse_heif_meta(self.buf, meta, self.size)
        except CorruptFile as exc:
            self.ledger.refuse(meta.start, meta.end, "meta", str(exc))
            return []
        self.heif = heif
        self.ledger.written(meta.start, meta.payload_start, "meta header")
        self.check(Seg(meta.payload_start, meta.payload_start + 4, "written", bytes(4)), "meta")
        for child in meta.children:
            self.child(child)
        return self.spans()

    def check(self, seg: Seg, what: str) -> None:
        account_segments(self.buf, [seg], self.ledger, what)

    def layout(self, box: Box, layout: Layout, prefix: bool = False) -> None:
        if prefix:  # a container's own fields, before its children
            first = box.children[0].start if box.children else box.end
            box = Box(box.type, box.start, box.header, first - box.start, box.depth)
        try:
            segs = segments(self.buf, box, layout)
        except CorruptFile as exc:
            self.ledger.refuse(box.start, box.end, box.name, str(exc))
            return
        account_segments(self.buf, segs, self.ledger, f"HEIF '{box.name}'")

    def child(self, box: Box) -> None:
        typ = box.type
        if typ == b"hdlr":
            self.layout(box, hdlr)
        elif typ == b"pitm":
            self.layout(box, pitm)
        elif typ == b"iloc":
            self.layout(box, iloc)
        elif typ in (b"free", b"skip"):
            self.layout(box, MOVIE_LEAVES[b"free"])
        elif typ == b"dinf":
            self.ledger.written(box.start, box.payload_start, "dinf header")
            self.container(box, b"dref", lambda e: self.layout(e, MOVIE_LEAVES[b"url "])
                           if e.type == b"url " else self.refuse(e, N_("a reference to another "
                                                                 "file")))
        elif typ == b"iinf":
            self.layout(box, iinf, prefix=True)
            for entry in box.children:
                self.infe(entry)
        elif typ == b"iref":
            self.layout(box, iref, prefix=True)
            version = self.buf.u8(box.payload_start)
            for ref in box.children:
                self.layout(ref, iref_child(version))
        elif typ == b"iprp":
            self.ledger.written(box.start, box.payload_start, "iprp header")
            self.properties(box)
        elif typ == b"idat":
            self.idat(box)
        else:
            self.refuse(box, N_("a box a clean copy never keeps"))

    def refuse(self, box: Box, why: str) -> None:
        self.ledger.refuse(box.start, box.end, box.name, why)

    def container(self, box: Box, typ: bytes, each: object) -> None:
        for child in box.children:
            if child.type != typ:
                self.refuse(child, N_("a box a clean copy never keeps"))
                continue
            self.ledger.written(child.start, child.payload_start + 8, f"{typ.decode()} header")
            if self.buf.get(child.payload_start, 4) != bytes(4) or \
                    self.buf.u32(child.payload_start + 4) != len(child.children):
                self.refuse(child, N_("odd flags or count"))
            for entry in child.children:
                each(entry)  # type: ignore[operator]

    def infe(self, box: Box) -> None:
        if box.type != b"infe":
            self.refuse(box, N_("a box a clean copy never keeps"))
            return
        item = next((i for i in self.heif.items.values() if i.infe is box), None)
        if item is None:
            self.refuse(box, N_("an item that cannot be read"))
        elif item.type == b"free" or self.buf.u8(box.payload_start) < 2:
            self.layout(box, infe(False))  # removed ('mime' items have no type to change)
        elif item.type in IMAGE_TYPES:
            self.layout(box, infe(True))
        else:
            self.refuse(box, message(N_("an item of type '{type}' is never kept"),
                                     type=item.type.decode('latin-1')))

    def properties(self, iprp: Box) -> None:
        blank: set[int] = set()
        for child in iprp.children:
            if child.type == b"ipco":
                self.ledger.written(child.start, child.payload_start, "ipco header")
                for index, prop in enumerate(child.children, 1):
                    layout = PROPERTIES.get(prop.type)
                    if prop.type in (b"free", b"skip"):
                        blank.add(index)
                    if layout is None:
                        self.refuse(prop, N_("a property a clean copy never keeps"))
                    else:
                        self.layout(prop, layout)
            elif child.type == b"ipma":
                self.layout(child, ipma(lambda index: index not in blank))
            elif child.type in (b"free", b"skip"):  # blanked by the cleaner
                self.layout(child, MOVIE_LEAVES[b"free"])
            else:
                self.refuse(child, N_("a box a clean copy never keeps"))

    def idat(self, box: Box) -> None:
        self.ledger.written(box.start, box.payload_start, "idat header")
        pos = box.payload_start
        for a, b, kind in sorted(self.idat_items(box)):
            if a < pos:
                self.ledger.refuse(a, b, "idat", N_("item data claimed twice"))
                return
            self.check(Seg(pos, a, Z), "idat")
            if kind == b"grid":
                try:
                    size = min(grid_size(self.buf.get(a, b - a)), b - a)
                except CorruptFile as exc:
                    self.ledger.refuse(a, b, "grid", str(exc))
                    return
                self.ledger.written(a, a + size, "image grid")
                self.check(Seg(a + size, b, Z), "image grid")
            else:
                self.ledger.payload(a, b, "item data")
            pos = b
        self.check(Seg(pos, box.end, Z), "idat")

    def idat_items(self, box: Box) -> list[tuple[int, int, bytes]]:
        return [(a, b, item.type) for item in self.heif.items.values()
                if item.type != b"free" and item.construction == 1
                for a, b in item.extents if box.payload_start <= a and b <= box.end]

    def spans(self) -> list[Span]:
        heif: HeifMeta = self.heif
        out: list[Span] = []
        for item in heif.items.values():
            if item.type == b"free" or item.construction != 0:
                continue
            entry = item_entry(heif, item)
            out.extend((a, b, entry.scrub, entry.length_size) for a, b in item.extents)
        return out
