"""The colour tags of an ICC profile, walked field by field and written back clean.

A colour tag is kept because a colour management module reads it, but only the fields it
reads: the tag's reserved bytes, slack after its values, the parts of a ``mAB ``/``mBA ``
transform no offset reaches, extra XYZ numbers a single-colour tag does not have, and
numbers far outside any colour (an XYZ "value" of 21076.4 is four letters of text) are
places to hide data. :func:`clean_block` returns the exact bytes a clean profile holds for a
tag (its specified size, every byte it does not read zeroed) or raises :class:`IccError`;
the cleaner writes that block and the byte accounting proves a copy's block equals it.

Written here because no library exposes a profile's tags byte for byte (LittleCMS
re-serialises them); ICC.1:2022 (v4.4) section 10 gives each layout.
"""

from __future__ import annotations

import struct

from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message


class IccError(CorruptFile):
    """Bytes behind an ICC signature that are not a profile we can vouch for."""


#: numbers a colour tag may hold, as s15Fixed16 (|value| below this many units): XYZ
#: colours, matrices and curve parameters are small, so the high byte of every number is
#: 0x00 or 0xFF and no run of text fits in them; luminance (cd/m2) may be larger
SMALL = 256 << 16
LUMINANCE = 8192 << 16
#: tags that hold exactly one XYZ number
SINGLE_XYZ = frozenset({b"rXYZ", b"gXYZ", b"bXYZ", b"wtpt", b"bkpt", b"lumi"})
#: the PCS illuminant (D50) every profile's header must name, and how far real ones stray
D50 = (0x0000F6D6, 0x00010000, 0x0000D32D)
D50_SLACK = 0x100


def _signed(raw: bytes | bytearray | memoryview) -> list[int]:
    return list(struct.unpack(f">{len(raw) // 4}i", raw))


def _check_numbers(values: list[int], limit: int, what: str) -> None:
    if any(not -limit <= v < limit for v in values):
        raise IccError(message(N_("colour profile {what} holds numbers no colour has"), what=what))


def _curve_size(body: bytes | memoryview, at: int) -> int:
    """Bytes of the curv/para element at ``at`` (4-byte aligned, as mAB/mBA pad them)."""
    kind = bytes(body[at : at + 4])
    if kind == b"curv":
        size = 12 + 2 * int.from_bytes(body[at + 8 : at + 12], "big")
    elif kind == b"para":
        fn = int.from_bytes(body[at + 8 : at + 10], "big")
        if fn > 4:
            raise IccError(N_("colour profile curve of an unknown kind"))
        size = 12 + 4 * (1, 3, 4, 5, 7)[fn]
        _check_numbers(_signed(body[at + 12 : at + size]), SMALL, "curve")
    else:
        raise IccError(N_("colour profile transform with a curve of an unknown type"))
    if at + size > len(body):
        raise IccError(N_("colour profile curve is cut short"))
    return size


def _lut_spans(body: bytes | memoryview, typ: bytes) -> list[tuple[int, int]]:
    """The ranges of an mAB/mBA tag a colour module reads (header included)."""
    if len(body) < 32:
        raise IccError(N_("colour profile transform is cut short"))
    ins, outs = body[8], body[9]
    if not 1 <= ins <= 15 or not 1 <= outs <= 15:
        raise IccError(N_("colour profile transform of an impossible shape"))
    off_b, off_mat, off_m, off_clut, off_a = struct.unpack_from(">5I", body, 12)
    a_count, b_count = (ins, outs) if typ == b"mAB " else (outs, ins)
    spans = [(0, 32)]

    def curves(at: int, n: int) -> None:
        for _ in range(n):
            size = _curve_size(body, at)
            spans.append((at, at + size))
            at += size + (-size % 4)

    if not off_b:
        raise IccError(N_("colour profile transform without its B curves"))
    curves(off_b, b_count)
    if off_mat:
        if off_mat + 48 > len(body):
            raise IccError(N_("colour profile matrix is cut short"))
        _check_numbers(_signed(body[off_mat : off_mat + 48]), SMALL, "matrix")
        spans.append((off_mat, off_mat + 48))
    if off_m:
        curves(off_m, b_count)
    if off_clut:
        grid = bytes(body[off_clut : off_clut + 16])
        channels = ins if typ == b"mAB " else outs
        precision = body[off_clut + 16] if off_clut + 16 < len(body) else 0
        if precision not in (1, 2) or any(grid[channels:]) or 0 in grid[:channels]:
            raise IccError(N_("colour profile table of an impossible shape"))
        points = 1
        for g in grid[:channels]:
            points *= g
        size = 20 + points * (outs if typ == b"mAB " else ins) * precision
        if off_clut + size > len(body):
            raise IccError(N_("colour profile table is cut short"))
        spans.append((off_clut, off_clut + 17))
        spans.append((off_clut + 20, off_clut + size))
    if off_a:
        curves(off_a, a_count)
    return spans


def _mpet_spans(body: bytes | memoryview) -> list[tuple[int, int]]:
    """The ranges of a multiProcessElements tag its position table names."""
    if len(body) < 16:
        raise IccError(N_("colour profile process elements are cut short"))
    count = int.from_bytes(body[12:16], "big")
    if count > 256 or 16 + 8 * count > len(body):
        raise IccError(N_("colour profile process elements of an impossible shape"))
    spans = [(0, 16 + 8 * count)]
    for i in range(count):
        off, size = struct.unpack_from(">II", body, 16 + 8 * i)
        if off < 16 + 8 * count or off + size > len(body) or size < 8:
            raise IccError(N_("colour profile process element outside its tag"))
        spans.append((off, off + size))
    return spans


def _only(body: bytes | memoryview, spans: list[tuple[int, int]]) -> bytearray:
    out = bytearray(len(body))
    for start, end in spans:
        out[start:end] = body[start:end]
    return out


def clean_block(body: bytes | memoryview, sig: bytes) -> bytes:
    """The bytes a clean profile holds for colour tag ``sig`` whose slot is ``body``: its
    specified size, reserved and unread bytes zeroed (raises IccError)."""
    t = bytes(body[:4])
    try:
        if t == b"XYZ ":
            count = 1 if sig in SINGLE_XYZ else (len(body) - 8) // 12
            out = bytearray(body[: 8 + 12 * count])
            if count < 1 or len(out) != 8 + 12 * count:
                raise IccError(N_("colour profile XYZ tag is empty"))
            _check_numbers(_signed(out[8:]), LUMINANCE if sig == b"lumi" else SMALL, "colour")
        elif t == b"curv":
            out = bytearray(body[: 12 + 2 * int.from_bytes(body[8:12], "big")])
        elif t == b"para":
            out = bytearray(body[: _curve_size(body, 0)])
        elif t == b"sf32":
            out = bytearray(body[: 8 + 36 if sig == b"chad" else len(body) // 4 * 4])
            _check_numbers(_signed(out[8:]), SMALL, "adaptation matrix")
        elif t == b"chrm":
            n = int.from_bytes(body[8:10], "big")
            out = bytearray(body[: 12 + 8 * n])
            if any(v >= 2 << 16 for v in struct.unpack(f">{2 * n}I", out[12:])):
                raise IccError(N_("colour profile chromaticity holds numbers no colour has"))
        elif t == b"cicp":
            out = bytearray(body[:12])
        elif t in (b"mft1", b"mft2"):
            out = bytearray(body[: _mft_size(body, t)])
            out[11] = 0
            _check_numbers(_signed(out[12:48]), SMALL, "matrix")
        elif t in (b"mAB ", b"mBA "):
            out = _only(body, _lut_spans(body, t))
            out[10:12] = b"\0\0"
        elif t == b"mpet":
            out = _only(body, _mpet_spans(body))
        else:
            raise IccError(message(N_("colour tag of an unexpected type {t}"), t=f"{t!r}"))
    except (IndexError, struct.error, ValueError) as exc:
        if isinstance(exc, IccError):
            raise
        raise IccError(N_("colour profile tag is cut short")) from None
    if len(out) > len(body) or len(out) < 12:
        raise IccError(N_("colour profile tag is larger than its slot"))
    out[4:8] = bytes(4)  # reserved
    return bytes(out)


def _mft_size(body: bytes | memoryview, t: bytes) -> int:
    ins, outs, grid = body[8], body[9], body[10]
    if ins == 0 or outs == 0 or ins > 15 or outs > 15:
        raise IccError(N_("colour profile table of an impossible shape"))
    clut: int = grid ** ins * outs
    if t == b"mft1":
        return 48 + 256 * ins + clut + 256 * outs
    n_in, n_out = (int(v) for v in struct.unpack_from(">HH", body, 48))
    return 52 + 2 * (n_in * ins + clut + n_out * outs)


def neutral_illuminant(raw: bytes | bytearray | memoryview) -> bytes:
    """The header's PCS illuminant: kept when it is D50 (give or take rounding), else D50."""
    values = struct.unpack(">3i", raw)
    if all(abs(v - d) <= D50_SLACK for v, d in zip(values, D50, strict=True)):
        return bytes(raw)
    return struct.pack(">3i", *D50)
