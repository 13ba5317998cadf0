"""HEIC/HEIF/AVIF photos: what their items give away and a lossless clean copy.

Cleaning neutralises items in place instead of rebuilding ``iinf``/``iloc``/
``iref``/``ipma``: every Exif, XMP or other metadata item, every thumbnail,
depth map, gain map or extra image that the primary picture does not need
gets its item type changed to ``free`` (so decoders and exiftool skip it) and
its bytes zeroed. Nothing moves, so the coded picture, its tiles, ``irot``/
``imir`` and the ICC profile are copied byte for byte and every ``iloc``
offset stays valid. A Motion Photo video (Samsung ``mpvd`` box or data after
the last box) is cut off.
"""

from __future__ import annotations

import struct
from typing import BinaryIO, ClassVar

from share_guard.core.containers.base import Source
from share_guard.core.containers.bmff_boxes import read_box_tree, walk_top
from share_guard.core.containers.bmff_handler import ScanHandler
from share_guard.core.containers.bmff_meta import (
    cap_findings,
    exif_block_findings,
    xmp_block_findings,
)
from share_guard.core.containers.bmff_movie import MovieScan, MovieScanner
from share_guard.core.containers.heif_items import ALPHA_AUX, HeifMeta, Item, parse_heif_meta
from share_guard.core.errors import CorruptFile
from share_guard.core.report import Category, Finding

C = Category
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2",
               b"avif", b"avis", b"avio", b"MiHE", b"MiHB")
MAX_META = 64 * 1024 * 1024
MAX_ITEM_READ = 16 * 1024 * 1024
NEUTRAL_TYPE = b"free"


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
        return Finding(C.HIDDEN, where, "Motion Photo video", words,
                       f"{words}: it shows the moments before and after; removed")
    return Finding(C.HIDDEN, where, "Data after the image", _size_words(size),
                   "data appended after the picture; removed")


class HeifScanner:
    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh = fh
        self.top = walk_top(fh, size)
        self.size = size
        self.scan: MovieScan = MovieScanner(fh, self.top, "photo").run(
            skip=frozenset({b"meta", b"mpvd"}))
        self.findings: list[Finding] = []

    def run(self) -> MovieScan:
        s = self.scan
        metas = [b for b in self.top.boxes if b.type == b"meta"]
        has_movie = any(b.type == b"moov" for b in self.top.boxes)
        if len(metas) > 1 or not (metas or has_movie):
            raise CorruptFile("a HEIF image needs exactly one top-level 'meta' box")
        self.trailers()
        if metas:  # an image sequence may hold only a movie
            buf = read_box_tree(self.fh, metas[0], MAX_META)
            hdlr = metas[0].find(b"hdlr")
            if hdlr is not None:  # its name ("PictureHandler", vendor strings) is not needed
                s.plan.zero_range(hdlr.payload_start + 24, hdlr.end)
            heif = parse_heif_meta(buf, metas[0], self.size)
            s.problems.extend(heif.problems)
            self.items(heif)
        s.findings = cap_findings(s.findings + self.findings)
        if "rotation" in s.properties and not s.properties.get("tracks"):
            for key in ("rotation", "tracks", "has_audio"):
                s.properties.pop(key, None)
        return s

    def trailers(self) -> None:
        plan, boxes = self.scan.plan, self.top.boxes
        if self.top.trailer:
            self.findings.append(trailer_finding(self.fh, self.top.end, self.top.trailer,
                                                 "trailer"))
        # trailing 'mpvd' boxes are cut off; one in the middle becomes 'free'
        last = len(boxes)
        while last and boxes[last - 1].type == b"mpvd":
            last -= 1
        if last < len(boxes):
            plan.end = boxes[last].start
        for i, box in enumerate(boxes):
            if box.type == b"mpvd":
                self.findings.append(trailer_finding(self.fh, box.payload_start,
                                                     box.payload_size, "Samsung mpvd"))
                if i < last:
                    plan.free(box)

    def items(self, heif: HeifMeta) -> None:
        if heif.primary is None or heif.primary not in heif.items:
            raise CorruptFile("the image names no primary picture")
        keep = self.needed(heif)
        primary = heif.items[heif.primary]
        self.kept_props(heif, primary)
        for item in heif.items.values():
            if item.id in keep:
                continue
            what = self.describe(heif, item, keep)
            if what is not None:
                self.findings.extend(what)
            self.neutralise(heif, item)

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
            return [Finding(C.HIDDEN, where, f"Embedded data ({item.content_type or 'mime'})",
                            _size_words(item.size), "data stored beside the picture; removed")]
        if not item.is_image:
            return [Finding(C.UNKNOWN, where, f"Item of type '{item.type.decode('latin-1')}'",
                            _size_words(item.size), "data we cannot interpret; removed")]
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
            return [Finding(C.HIDDEN, where, "Thumbnail", value,
                            "a small copy of the picture that can show what an edit removed; "
                            "removed")]
        aux = heif.aux_type(item).lower()
        if "depth" in aux or "auxid:2" in aux or "disparity" in aux:
            name, why = "Depth map", "the shape of the scene recorded by the camera; removed"
        elif "gainmap" in aux or item.type == b"tmap" or "hdr" in aux:
            name, why = "HDR gain map", "a second, low-resolution copy of the picture; removed"
        elif aux:
            name, why = "Auxiliary image", f"an extra image ({aux}) stored beside the picture; " \
                "removed"
        else:
            name, why = "Additional image", "another picture stored in the file; removed"
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

    def neutralise(self, heif: HeifMeta, item: Item) -> None:
        plan = self.scan.plan
        if item.type_offset is not None:
            plan.patch(item.type_offset, NEUTRAL_TYPE)
        elif item.content_type_at is not None:
            start, length = item.content_type_at
            plan.zero_range(start, start + length)
        if item.construction not in (0, 1) and item.located:
            self.scan.problems.append(f"item {item.id} cannot be removed safely")
        for a, b in item.extents:
            plan.zero_range(a, b)

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
                C.KEPT, "HEIF irot", "Rotation", f"{angle}° counter-clockwise",
                "display rotation; kept so the photo shows the right way up",
                identifying=False, removable=False))
        if imir is not None:
            self.findings.append(Finding(
                C.KEPT, "HEIF imir", "Mirror",
                "top to bottom" if mirror else "left to right",
                "display mirroring; kept", identifying=False, removable=False))
        props["orientation"] = exif_orientation(angle, mirror)
        for colr in (p for p in primary.props if p.type == b"colr"):
            kind = buf.get(colr.payload_start, 4)
            if kind in (b"prof", b"rICC"):
                self.findings.append(Finding(
                    C.KEPT, "HEIF colr", "Colour profile", _size_words(colr.payload_size - 4),
                    "ICC colour profile; kept so colours show correctly",
                    identifying=False, removable=False))


#: (irot counter-clockwise degrees, imir axis or None) -> the EXIF orientation (1-8) that
#: displays the same way; HEIF applies irot first, then imir (axis 0 = left-right flip)
_ORIENTATION = {
    (0, None): 1, (90, None): 8, (180, None): 3, (270, None): 6,
    (0, 0): 2, (0, 1): 4, (180, 0): 4, (180, 1): 2,
    (90, 0): 7, (90, 1): 5, (270, 0): 5, (270, 1): 7,
}


def exif_orientation(angle: int, mirror: int | None) -> int:
    return _ORIENTATION[(angle, mirror)]


def is_heif(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = min(struct.unpack(">I", head[:4])[0], len(head))
    brands = [head[i : i + 4] for i in range(8, size - 3, 4) if i != 12]
    if not brands:
        return False
    if brands[0] in HEIF_BRANDS:
        return True
    return b"mif1" in brands and brands[0] not in (b"qt  ", b"isom", b"mp41", b"mp42")


class HeifHandler(ScanHandler):
    name: ClassVar[str] = "heif"
    kind: ClassVar[str] = "image"
    mime: ClassVar[str] = "image/heif"
    extensions: ClassVar[tuple[str, ...]] = (".heic", ".heif", ".avif", ".hif")
    priority: ClassVar[int] = 20

    def sniff(self, head: bytes) -> bool:
        return is_heif(head)

    def scan(self, src: Source) -> MovieScan:
        with src.open() as fh:
            return HeifScanner(fh, src.size).run()


HANDLERS = [HeifHandler()]
