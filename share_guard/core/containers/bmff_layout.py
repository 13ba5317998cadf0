"""The exact layout of every ISO-BMFF box share_guard keeps, field by field.

A kept box is never copied whole: its layout splits it into segments, each one

* ``W`` written: a field read and validated (a count, a time scale, a track ID);
* ``W`` with a wanted value: a field that must hold exactly that (a version and only the
  flag bits that mean something; a data reference that points at this file);
* ``Z`` blank: bytes that must be zero (creation times, vendor and handler names,
  reserved fields, and the *slack*: anything after the box's specified content);
* ``P`` payload: coded data (parameter sets inside a decoder configuration);
* ``ICC`` a colour profile (neutralised by :mod:`share_guard.core.metadata.icc`).

The cleaner applies a layout to its input (:func:`plan_segments` zeroes blanks, writes
wanted values, neutralises profiles, in place) and the byte accounting checks the same
layout on the output (:func:`account_segments`), so a field that can hold text, a
reserved field, or bytes after the last entry of a table can neither survive a clean nor
pass verification. A box type without a layout here is not kept (the walkers free or
refuse it).
"""

from __future__ import annotations

from share_guard.core.containers.bmff_fields import (
    ICC,
    MAX_ENTRIES,
    L,
    Layout,
    P,
    Seg,
    W,
    Z,
    account_segments,
    plan_segments,
    segments,
)
from share_guard.core.containers.bmff_numbers import matrix, whole_pixels
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message

__all__ = ["ICC", "MOVIE_LEAVES", "P", "SAMPLE_GROUPS", "TREF_CHILD", "W", "Z", "L", "Layout",
           "Seg", "account_segments", "hdlr", "plan_segments", "segments"]


# -- movie header boxes -------------------------------------------------------------------

def _mvhd(b: L) -> None:
    v, _ = b.vf((0, 1))
    t = 8 if v else 4
    b.z(2 * t)  # creation and modification time
    b.w(4 + t + 4 + 2)  # time scale, duration, rate, volume
    b.z(10)
    matrix(b)
    b.z(24)  # pre-defined (QuickTime preview, poster, selection and current times)
    b.w(4)  # next track ID


def _tkhd(b: L) -> None:
    v, _ = b.vf((0, 1), mask=0xF)
    t = 8 if v else 4
    b.z(2 * t)
    b.w(4)  # track ID
    b.z(4)
    b.w(t)  # duration
    b.z(8)
    b.w(6)  # layer, alternate group, volume
    b.z(2)
    matrix(b)
    whole_pixels(b, 2)  # width, height


def _mdhd(b: L) -> None:
    v, _ = b.vf((0, 1))
    t = 8 if v else 4
    b.z(2 * t)
    b.w(4 + t + 2)  # time scale, duration, language
    b.z(2)


HDLR_COMPONENTS = (b"\0\0\0\0", b"mhlr", b"dhlr")


def hdlr(b: L) -> None:
    b.vf()
    component = b.buf.get(b.pos, 4)
    b.want(component if component in HDLR_COMPONENTS else bytes(4))
    b.w(4)  # handler type
    # QuickTime's manufacturer, flags and mask, then the name: blank


def _vmhd(b: L) -> None:
    b.vf(mask=1)
    b.w(8)


def _smhd(b: L) -> None:
    b.vf()
    b.w(2)
    b.z(2)


def _hmhd(b: L) -> None:
    b.vf()
    b.w(12)


def _empty_full(b: L) -> None:
    b.vf()


def _gmin(b: L) -> None:
    b.vf()
    b.w(10)


def _url(b: L) -> None:
    # a data reference kept only as "in this file" (flag 1), never a path or a URL
    b.want(b"\0\0\0\1")


# -- sample tables --------------------------------------------------------------------

def _counted(entry: int, versions: tuple[int, ...] = (0,)) -> Layout:
    def layout(b: L) -> None:
        b.vf(versions)
        b.table(b.uint(4), entry)
    return layout


def _stss(b: L) -> None:
    """Sync samples: numbers of the track's samples, in order (a red team kept text as
    numbers past the last sample)."""
    b.vf()
    count = b.uint(4)
    raw = b.entries(count, 4)
    numbers = [int.from_bytes(raw[i : i + 4], "big") for i in range(0, len(raw), 4)]
    samples = b.ctx.get("samples")
    if any(n <= p for p, n in zip([0, *numbers], numbers, strict=False)) or (
            numbers and samples is not None and numbers[-1] > samples):
        raise CorruptFile(N_("a sync-sample table whose numbers are not the track's samples "
                             "in order"))
    b.table(count, 4)


#: the auxiliary information a clean copy keeps: a common-encryption scheme's (a file with
#: encrypted tracks is refused; the type and its parameter are otherwise 8 free bytes)
AUX_TYPES = {b"cenc", b"cens", b"cbc1", b"cbcs"}


def _aux_type(b: L, flags: int) -> None:
    if flags & 1:
        if b.buf.get(b.pos, 4) not in AUX_TYPES or b.buf.uint(b.pos + 4, 4):
            raise CorruptFile(N_("auxiliary sample information of an unknown kind"))
        b.w(8)


def _ctts(b: L) -> None:
    b.vf((0, 1))
    b.table(b.uint(4), 8)


def _cslg(b: L) -> None:
    v, _ = b.vf((0, 1))
    b.w(20 if v == 0 else 40)


def _stsz(b: L) -> None:
    b.vf()
    fixed = b.uint(4)
    count = b.uint(4)
    if fixed == 0:
        b.table(count, 4)


def _stz2(b: L) -> None:
    b.vf()
    b.z(3)
    bits = b.uint(1)
    count = b.uint(4)
    if bits not in (4, 8, 16):
        raise CorruptFile(N_("bad compact sample size table"))
    b.table(1, (count * bits + 7) // 8)


def _per_sample(width: int) -> Layout:
    """sdtp/stdp: one entry per sample, as many as the track holds."""
    def layout(b: L) -> None:
        b.vf()
        samples = b.ctx.get("samples")
        b.table(samples if samples is not None else b.left // width, width)
    return layout


def _padb(b: L) -> None:
    b.vf()
    b.table(1, (b.uint(4) + 1) // 2)


#: sample group description entries we keep, by grouping type: their fixed size
SAMPLE_GROUPS = {b"roll": 2, b"prol": 2, b"rap ": 1, b"sync": 1, b"tele": 1}


def _sbgp(b: L) -> None:
    v, _ = b.vf((0, 1))
    if b.buf.get(b.pos, 4) not in SAMPLE_GROUPS:
        raise CorruptFile(N_("a sample grouping that is not kept"))
    b.w(4 + (4 if v == 1 else 0))
    b.table(b.uint(4), 8)


def _sgpd(b: L) -> None:
    v, _ = b.vf((1, 2))  # version 0 (entries of unknown size) is deprecated: not kept
    kind = b.buf.get(b.pos, 4)
    size = SAMPLE_GROUPS.get(kind)
    if size is None:
        raise CorruptFile(message(N_("sample group '{kind}' is not kept"), kind=kind.decode('latin-1')))
    b.w(4)
    default = b.uint(4)
    if v >= 2:
        b.w(4)
    count = b.uint(4)
    if count > MAX_ENTRIES:
        raise CorruptFile(N_("too many sample group entries"))
    for _ in range(count):
        length = default or b.uint(4)
        if length != size:
            raise CorruptFile(message(N_("a '{kind}' sample group entry of a wrong size"),
                                      kind=kind.decode('latin-1')))
        b.w(size)


def _subs(b: L) -> None:
    v, _ = b.vf((0, 1), mask=0xFFFFFF)  # flags are codec-specific
    for _ in range(min(b.uint(4), MAX_ENTRIES)):
        b.w(4)
        n = b.uint(2)
        b.table(n, (4 if v == 1 else 2) + 6)


def _saiz(b: L) -> None:
    _, flags = b.vf(mask=1)
    _aux_type(b, flags)
    default = b.uint(1)
    count = b.uint(4)
    if default == 0:
        b.table(count, 1)


def _saio(b: L) -> None:
    v, flags = b.vf((0, 1), mask=1)
    _aux_type(b, flags)
    b.table(b.uint(4), 8 if v else 4)


def _elst(b: L) -> None:
    """Edits: a duration and a media time each, played at rate 1 (or 0: a still) - any
    other rate is text sooner than an edit (a red team kept one)."""
    v, _ = b.vf((0, 1))
    count = b.uint(4)
    size = 20 if v == 1 else 12
    b.entries(count, size)
    for _ in range(count):
        b.w(size - 4)
        if b.buf.get(b.pos, 4) not in (b"\0\1\0\0", b"\0\0\0\0"):
            raise CorruptFile(N_("an edit played at a rate other than 1"))
        b.w(4)


def _track_ids(b: L) -> None:
    b.table(b.left // 4, 4)


def _fixed(n: int, full: bool = True, versions: tuple[int, ...] = (0,)) -> Layout:
    def layout(b: L) -> None:
        if full:
            b.vf(versions)
        b.w(n)
    return layout


def _timed(n_after: int) -> Layout:
    """mehd/tfdt: one 32- or 64-bit time by version."""
    def layout(b: L) -> None:
        v, _ = b.vf((0, 1))
        b.w((8 if v else 4) + n_after)
    return layout


# -- fragments ----------------------------------------------------------------------------

TFHD_FLAGS = 0x3003B


def _tfhd(b: L) -> None:
    _, flags = b.vf(mask=TFHD_FLAGS)
    b.w(4)
    for bit, size in ((0x1, 8), (0x2, 4), (0x8, 4), (0x10, 4), (0x20, 4)):
        if flags & bit:
            b.w(size)


TRUN_FLAGS = 0xF05


def _trun(b: L) -> None:
    _, flags = b.vf((0, 1), mask=TRUN_FLAGS)
    count = b.uint(4)
    for bit in (0x1, 0x4):
        if flags & bit:
            b.w(4)
    per = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
    b.table(count, per)


def _sidx(b: L) -> None:
    v, _ = b.vf((0, 1))
    b.w(8 + (16 if v else 8))
    b.z(2)
    b.table(b.uint(2), 12)


def _tfra(b: L) -> None:
    v, _ = b.vf((0, 1))
    b.w(4)
    sizes = b.buf.u32(b.pos)
    b.want((sizes & 0x3F).to_bytes(4, "big"))
    per = 2 * (8 if v else 4) + sum(((sizes >> s) & 3) + 1 for s in (4, 2, 0))
    b.table(b.uint(4), per)


#: brands written by cameras, phones and muxers; any other four letters are not kept
BRANDS = frozenset({
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41",
    b"mp42", b"mp71", b"avc1", b"hvc1", b"hev1", b"av01", b"dash", b"msdh", b"msix", b"cmfc",
    b"cmf2", b"cmfs", b"qt  ", b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gp8", b"3gp9", b"3g2a",
    b"3g2b", b"3g2c", b"3ge6", b"3ge7", b"3gg6", b"3gs7", b"M4V ", b"M4A ", b"M4P ", b"M4B ",
    b"M4VH", b"M4VP", b"MSNV", b"NDAS", b"F4V ", b"F4P ", b"heic", b"heix", b"heim", b"heis",
    b"hevc", b"hevx", b"mif1", b"msf1", b"mif2", b"miaf", b"MiHE", b"MiHB", b"MiHA", b"MiPr",
    b"MiAn", b"avif", b"avis", b"avio", b"jpeg", b"jpgs", b"mjp2", b"XAVC", b"caqv", b"mp4v",
    b"dby1", b"dbv1", b"iso1", b"aid3", b"kddi", b"CAEP", b"nvr1", b"ma1b", b"ma1a", b"unif",
    b"MA1A", b"MA1B", b"j2ki", b"tmap", b"mp21", b"isml", b"piff", b"opus", b"mp4a",
})


def _ftyp(b: L) -> None:
    """Brands: the major brand kept; a compatible brand nobody writes (four letters a tool
    could fill with anything) becomes a copy of the major brand. The minor version, a free
    number, is blank."""
    if b.left < 8 or b.left % 4:
        raise CorruptFile(N_("a file type box of an impossible size"))
    major = b.buf.get(b.pos, 4)
    b.w(4)
    b.z(4)
    while b.left:
        brand = b.buf.get(b.pos, 4)
        b.want(brand if brand in BRANDS else major)


def _pdin(b: L) -> None:
    b.vf()
    b.table(b.left // 8, 8)


def _blank(b: L) -> None:
    """'free'/'skip'/'wide': nothing but zeros after the header."""


#: layouts of the leaf boxes kept in movies (parents: moov, trak, mdia, minf, stbl, ...)
MOVIE_LEAVES: dict[bytes, Layout] = {
    b"ftyp": _ftyp, b"styp": _ftyp, b"free": _blank, b"skip": _blank, b"wide": _blank,
    b"mvhd": _mvhd, b"tkhd": _tkhd, b"mdhd": _mdhd, b"hdlr": hdlr,
    b"vmhd": _vmhd, b"smhd": _smhd, b"hmhd": _hmhd, b"nmhd": _empty_full,
    b"sthd": _empty_full, b"gmin": _gmin, b"url ": _url,
    b"stts": _counted(8), b"ctts": _ctts, b"cslg": _cslg, b"stss": _stss,
    b"stps": _counted(4), b"stsh": _counted(8), b"sdtp": _per_sample(1),
    b"stdp": _per_sample(2), b"stsc": _counted(12), b"stsz": _stsz, b"stz2": _stz2,
    b"stco": _counted(4), b"co64": _counted(8), b"sbgp": _sbgp, b"sgpd": _sgpd,
    b"subs": _subs, b"saiz": _saiz, b"saio": _saio, b"padb": _padb,
    b"elst": _elst, b"mehd": _timed(0), b"trex": _fixed(20),
    b"clef": _fixed(8), b"prof": _fixed(8), b"enof": _fixed(8), b"load": _fixed(16, False),
    b"mfhd": _fixed(4), b"tfhd": _tfhd, b"tfdt": _timed(0), b"trun": _trun,
    b"sidx": _sidx, b"tfra": _tfra, b"mfro": _fixed(4), b"pdin": _pdin,
}
#: children of 'tref' (each a list of track IDs), whatever their reference type
TREF_CHILD: Layout = _track_ids
