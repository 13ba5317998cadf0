"""The exact layout of the HEIF ``meta`` boxes and item properties share_guard keeps.

Same segments as :mod:`bmff_layout` (written, blank, wanted value, payload, ICC): item
names, content types and URIs are blanked; a removed item's type reads ``free``; data
references point at this file; a property no kept picture needs becomes ``free`` and no
association may call it essential. The cleaner applies these layouts to its input and the
byte accounting checks them on the output.
"""

from __future__ import annotations

from collections.abc import Callable

from share_guard.core.containers.bmff_entries import av1c, colr, hvcc
from share_guard.core.containers.bmff_layout import L, Layout
from share_guard.core.containers.bmff_numbers import bounded, clap, mdcv
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_

ALPHA_AUX = ("urn:mpeg:hevc:2015:auxid:1", "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha",
             "urn:mpeg:avc:2015:auxid:1")


def pitm(b: L) -> None:
    v, _ = b.vf((0, 1))
    b.w(4 if v else 2)


def infe(kept: bool) -> Layout:
    """An item info entry: ID, protection, type; its name (and content type, encoding or
    URI) blank. A removed item reads type 'free'."""
    def layout(b: L) -> None:
        v, _ = b.vf((0, 1, 2, 3), mask=1)
        if v < 2:
            if kept:
                raise CorruptFile(N_("an item without a type cannot be a picture"))
            b.w(2)
            b.want(b"\0\0")
            return
        b.w(4 if v == 3 else 2)
        b.want(b"\0\0")  # protection index: none
        if kept:
            b.w(4)
        else:
            b.want(b"free")
    return layout


def iinf(b: L) -> None:
    v, _ = b.vf((0, 1))
    b.w(4 if v else 2)


def iloc(b: L) -> None:
    v, _ = b.vf((0, 1, 2))
    sizes = b.uint(2)
    off_size, len_size = sizes >> 12, (sizes >> 8) & 0xF
    base_size, index_size = (sizes >> 4) & 0xF, (sizes & 0xF) if v else 0
    if any(n not in (0, 4, 8) for n in (off_size, len_size, base_size, index_size)):
        raise CorruptFile(N_("item locations use unsupported field sizes"))
    count = b.uint(4 if v == 2 else 2)
    for _ in range(count):
        b.w(4 if v == 2 else 2)
        if v:
            b.want(bytes([0, b.buf.u8(b.pos + 1) & 0xF]))  # construction method only
        b.want(b"\0\0")  # data reference: this file
        b.w(base_size)
        b.table(b.uint(2), index_size + off_size + len_size)


def iref_child(version: int) -> Layout:
    def layout(b: L) -> None:
        width = 4 if version else 2
        b.w(width)
        b.table(b.uint(2), width)
    return layout


def iref(b: L) -> None:
    b.vf((0, 1))


def ipma(essential_ok: Callable[[int], bool]) -> Layout:
    """Property associations: numbers; the essential bit is cleared where the property was
    removed (``essential_ok(index)`` False)."""
    def layout(b: L) -> None:
        v, flags = b.vf((0, 1), mask=1)
        for _ in range(b.uint(4)):
            b.w(4 if v else 2)
            for _ in range(b.uint(1)):
                if flags & 1:
                    value = b.buf.u16(b.pos)
                    index, keep = value & 0x7FFF, value
                    if not essential_ok(index):
                        keep &= 0x7FFF
                    b.want(keep.to_bytes(2, "big"))
                else:
                    value = b.buf.u8(b.pos)
                    index, keep = value & 0x7F, value
                    if not essential_ok(index):
                        keep &= 0x7F
                    b.want(bytes([keep]))
    return layout


# -- item properties ------------------------------------------------------------------------

def _ispe(b: L) -> None:
    b.vf()
    b.w(8)


def _pixi(b: L) -> None:
    b.vf()
    b.w(b.uint(1))


def _irot(b: L) -> None:
    b.want(bytes([b.buf.u8(b.pos) & 3]))


def _imir(b: L) -> None:
    b.want(bytes([b.buf.u8(b.pos) & 1]))


def _fixed(n: int, full: bool = False) -> Layout:
    def layout(b: L) -> None:
        if full:
            b.vf()
        b.w(n)
    return layout


def _hvcc(b: L) -> None:
    notes: list[str] = []
    hvcc(b, notes)


def _auxc(b: L) -> None:
    """Auxiliary type: kept only for alpha planes; the subtype bytes are blank."""
    b.vf()
    text, end = b.buf.cstring(b.pos, b.box.end)
    if text not in ALPHA_AUX:
        raise CorruptFile(N_("an auxiliary image that is not an alpha plane"))
    b.w(end - b.pos)


def _a1lx(b: L) -> None:
    large = b.buf.u8(b.pos) & 1
    b.want(bytes([large]))
    b.w(3 * (4 if large else 2))


def _lsel(b: L) -> None:
    b.w(2)


def _blank(b: L) -> None:
    """'free'/'skip': nothing but zeros."""


PROPERTIES: dict[bytes, Layout] = {
    b"ispe": _ispe, b"pixi": _pixi, b"colr": colr, b"irot": _irot, b"imir": _imir,
    b"clap": clap, b"pasp": bounded(2, 0xFFFF), b"hvcC": _hvcc, b"av1C": av1c, b"auxC": _auxc,
    b"rloc": _fixed(8, True), b"lsel": _lsel, b"a1op": _fixed(1), b"a1lx": _a1lx,
    b"clli": _fixed(4), b"mdcv": mdcv, b"iscl": _fixed(8, True),
    b"free": _blank, b"skip": _blank,
}


def grid_size(data: bytes) -> int:
    """Bytes of an 'grid' derived image description (version, flags, rows, columns, size)."""
    if len(data) < 8 or data[0] != 0:
        raise CorruptFile(N_("an image grid of an unknown version"))
    return 12 if data[1] & 1 else 8
