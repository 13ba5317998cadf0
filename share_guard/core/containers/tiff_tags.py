"""The tags a clean TIFF page keeps: each one checked against the type and count the TIFF
6.0 specification allows, parsed, and written again from its parsed value.

A kept tag is never copied: its values are read as numbers (or, for the two byte blobs a
page may keep, walked: the colour profile is made neutral, ``JPEGTables`` keeps only its
quantisation and Huffman tables) and serialised again, so the spare bytes of an entry,
a value of the wrong type, a count longer than the value needs, or text behind a number
are not carried over. Tags a decoder needs that are malformed make the page unreadable
to us (the export is refused); tags that only help display (resolution, orientation,
chromaticities) are dropped when malformed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from share_guard.core.i18n import N_, message
from share_guard.core.metadata.tiff_ifd import Entry, Ifd

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 1, 2, 3, 4, 5, 7
INT_TYPES = frozenset({BYTE, SHORT, LONG})
_SIZES = {BYTE: 1, SHORT: 2, LONG: 4, RATIONAL: 8, UNDEFINED: 1}
_CODES = {BYTE: "B", SHORT: "H", LONG: "I", RATIONAL: "I"}

(NEW_SUBFILE_TYPE, WIDTH, LENGTH, BITS, COMPRESSION, PHOTOMETRIC, FILL_ORDER, STRIP_OFFSETS,
 ORIENTATION, SAMPLES, ROWS_PER_STRIP, STRIP_COUNTS, PLANAR, T4, T6, PREDICTOR, COLORMAP,
 TILE_WIDTH, TILE_LENGTH, TILE_OFFSETS, TILE_COUNTS, EXTRA_SAMPLES, SAMPLE_FORMAT,
 JPEG_TABLES, SUBSAMPLING, ICC) = (
    254, 256, 257, 258, 259, 262, 266, 273, 274, 277, 278, 279, 284, 292, 293, 317, 320,
    322, 323, 324, 325, 338, 339, 347, 530, 34675)


class Rule(NamedTuple):
    name: str
    #: "int", "rational" or "bytes"
    kind: str
    #: types written; the first is used when the file's own type is not among them
    types: tuple[int, ...]
    #: "1", "2", "3", "6", "spp" (1 or SamplesPerPixel), "extra" (1 to SamplesPerPixel),
    #: "blocks", "colormap", "any"
    arity: str
    #: a decoder needs it: malformed means the page cannot be kept faithfully
    needed: bool


RULES: dict[int, Rule] = {
    NEW_SUBFILE_TYPE: Rule("NewSubfileType", "int", (LONG,), "1", False),
    WIDTH: Rule("ImageWidth", "int", (SHORT, LONG), "1", True),
    LENGTH: Rule("ImageLength", "int", (SHORT, LONG), "1", True),
    BITS: Rule("BitsPerSample", "int", (SHORT,), "spp", True),
    COMPRESSION: Rule("Compression", "int", (SHORT,), "1", True),
    PHOTOMETRIC: Rule("PhotometricInterpretation", "int", (SHORT,), "1", True),
    FILL_ORDER: Rule("FillOrder", "int", (SHORT,), "1", True),
    STRIP_OFFSETS: Rule("StripOffsets", "int", (LONG, SHORT), "blocks", True),
    ORIENTATION: Rule("Orientation", "int", (SHORT,), "1", False),
    SAMPLES: Rule("SamplesPerPixel", "int", (SHORT,), "1", True),
    ROWS_PER_STRIP: Rule("RowsPerStrip", "int", (SHORT, LONG), "1", True),
    STRIP_COUNTS: Rule("StripByteCounts", "int", (LONG, SHORT), "blocks", True),
    282: Rule("XResolution", "rational", (RATIONAL,), "1", False),
    283: Rule("YResolution", "rational", (RATIONAL,), "1", False),
    PLANAR: Rule("PlanarConfiguration", "int", (SHORT,), "1", True),
    T4: Rule("T4Options", "int", (LONG,), "1", True),
    T6: Rule("T6Options", "int", (LONG,), "1", True),
    296: Rule("ResolutionUnit", "int", (SHORT,), "1", False),
    PREDICTOR: Rule("Predictor", "int", (SHORT,), "1", True),
    318: Rule("WhitePoint", "rational", (RATIONAL,), "2", False),
    319: Rule("PrimaryChromaticities", "rational", (RATIONAL,), "6", False),
    COLORMAP: Rule("ColorMap", "int", (SHORT,), "colormap", True),
    TILE_WIDTH: Rule("TileWidth", "int", (SHORT, LONG), "1", True),
    TILE_LENGTH: Rule("TileLength", "int", (SHORT, LONG), "1", True),
    TILE_OFFSETS: Rule("TileOffsets", "int", (LONG, SHORT), "blocks", True),
    TILE_COUNTS: Rule("TileByteCounts", "int", (LONG, SHORT), "blocks", True),
    EXTRA_SAMPLES: Rule("ExtraSamples", "int", (SHORT,), "extra", True),
    SAMPLE_FORMAT: Rule("SampleFormat", "int", (SHORT,), "spp", True),
    JPEG_TABLES: Rule("JPEGTables", "bytes", (UNDEFINED,), "any", True),
    529: Rule("YCbCrCoefficients", "rational", (RATIONAL,), "3", False),
    SUBSAMPLING: Rule("YCbCrSubSampling", "int", (SHORT,), "2", True),
    531: Rule("YCbCrPositioning", "int", (SHORT,), "1", False),
    532: Rule("ReferenceBlackWhite", "rational", (RATIONAL,), "6", False),
    ICC: Rule("ICC profile", "bytes", (UNDEFINED,), "any", False),
}
KEEP_TAGS = frozenset(RULES)
BLOCK_TAGS = frozenset({STRIP_OFFSETS, STRIP_COUNTS, TILE_OFFSETS, TILE_COUNTS})

#: compression schemes a clean copy may keep (None, CCITT RLE, G3, G4, LZW, JPEG,
#: Deflate, PackBits); old-style JPEG (6) and anything else is refused
COMPRESSIONS = {1: "uncompressed", 2: "CCITT RLE", 3: "CCITT G3", 4: "CCITT G4", 5: "LZW",
                7: "JPEG", 8: "Deflate", 32946: "Deflate", 32773: "PackBits"}
PHOTOMETRICS = frozenset({0, 1, 2, 3, 5, 6, 8, 9, 10})
#: allowed values of small enumerations (decoding ones refuse, display ones drop)
_VALUES = {FILL_ORDER: {1, 2}, PLANAR: {1, 2}, PREDICTOR: {1, 2, 3}, ORIENTATION: set(range(1, 9)),
           296: {1, 2, 3}, 531: {1, 2}}
#: allowed values of every element of a list
_EACH = {EXTRA_SAMPLES: range(0, 3), SAMPLE_FORMAT: range(1, 7), SUBSAMPLING: (1, 2, 4)}
#: flag words: only the bits the specification defines are written
_MASKS = {NEW_SUBFILE_TYPE: 0x2, T4: 0x7, T6: 0x2}
#: rationals are written as the nearest fraction with a small denominator, within a
#: range that makes sense (an arbitrary numerator/denominator pair can spell text):
#: tag -> (largest denominator, largest value)
_RATIONALS = {282: (1000, 1e6), 283: (1000, 1e6), 318: (100_000, 1.0), 319: (100_000, 1.0),
              529: (100_000, 1.0), 532: (1000, 2.0**17)}


class TagError(ValueError):
    """A tag a decoder needs is malformed (one line, names the tag)."""


@dataclass(frozen=True)
class Tag:
    """A kept tag as it will be written: numbers (rationals as numerator, denominator
    pairs) or the bytes of a blob already rebuilt from its parsed structure."""

    tag: int
    type: int
    values: tuple[int, ...] | bytes

    @property
    def count(self) -> int:
        if isinstance(self.values, bytes):
            return len(self.values)
        return len(self.values) // 2 if self.type == RATIONAL else len(self.values)

    def encode(self, bo: str) -> bytes:
        if isinstance(self.values, bytes):
            return self.values
        return struct.pack(f"{bo}{len(self.values)}{_CODES[self.type]}", *self.values)

    def first(self) -> int:
        assert not isinstance(self.values, bytes)
        return self.values[0]


def int_values(entry: Entry, bo: str) -> tuple[int, ...] | None:
    """Every integer of a BYTE/SHORT/LONG entry (also arrays too long for the walker)."""
    code = {BYTE: "B", SHORT: "H", LONG: "I"}.get(entry.type)
    if code is None or len(entry.raw) != entry.count * _SIZES[entry.type]:
        return None
    return struct.unpack(f"{bo}{entry.count}{code}", entry.raw)


def _parse(entry: Entry, rule: Rule, bo: str) -> Tag | None:
    """The entry as a :class:`Tag` of a type the rule allows, or None when it is not one."""
    if entry.count == 0:
        return None
    if rule.kind == "int":
        values = int_values(entry, bo)
        if values is None:
            return None
        if entry.tag in _MASKS:
            values = tuple(v & _MASKS[entry.tag] for v in values)
        if entry.tag in _EACH and any(v not in _EACH[entry.tag] for v in values):
            return None
        typ = entry.type if entry.type in rule.types else rule.types[0]
        if typ == SHORT and max(values) > 0xFFFF:
            typ = LONG if LONG in rule.types else 0
        return Tag(entry.tag, typ, values) if typ else None
    if rule.kind == "rational":
        if entry.type != RATIONAL or len(entry.raw) != 8 * entry.count or entry.count > 16:
            return None
        pairs = struct.unpack(f"{bo}{2 * entry.count}I", entry.raw)
        limit, largest = _RATIONALS[entry.tag]
        out: list[int] = []
        for num, den in zip(pairs[::2], pairs[1::2], strict=True):
            if den == 0 or num / den > largest:
                return None
            near = Fraction(num, den).limit_denominator(limit)
            out += [near.numerator, near.denominator]
        return Tag(entry.tag, RATIONAL, tuple(out))
    if entry.type not in (UNDEFINED, BYTE):
        return None
    return Tag(entry.tag, UNDEFINED, bytes(entry.raw))


def read_tags(ifd: Ifd, bo: str) -> tuple[dict[int, Tag], list[str]]:
    """The kept tags of ``ifd`` parsed by their rule, and the names of those dropped as
    malformed. Raises :class:`TagError` for a malformed tag a decoder needs, or a tag
    that appears twice (readers disagree on which one counts)."""
    tags: dict[int, Tag] = {}
    dropped: list[str] = []
    seen: set[int] = set()
    for entry in ifd.entries:
        rule = RULES.get(entry.tag)
        if rule is None:
            continue
        if entry.tag in seen:
            raise TagError(message(N_("{ifd} holds {tag} twice"), ifd=ifd.name, tag=rule.name))
        seen.add(entry.tag)
        tag = _parse(entry, rule, bo)
        allowed = _VALUES.get(entry.tag)
        if tag is not None and allowed is not None and tag.count == 1 \
                and tag.first() not in allowed:
            tag = None
        if tag is None:
            if rule.needed:
                raise TagError(message(N_("{ifd} {tag} has a type or value a reader would not take"),
                                       ifd=ifd.name, tag=rule.name))
            dropped.append(rule.name)
            continue
        tags[entry.tag] = tag
    return tags, dropped


def count_ok(rule: Rule, count: int, spp: int, bps: int, blocks: int) -> bool:
    """Whether ``count`` values are what the specification allows for this page."""
    fixed = {"1": 1, "2": 2, "3": 3, "6": 6}
    if rule.arity in fixed:
        return count == fixed[rule.arity]
    if rule.arity == "spp":
        return count in (1, spp)
    if rule.arity == "extra":
        return 1 <= count <= spp
    if rule.arity == "blocks":
        return count == blocks
    if rule.arity == "colormap":
        return bps <= 16 and count == 3 << bps
    return count > 0


# -- JPEGTables -----------------------------------------------------------------------------

_DQT, _DHT, _SOI, _EOI = 0xDB, 0xC4, 0xD8, 0xD9


def _table_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, whole segment) of an abbreviated table-specification JPEG stream."""
    if data[:2] != b"\xff\xd8":
        raise TagError(N_("JPEGTables does not start like a JPEG stream"))
    out: list[tuple[int, bytes]] = []
    pos = 2
    while pos + 2 <= len(data) and len(out) < 64:
        if data[pos] != 0xFF:
            raise TagError(N_("JPEGTables holds something that is not a JPEG marker"))
        marker = data[pos + 1]
        if marker == _EOI:
            return out
        if pos + 4 > len(data):
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > len(data):
            raise TagError(N_("JPEGTables has a segment that runs past its end"))
        out.append((marker, data[pos : pos + 2 + length]))
        pos += 2 + length
    raise TagError(N_("JPEGTables has no proper end"))


def _table_fits(marker: int, body: bytes) -> bool:
    """A DQT or DHT segment's payload holds whole tables and nothing else."""
    pos = 0
    while pos < len(body):
        if marker == _DQT:
            if body[pos] >> 4 > 1 or body[pos] & 0x0F > 3:
                return False
            pos += 1 + (128 if body[pos] >> 4 else 64)
        else:
            if pos + 17 > len(body) or body[pos] >> 4 > 1 or body[pos] & 0x0F > 3:
                return False
            pos += 17 + sum(body[pos + 1 : pos + 17])
    return pos == len(body) and len(body) > 0


def neutral_tables(data: bytes) -> tuple[bytes, bool]:
    """``JPEGTables`` rebuilt from its quantisation and Huffman tables only (no APPn, COM
    or unknown segments, nothing after the end marker); True when something was dropped."""
    segments = _table_segments(data)
    kept = [seg for marker, seg in segments if marker in (_DQT, _DHT)]
    if not all(_table_fits(seg[1], seg[4:]) for seg in kept):
        raise TagError(N_("JPEGTables holds a table of the wrong size"))
    out = b"\xff\xd8" + b"".join(kept) + b"\xff\xd9"
    return out, out != data


def tables_are_neutral(data: bytes) -> bool:
    """True when ``data`` is SOI, DQT/DHT segments and EOI, nothing else."""
    try:
        return neutral_tables(data) == (data, False)
    except TagError:
        return False
