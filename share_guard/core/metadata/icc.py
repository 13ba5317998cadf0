"""ICC colour profiles: what their text says, a neutral copy of the same size, and its proof.

A colour profile is kept in every container because colours depend on it, but a
profile also carries text and vendor fields: a description ("Jane's MacBook Pro,
calibrated"), a copyright line ("Copyright Apple Inc."), device maker and model
descriptions, the maker/model/creator signatures and date in the header, and private
tags (Apple's ``mmod`` holds the display's vendor, product and serial number).

:func:`neutral_profile` keeps the colour data byte for byte and writes everything else
from parsed fields: a neutral header (signatures, date, platform and profile ID
zeroed, vendor bits masked), a tag table of the colour tags only, the description
reduced to a known colour-space name (or "Colour profile"), an empty copyright, and
zeros everywhere else. The result has the same length as the input, so it can replace
a profile in place (MP4/HEIF ``colr`` boxes) as well as in rewritten containers.
Something behind an ICC signature that is not a valid profile is refused
(:class:`IccError`), so callers drop it.

No library does this: Pillow's ImageCms (LittleCMS) re-serialises profiles with its own
header and keeps unknown tags; we need byte-exact colour data and nothing else.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from share_guard.core.i18n import N_, message
from share_guard.core.metadata.icc_tags import IccError, clean_block, neutral_illuminant
from share_guard.core.report import Category, Finding, Severity

if TYPE_CHECKING:
    from share_guard.core.containers.ledger import Ledger

HEADER = 128
MAX_TAGS = 200
MAX_PROFILE = 64 * 1024 * 1024

#: tag signature -> tag types kept for it (the data a colour management module reads)
COLOUR_TAGS: dict[bytes, frozenset[bytes]] = {
    **{sig: frozenset({b"XYZ "}) for sig in (b"rXYZ", b"gXYZ", b"bXYZ", b"wtpt", b"bkpt", b"lumi")},
    **{sig: frozenset({b"curv", b"para"}) for sig in (b"rTRC", b"gTRC", b"bTRC", b"kTRC")},
    b"chad": frozenset({b"sf32"}),
    b"chrm": frozenset({b"chrm"}),
    b"cicp": frozenset({b"cicp"}),
    **{sig: frozenset({b"mft1", b"mft2", b"mAB ", b"mBA "})
       for sig in (b"A2B0", b"A2B1", b"A2B2", b"B2A0", b"B2A1", b"B2A2", b"gamt",
                   b"pre0", b"pre1", b"pre2")},
    **{sig: frozenset({b"mpet"}) for sig in (b"D2B0", b"D2B1", b"D2B2", b"D2B3",
                                              b"B2D0", b"B2D1", b"B2D2", b"B2D3")},
}
TEXT_TYPES = frozenset({b"desc", b"mluc", b"text"})
#: text tags kept, with neutral text; every other text tag is dropped
TEXT_TAGS = (b"desc", b"cprt")
#: LUT-like types whose inner layout is not walked: copied as colour payload
PAYLOAD_TYPES = frozenset({b"mAB ", b"mBA ", b"mpet"})

#: descriptions that name a colour space, not a person or device (compared case-folded)
NEUTRAL_NAMES = (
    "sRGB IEC61966-2.1", "sRGB", "sRGB built-in", "Display P3", "DCI-P3", "P3",
    "Adobe RGB (1998)", "ProPhoto RGB", "ROMM RGB", "Rec. 2020", "ITU-R BT.2020",
    "Rec. 709", "ITU-R BT.709", "Linear sRGB", "scRGB", "Generic Gray Gamma 2.2 Profile",
    "Gray Gamma 2.2", "Dot Gain 20%", "Generic RGB Profile", "Generic Gray Profile",
    "Coated FOGRA39 (ISO 12647-2:2004)", "U.S. Web Coated (SWOP) v2",
)
NEUTRAL_DESCRIPTION = "Colour profile"
_NEUTRAL = {name.casefold(): name for name in NEUTRAL_NAMES}

DEVICE_CLASSES = frozenset({b"scnr", b"mntr", b"prtr", b"link", b"spac", b"abst", b"nmcl"})
COLOUR_SPACES = frozenset({
    b"XYZ ", b"Lab ", b"Luv ", b"YCbr", b"Yxy ", b"RGB ", b"GRAY", b"HSV ", b"HLS ",
    b"CMYK", b"CMY ", *(f"{n:X}CLR".encode() for n in range(2, 16)),
})

# header fields (offset, length) that identify software, device or time: always zeroed
_CMM, _DATE, _PLATFORM, _MAKER, _MODEL, _CREATOR, _PROFILE_ID = (
    (4, 4), (24, 12), (40, 4), (48, 4), (52, 4), (80, 4), (84, 16))


__all__ = ["IccError", "account_icc", "check_icc", "icc_findings", "neutral_profile", "parse"]


class Tag:
    __slots__ = ("sig", "offset", "size", "type")

    def __init__(self, sig: bytes, offset: int, size: int, type_: bytes) -> None:
        self.sig, self.offset, self.size, self.type = sig, offset, size, type_


def parse(data: bytes) -> list[Tag]:
    """The tag table of a profile, after checking the header and every tag's bounds."""
    n = len(data)
    if n < HEADER + 4 or n > MAX_PROFILE:
        raise IccError(N_("colour profile of an impossible size"))
    declared = int.from_bytes(data[0:4], "big")
    if declared < HEADER + 4 or declared > n:
        raise IccError(N_("colour profile size field does not match its data"))
    if data[36:40] != b"acsp":
        raise IccError(N_("not a colour profile (no 'acsp' signature)"))
    if data[12:16] not in DEVICE_CLASSES or data[16:20] not in COLOUR_SPACES:
        raise IccError(N_("colour profile of an unknown class or colour space"))
    if data[20:24] not in (b"XYZ ", b"Lab ") and data[12:16] != b"link":
        raise IccError(N_("colour profile with an unknown connection space"))
    count = int.from_bytes(data[128:132], "big")
    table_end = 132 + 12 * count
    if count > MAX_TAGS or table_end > declared:
        raise IccError(N_("colour profile tag table is too large"))
    tags: list[Tag] = []
    for i in range(count):
        sig, offset, size = struct.unpack_from(">4sII", data, 132 + 12 * i)
        if offset < table_end or size < 8 or offset + size > declared:
            raise IccError(N_("colour profile tag points outside the profile"))
        tags.append(Tag(sig, offset, size, bytes(data[offset : offset + 4])))
    return tags


# -- reading the text ---------------------------------------------------------------------

def _text(data: bytes, tag: Tag) -> str:
    """The text of a desc/mluc/text tag ("" when it holds none)."""
    body = data[tag.offset : tag.offset + tag.size]
    try:
        if tag.type == b"text":
            return body[8:].split(b"\x00", 1)[0].decode("latin-1")
        if tag.type == b"desc":
            count = int.from_bytes(body[8:12], "big")
            return body[12 : 12 + max(count, 0)].split(b"\x00", 1)[0].decode("latin-1")
        if tag.type == b"mluc":
            records, rec_size = struct.unpack_from(">II", body, 8)
            texts = []
            for i in range(min(records, 64)):
                length, off = struct.unpack_from(">II", body, 16 + i * max(rec_size, 12) + 4)
                texts.append(body[off : off + length].decode("utf-16-be", "replace"))
            return " / ".join(dict.fromkeys(t for t in texts if t))
    except (struct.error, ValueError):
        return ""
    return ""


def neutral_description(text: str) -> str:
    """A known colour-space name kept as it is; any other description becomes neutral."""
    return _NEUTRAL.get(text.strip().casefold(), NEUTRAL_DESCRIPTION)


def _sig_text(raw: bytes) -> str:
    return raw.decode("latin-1").strip("\x00 ") if any(raw) else ""


def icc_findings(data: bytes, where: str) -> list[Finding]:
    """What a profile says beyond colours, one finding per kind (removed by neutralising)."""
    try:
        tags = parse(data)
    except IccError as exc:
        return [Finding(Category.HIDDEN, where, N_("Data behind a colour-profile signature"),
                        f"{len(data)} bytes", message(N_("{exc}; not kept"),
                                                      exc=exc), severity=Severity.MEDIUM)]
    found: list[Finding] = []
    texts: dict[bytes, str] = {t.sig: _text(data, t) for t in tags if t.type in TEXT_TYPES}
    desc = texts.get(b"desc", "")
    if desc and neutral_description(desc) != desc.strip():
        found.append(Finding(Category.IDENTITY, where, N_("Colour profile description"), desc,
                             N_("can name a person or the computer it was made on; "
                             "replaced by a neutral name"), severity=Severity.MEDIUM))
    vendor = [texts[s] for s in (b"cprt", b"dmnd", b"dmdd") if texts.get(s)]
    maker = [_sig_text(data[o : o + n]) for o, n in (_MAKER, _MODEL, _CMM, _CREATOR)]
    vendor += [m for m in maker if m]
    if vendor:
        found.append(Finding(Category.DEVICE, where, N_("Colour profile maker"),
                             ", ".join(dict.fromkeys(vendor)),
                             N_("names who made the profile or the device it describes; removed"),
                             severity=Severity.LOW))
    if any(data[_DATE[0] : _DATE[0] + _DATE[1]]):
        y, mo, d, h, mi, s = struct.unpack_from(">6H", data, _DATE[0])
        found.append(Finding(Category.TIME, where, N_("Colour profile date"),
                             f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}",
                             N_("when the profile was made (a calibration date); removed"),
                             severity=Severity.LOW))
    private = sorted({_sig_text(t.sig) or "?" for t in tags
                      if t.sig not in COLOUR_TAGS and t.sig not in TEXT_TAGS})
    if private:
        explanation = "extra tags no colour conversion needs; removed"
        if any(t.sig in (b"mmod", b"vcgt", b"ndin", b"dmdd", b"dmnd") for t in tags):
            explanation = ("describe the display or camera the profile was made for (maker, "
                           "model, serial number, calibration); removed")
        found.append(Finding(Category.DEVICE, where, N_("Colour profile extra tags"),
                             ", ".join(private), explanation, severity=Severity.LOW))
    if not found:
        found.append(Finding(Category.KEPT, where, N_("Colour profile"), desc or f"{len(data)} bytes",
                             N_("needed to show colours correctly; kept"), identifying=False))
    return found


# -- the neutral copy ---------------------------------------------------------------------

def _text_tag(kind: bytes, text: str) -> bytes:
    """A desc/mluc/text tag holding ``text`` (ASCII)."""
    ascii_ = text.encode("ascii")
    if kind == b"text":
        return b"text\x00\x00\x00\x00" + ascii_ + b"\x00"
    if kind == b"desc":
        return (b"desc\x00\x00\x00\x00" + struct.pack(">I", len(ascii_) + 1) + ascii_ + b"\x00"
                + b"\x00" * 8 + b"\x00\x00\x00" + b"\x00" * 67)
    utf16 = text.encode("utf-16-be")
    return b"mluc\x00\x00\x00\x00" + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16),
                                                 28) + utf16


def _neutral_text(sig: bytes, original: str) -> str:
    return neutral_description(original) if sig == b"desc" else ""


def _header(data: bytes, size: int) -> bytearray:
    head = bytearray(data[:HEADER])
    for offset, length in (_CMM, _DATE, _PLATFORM, _MAKER, _MODEL, _CREATOR, _PROFILE_ID):
        head[offset : offset + length] = bytes(length)
    head[0:4] = size.to_bytes(4, "big")
    head[10:12] = b"\x00\x00"  # version: bug-fix nibble and reserved bytes
    flags = int.from_bytes(head[44:48], "big") & 0x3  # embedded / use with embedded data only
    head[44:48] = flags.to_bytes(4, "big")
    attrs = int.from_bytes(head[56:64], "big") & 0xF  # reflective/matte/negative/b&w
    head[56:64] = attrs.to_bytes(8, "big")
    head[64:68] = (int.from_bytes(head[64:68], "big") & 0x3).to_bytes(4, "big")
    head[68:80] = neutral_illuminant(head[68:80])
    head[100:128] = bytes(28)
    return head


def neutral_profile(data: bytes) -> bytes:
    """The profile with its colour data byte for byte and nothing else, same length."""
    data = bytes(data)
    tags = parse(data)
    out = bytearray(len(data))
    kept: list[tuple[bytes, int, int]] = []  # (sig, offset, size) in the output
    placed: dict[tuple[int, int], int] = {}  # original (offset, size) -> exact size written
    for tag in tags:
        if tag.sig in COLOUR_TAGS:
            if tag.type not in COLOUR_TAGS[tag.sig]:
                continue
            key = (tag.offset, tag.size)
            if key not in placed:
                block = clean_block(memoryview(data)[tag.offset : tag.offset + tag.size], tag.sig)
                placed[key] = len(block)
                out[tag.offset : tag.offset + len(block)] = block
            kept.append((tag.sig, tag.offset, placed[key]))
        elif tag.sig in TEXT_TAGS and tag.type in TEXT_TYPES and (tag.offset, tag.size) not in placed:
            body = _text_tag(tag.type, _neutral_text(tag.sig, _text(data, tag)))
            if len(body) > tag.size:
                body = _text_tag(tag.type, "")
            if len(body) > tag.size:
                continue
            placed[(tag.offset, tag.size)] = len(body)
            out[tag.offset : tag.offset + len(body)] = body
            kept.append((tag.sig, tag.offset, len(body)))
    _check_disjoint(kept)
    out[:HEADER] = _header(data, len(data))
    out[128:132] = len(kept).to_bytes(4, "big")
    for i, (sig, offset, size) in enumerate(kept):
        struct.pack_into(">4sII", out, 132 + 12 * i, sig, offset, size)
    return bytes(out)


def _check_disjoint(kept: list[tuple[bytes, int, int]]) -> None:
    """Tags may share one data block, never overlap partly (a trick to smuggle bytes)."""
    spans = sorted({(offset, offset + size) for _, offset, size in kept})
    for (_s0, e0), (s1, _e1) in zip(spans, spans[1:], strict=False):
        if s1 < e0:
            raise IccError(N_("colour profile tags overlap"))


# -- the proof ----------------------------------------------------------------------------

def account_icc(data: bytes, ledger: Ledger, base: int, what: str = "colour profile") -> None:
    """File every byte of a neutral profile (``data`` sits at ``base`` in the ledger's file)."""
    try:
        tags = parse(data)
        if bytes(_header(data, len(data))) != bytes(data[:HEADER]):
            raise IccError(N_("colour profile header still names a maker, date or creator"))
        seen: dict[tuple[int, int], bool] = {}
        spans: list[tuple[int, int, bool]] = []  # (start, end, is_payload)
        for tag in tags:
            if (tag.offset, tag.size) in seen:
                continue
            seen[(tag.offset, tag.size)] = True
            if tag.sig in COLOUR_TAGS and tag.type in COLOUR_TAGS[tag.sig]:
                body = data[tag.offset : tag.offset + tag.size]
                if clean_block(body, tag.sig) != body:
                    raise IccError(N_("colour profile tag holds bytes no colour module reads"))
                spans.append((tag.offset, tag.offset + tag.size, tag.type in PAYLOAD_TYPES))
            elif tag.sig in TEXT_TAGS and tag.type in TEXT_TYPES:
                body = data[tag.offset : tag.offset + tag.size]
                if body not in (_text_tag(tag.type, _neutral_text(tag.sig, _text(data, tag))),
                                _text_tag(tag.type, "")):
                    raise IccError(N_("colour profile text is not neutral"))
                spans.append((tag.offset, tag.offset + tag.size, False))
            else:
                raise IccError(message(N_("colour profile keeps a tag it should not ({sig_text})"),
                                       sig_text=_sig_text(tag.sig)))
    except IccError as exc:
        ledger.refuse(base, base + len(data), what, str(exc))
        return
    table_end = 132 + 12 * len(tags)
    ledger.written(base, base + table_end, f"{what} header")
    pos = table_end
    for start, end, is_payload in sorted(spans):
        if start < pos:
            ledger.refuse(base + start, base + end, what, N_("colour profile tags overlap"))
            return
        ledger.zeroed(data, base + pos, base + start, f"{what} padding", base=base)
        (ledger.payload if is_payload else ledger.written)(base + start, base + end,
                                                           f"{what} tag")
        pos = end
    ledger.zeroed(data, base + pos, base + len(data), f"{what} padding", base=base)


def check_icc(data: bytes, what: str = "colour profile") -> None:
    """Raise :class:`~share_guard.core.containers.ledger.Unaccounted` unless ``data`` is a
    neutral profile every byte of which is accounted for (for profiles stored compressed)."""
    from share_guard.core.containers.ledger import Ledger

    ledger = Ledger(len(data))
    account_icc(data, ledger, 0, what)
    ledger.close()
