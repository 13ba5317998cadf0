"""HEIC/HEIF/AVIF photos: what their items give away and a lossless clean copy.

Cleaning neutralises items in place instead of rebuilding ``iinf``/``iloc``/
``iref``/``ipma`` (:mod:`heif_meta`): every Exif, XMP or other metadata item, every
thumbnail, depth map, gain map or extra image that the primary picture does not need gets
its item type changed to ``free`` (so decoders and exiftool skip it), its name blanked
and its bytes zeroed; kept pictures lose their names, unused properties become ``free``,
the ICC profile keeps its colour data and loses its text, and SEI units or AV1 metadata
inside the coded picture become filler of the same size. Every ``mdat`` byte no kept
picture uses is zeroed. Nothing moves, so every ``iloc`` offset stays valid and the
decoded pixels are identical. Samsung's ``mpvd`` (motion-photo video) and ``sefd``
(capture time, mobile country code, motion-photo data) boxes and data after the last box
are cut off. :mod:`heif_account` proves a clean copy byte by byte.
"""

from __future__ import annotations

import struct
from typing import BinaryIO, ClassVar

from share_guard.core.containers.base import Source
from share_guard.core.containers.bmff_account import MovieAccountant
from share_guard.core.containers.bmff_boxes import Bytes, mapped, read_box_tree, walk_top
from share_guard.core.containers.bmff_handler import ScanHandler
from share_guard.core.containers.bmff_media import Span, plan_media
from share_guard.core.containers.bmff_meta import (
    cap_findings,
    exif_block_findings,
    xmp_block_findings,
)
from share_guard.core.containers.bmff_movie import MovieScan, MovieScanner
from share_guard.core.containers.heif_account import MetaAccountant
from share_guard.core.containers.heif_items import ALPHA_AUX, HeifMeta, Item, parse_heif_meta
from share_guard.core.containers.heif_meta import MetaCleaner, item_entry
from share_guard.core.containers.inplace import merged
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.magic import is_heif
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.samsung import is_sef, sef_findings
from share_guard.core.report import Category, Finding

C = Category
MAX_META = 64 * 1024 * 1024
MAX_ITEM_READ = 16 * 1024 * 1024
NEUTRAL_TYPE = b"free"
SAMSUNG_BOXES = (b"mpvd", b"sefd")


def _size_words(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} MB"
    if n >= 1000:
        return f"{n / 1e3:.0f} kB"
    return f"{n} bytes"


def trailer_finding(fh: BinaryIO, start: int, size: int, where: str) -> Finding:
    fh.seek(start)
    head = fh.read(64)
    if b"ftyp" in head[:16] or b"ftyp" in head[8:32]:
        words = f"{_size_words(size)} video recorded around the photo"
        return Finding(C.HIDDEN, where, N_("Motion Photo video"), words,
                       message(N_("{words}: it shows the moments before and after; removed"), words=words))
    return Finding(C.HIDDEN, where, N_("Data after the image"), _size_words(size),
                   N_("data appended after the picture; removed"))


class HeifScanner:
    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh = fh
        self.top = walk_top(fh, size)
        self.size = size
        self.mover = MovieScanner(fh, self.top, "photo")
        self.scan: MovieScan = self.mover.run(skip=frozenset({b"meta", b"mpvd", b"sefd"}))
        self.findings: list[Finding] = []

    def run(self, mm: Bytes) -> MovieScan:
        s = self.scan
        metas = [b for b in self.top.boxes if b.type == b"meta"]
        has_movie = any(b.type == b"moov" for b in self.top.boxes)
        if len(metas) > 1 or not (metas or has_movie):
            raise CorruptFile(N_("a HEIF image needs exactly one top-level 'meta' box"))
        self.trailers()
        spans: list[Span] = []
        removed: list[tuple[int, int]] = []
        if metas:  # an image sequence may hold only a movie
            buf = read_box_tree(self.fh, metas[0], MAX_META)
            heif = parse_heif_meta(buf, metas[0], self.size)
            s.problems.extend(heif.problems)
            spans, removed = self.items(heif)
        if not s.problems:
            plan_media(s, mm, spans, removed, what="photo")
        s.plan.settle()
        s.findings = cap_findings(s.findings + self.findings)
        if "rotation" in s.properties and not s.properties.get("tracks"):
            for key in ("rotation", "tracks", "has_audio"):
                s.properties.pop(key, None)
        return s

    def trailers(self) -> None:
        plan, boxes = self.scan.plan, self.top.boxes
        if self.top.trailer:
            self.fh.seek(self.top.end)
            tail = self.fh.read(min(self.top.trailer, MAX_ITEM_READ))
            if is_sef(tail) and len(tail) == self.top.trailer:
                self.findings.extend(sef_findings(tail, "Samsung trailer"))
            else:
                self.findings.append(trailer_finding(self.fh, self.top.end, self.top.trailer,
                                                     "trailer"))
        # Samsung's 'mpvd' (motion-photo video) and 'sefd' (capture time, country code,
        # motion-photo data) boxes: cut off at the end, 'free' in the middle
        last = len(boxes)
        while last and boxes[last - 1].type in SAMSUNG_BOXES:
            last -= 1
        if last < len(boxes):
            plan.end = boxes[last].start
        for i, box in enumerate(boxes):
            if box.type == b"mpvd":
                self.findings.append(trailer_finding(self.fh, box.payload_start,
                                                     box.payload_size, "Samsung mpvd"))
            elif box.type == b"sefd":
                if box.payload_size > MAX_ITEM_READ:
                    self.findings.append(trailer_finding(self.fh, box.payload_start,
                                                         box.payload_size, "Samsung sefd"))
                else:
                    self.fh.seek(box.payload_start)
                    data = self.fh.read(box.payload_size)
                    self.findings.extend(sef_findings(data, "Samsung sefd"))
            if box.type in SAMSUNG_BOXES and i < last:
                plan.free(box)

    def items(self, heif: HeifMeta) -> tuple[list[Span], list[tuple[int, int]]]:
        """Plan the 'meta' box; returns the kept pictures' ranges in 'mdat' (with how they
        are coded) and the removed items' ranges."""
        if heif.primary is None or heif.primary not in heif.items:
            raise CorruptFile(N_("the image names no primary picture"))
        keep = self.needed(heif)
        primary = heif.items[heif.primary]
        self.kept_props(heif, primary)
        for item in heif.items.values():
            if item.id not in keep:
                what = self.describe(heif, item, keep)
                if what is not None:
                    self.findings.extend(what)
        cleaner = MetaCleaner(self.mover, heif, keep)
        cleaner.run()
        self.findings.extend(cleaner.findings)
        idat = heif.meta.find(b"idat")
        media = self.scan.media
        spans: list[Span] = []
        removed: list[tuple[int, int]] = []
        for item in heif.items.values():
            inside = [(a, b) for a, b in item.extents
                      if any(lo <= a and b <= hi for lo, hi in media)]
            if item.id not in keep:
                removed.extend(inside)
                for a, b in item.extents:
                    in_idat = idat is not None and idat.payload_start <= a and b <= idat.end
                    if (a, b) not in inside and not in_idat:
                        self.scan.plan.zero_range(a, b)
                continue
            if item.data_ref:
                self.scan.problems.append(message(N_("picture {id} is stored in another file"), id=item.id))
            if item.construction == 1:
                continue
            if item.construction != 0 or len(inside) != len(item.extents):
                if item.extents:
                    self.scan.problems.append(message(N_("picture {id} is stored where share_guard cannot "
                                                         "follow"),
                                                      id=item.id))
                continue
            entry = item_entry(heif, item)
            for a, b in merged(item.extents):
                spans.append((a, b, entry))
            if len(merged(item.extents)) > 1 and entry.scrub:
                self.scan.problems.append(message(N_("picture {id} is stored in pieces"), id=item.id))
        return spans, removed

    def needed(self, heif: HeifMeta) -> set[int]:
        """The primary picture and what displaying it needs: tiles, inputs, alpha."""
        keep = {heif.primary} if heif.primary is not None else set()
        todo = list(keep)
        while todo:
            item = heif.items.get(todo.pop())
            if item is None:
                continue
            for ref in (b"dimg", b"base"):
                for target in item.refs.get(ref, []):
                    if target not in keep:
                        keep.add(target)
                        todo.append(target)
            for aux in heif.referrers(item.id, b"auxl"):
                if aux.id not in keep and heif.aux_type(aux).startswith(ALPHA_AUX):
                    keep.add(aux.id)
                    todo.append(aux.id)
        return {i for i in keep if i is not None}

    def describe(self, heif: HeifMeta, item: Item, keep: set[int]) -> list[Finding] | None:
        where = f"HEIF item {item.id}"
        if item.type == NEUTRAL_TYPE and item.size <= MAX_ITEM_READ:
            if not any(self.item_bytes(heif, item)):
                return None  # already neutralised by a previous clean
        if item.type == b"Exif":
            data = self.item_bytes(heif, item)
            if len(data) >= 4:
                skip = struct.unpack(">I", data[:4])[0]
                data = data[4 + skip :] if 4 + skip <= len(data) else data[4:]
            # in HEIF the display transform is 'irot'/'imir'; the EXIF orientation goes too
            return [f for f in exif_block_findings(data, f"{where} Exif")
                    if f.category is not C.KEPT]
        if item.type == b"mime":
            if "xml" in item.content_type or "xmp" in item.content_type:
                return xmp_block_findings(self.item_bytes(heif, item), f"{where} XMP")
            return [Finding(C.HIDDEN, where, message(N_("Embedded data ({kind})"),
                                                     kind=item.content_type or "mime"),
                            _size_words(item.size), N_("data stored beside the picture; removed"))]
        if not item.is_image:
            return [Finding(C.UNKNOWN, where, message(N_("Item of type '{kind}'"),
                                                     kind=item.type.decode("latin-1")),
                            _size_words(item.size), N_("data we cannot interpret; removed"))]
        if any(item.id in heif.items[k].refs.get(b"dimg", []) for k in heif.items
               if k not in keep):
            return None  # a tile of an image reported on its own
        ispe = item.prop(b"ispe")
        dims = ""
        if ispe is not None and ispe.payload_size >= 12:
            w, h = struct.unpack(">II", heif.buf.get(ispe.payload_start + 4, 8))
            dims = f"{w}x{h}, "
        value = f"{dims}{_size_words(item.size)}"
        if b"thmb" in item.refs:
            return [Finding(C.HIDDEN, where, N_("Thumbnail"), value,
                            N_("a small copy of the picture that can show what an edit removed; "
                            "removed"))]
        aux = heif.aux_type(item).lower()
        if "depth" in aux or "auxid:2" in aux or "disparity" in aux:
            name, why = N_("Depth map"), N_("the shape of the scene recorded by the camera; removed")
        elif "gainmap" in aux or item.type == b"tmap" or "hdr" in aux:
            name, why = N_("HDR gain map"), N_("a second, low-resolution copy of the picture; removed")
        elif aux:
            name = N_("Auxiliary image")
            why = message(N_("an extra image ({aux}) stored beside the picture; removed"), aux=aux)
        else:
            name, why = N_("Additional image"), N_("another picture stored in the file; removed")
        return [Finding(C.HIDDEN, where, name, value, why)]

    def item_bytes(self, heif: HeifMeta, item: Item) -> bytes:
        out = bytearray()
        for a, b in item.extents:
            if heif.buf.base <= a and b <= heif.buf.end:
                out += heif.buf.get(a, b - a)
            else:
                self.fh.seek(a)
                out += self.fh.read(min(b - a, MAX_ITEM_READ - len(out)))
            if len(out) >= MAX_ITEM_READ:
                break
        return bytes(out)

    def kept_props(self, heif: HeifMeta, primary: Item) -> None:
        props = self.scan.properties
        buf = heif.buf
        ispe = primary.prop(b"ispe")
        if ispe is not None and ispe.payload_size >= 12:
            props["width"], props["height"] = struct.unpack(">II",
                                                            buf.get(ispe.payload_start + 4, 8))
        irot = primary.prop(b"irot")
        angle = (buf.u8(irot.payload_start) & 3) * 90 if irot is not None else 0
        props["rotation_ccw"] = angle
        imir = primary.prop(b"imir")
        mirror = (buf.u8(imir.payload_start) & 1) if imir is not None else None
        props["mirror"] = mirror
        if angle:
            self.findings.append(Finding(
                C.KEPT, "HEIF irot", N_("Rotation"), f"{angle}° counter-clockwise",
                N_("display rotation; kept so the photo shows the right way up"),
                identifying=False, removable=False))
        if imir is not None:
            self.findings.append(Finding(
                C.KEPT, "HEIF imir", N_("Mirror"),
                "left to right" if mirror else "top to bottom",
                N_("display mirroring; kept"), identifying=False, removable=False))
        props["orientation"] = exif_orientation(angle, mirror)


#: (irot counter-clockwise degrees, imir value or None) -> the EXIF orientation (1-8) that
#: displays the same way; HEIF applies irot first, then imir. imir 0 exchanges the top and
#: the bottom, 1 the left and the right: ISO/IEC 23008-12 as amended (its first text said
#: "a vertical axis" for 0, read both ways), and what libheif, Apple and libavif do
#: (tests/test_heif_luma.py compares with libheif's decode)
_ORIENTATION = {
    (0, None): 1, (90, None): 8, (180, None): 3, (270, None): 6,
    (0, 1): 2, (0, 0): 4, (180, 1): 4, (180, 0): 2,
    (90, 1): 7, (90, 0): 5, (270, 1): 5, (270, 0): 7,
}


def exif_orientation(angle: int, mirror: int | None) -> int:
    return _ORIENTATION[(angle, mirror)]


class HeifHandler(ScanHandler):
    name: ClassVar[str] = "heif"
    kind: ClassVar[str] = "image"
    mime: ClassVar[str] = "image/heif"
    extensions: ClassVar[tuple[str, ...]] = (".heic", ".heif", ".avif", ".hif")
    priority: ClassVar[int] = 20
    accounts: ClassVar[bool] = True

    def sniff(self, head: bytes) -> bool:
        return is_heif(head)

    def scan(self, src: Source) -> MovieScan:
        with src.open() as fh:
            scanner = HeifScanner(fh, src.size)
            with mapped(fh) as mm:
                return scanner.run(mm)

    def account(self, src: Source) -> Ledger:
        ledger = Ledger(src.size)
        with src.open() as fh:
            top = walk_top(fh, src.size)
            with mapped(fh) as mm:
                MovieAccountant(mm, ledger).run(top, MetaAccountant(mm, ledger, src.size))
        return ledger


HANDLERS = [HeifHandler()]
