"""Crafted files that hide a unique marker in one place each (the leak benchmark's input).

Each case is a real, decodable file of one container with markers planted in one hiding
place a hostile or careless writer could use, labelled with the class of issue 13 it
tests (1 colour profiles, 2 metadata inside coded streams, 3 side structures, 4 bytes
nothing references, 5 allow-listed structures with extra bytes, 6 covert channels) or 0
for a real-world layout that must be cleaned, not refused. The benchmark
(benchmarks/leaks.py) cleans every case with each tool and looks for the markers in the
output (raw, UTF-16, hex, inflated zlib streams).

Built in code with Pillow, pillow-heif, PyAV and small struct writers written here (they
share no code with the cleaner); nothing is downloaded. One module per container.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageCms


class Case(NamedTuple):
    name: str  # "<container>-<place>": the container picks the file extension
    data: bytes
    markers: list[str]
    cls: int  # 1-6: the class of issue 13 the hiding place belongs to; 0: real-world layout


_CASES: list[Callable[[], Iterator[Case]]] = []


def case(fn: Callable[[], Iterator[Case]]) -> Callable[[], Iterator[Case]]:
    _CASES.append(fn)
    return fn


#: the case names each module writes start with one of these
PREFIXES = {"jpeg": ("jpeg",), "png": ("png",), "gif": ("gif",), "webp": ("webp",),
            "tiff": ("tiff",), "heif": ("heic", "avif"), "bmff": ("mp4", "mov", "3gp", "m4v"),
            "mkv": ("mkv", "webm"), "avi": ("avi",)}


def all_cases(only: tuple[str, ...] = ()) -> list[Case]:
    """Every case (``only``: those whose names start with one of these prefixes)."""
    from . import (  # noqa: F401  (registering the cases)
        avi,
        basic,
        bmff,
        gif,
        heif,
        jpeg,
        mkv,
        png,
        tiff,
        webp,
    )

    out: list[Case] = []
    for fn in _CASES:
        module = fn.__module__.rsplit(".", 1)[-1]
        wanted = PREFIXES.get(module, ())
        if only and wanted and not any(p.startswith(w) or w.startswith(p)
                                       for p in only for w in wanted):
            continue
        out.extend(c for c in (Case(*c) for c in fn())
                   if not only or c.name.startswith(only))
    names = [c.name for c in out]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names {dup}"
    return out


def picture(w: int = 64, h: int = 48, mode: str = "RGB", seed: int = 0) -> Image.Image:
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([(x * 4 + seed) % 256, (y * 5) % 256, (x * y + seed) % 256], -1)
    im = Image.fromarray(arr.astype(np.uint8), "RGB")
    return im.convert(mode) if mode != "RGB" else im


# -- colour profiles ------------------------------------------------------------------------

def srgb_tags() -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """(header, [(signature, tag data)]) of lcms' sRGB profile."""
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    count = int.from_bytes(base[128:132], "big")
    tags = []
    for i in range(count):
        sig, off, size = struct.unpack_from(">4sII", base, 132 + 12 * i)
        tags.append((sig, base[off : off + size]))
    return base[:128], tags


def text_tag(kind: bytes, text: str) -> bytes:
    if kind == b"text":
        return b"text" + bytes(4) + text.encode() + b"\0"
    if kind == b"desc":
        raw = text.encode()
        return (b"desc" + bytes(4) + struct.pack(">I", len(raw) + 1) + raw + b"\0"
                + bytes(8) + bytes(3) + bytes(67))
    utf16 = text.encode("utf-16-be")
    return (b"mluc" + bytes(4) + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16), 28)
            + utf16)


def mluc(records: list[tuple[bytes, bytes, str]]) -> bytes:
    """A multi-localised text tag with several records ((lang, country, text))."""
    head = b"mluc" + bytes(4) + struct.pack(">II", len(records), 12)
    table, body = b"", b""
    start = 16 + 12 * len(records)
    for lang, country, text in records:
        raw = text.encode("utf-16-be")
        table += struct.pack(">2s2sII", lang, country, len(raw), start + len(body))
        body += raw
    return head + table + body


def build_icc(tags: list[tuple[bytes, bytes]], header: bytes | None = None,
              patch: dict[int, bytes] | None = None, gap: bytes = b"", tail: bytes = b"",
              shared: list[tuple[bytes, int]] | None = None) -> bytes:
    """A profile from its tags (laid out in order, 4-byte aligned), ``gap`` bytes no tag
    points at between the table and the first tag, ``tail`` after the last tag (counted in
    the declared size), header bytes patched at the given offsets; ``shared`` adds tag
    table entries pointing at the data of an earlier tag (by index)."""
    head = bytearray(header if header is not None else srgb_tags()[0])
    n = len(tags) + len(shared or [])
    table_end = 132 + 12 * n
    entries, body = [], bytearray(gap + bytes(-len(gap) % 4))
    placed = []
    for sig, block in tags:
        placed.append((table_end + len(body), len(block)))
        entries.append(struct.pack(">4sII", sig, table_end + len(body), len(block)))
        body += block + bytes(-len(block) % 4)
    for sig, index in shared or []:
        off, size = placed[index]
        entries.append(struct.pack(">4sII", sig, off, size))
    out = head + struct.pack(">I", n) + b"".join(entries) + body + tail
    for offset, value in (patch or {}).items():
        out[offset : offset + len(value)] = value
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


def icc_with(desc: str) -> bytes:
    """An sRGB profile whose description and copyright hold ``desc``."""
    _head, tags = srgb_tags()
    kept = [(s, b) for s, b in tags if s not in (b"desc", b"cprt", b"dmnd", b"dmdd")]
    return build_icc([*kept, (b"desc", text_tag(b"desc", desc)),
                      (b"cprt", text_tag(b"text", desc))])


def icc_colour_tags() -> list[tuple[bytes, bytes]]:
    """The colour tags of the sRGB profile with a neutral description (no marker)."""
    _head, tags = srgb_tags()
    kept = [(s, b) for s, b in tags if s not in (b"desc", b"cprt", b"dmnd", b"dmdd")]
    return [(b"desc", text_tag(b"desc", "sRGB")), *kept]


#: how many bytes of the marker fit in the places that are fields of a fixed size
ICC_ROOM = {"header-reserved": 28, "header-signatures": 8, "header-illuminant": 12,
            "xyz-values": 12}


def icc_marker(kind: str, marker: str) -> str:
    """The part of ``marker`` a profile of ``kind`` can hold (what the benchmark looks for)."""
    return marker[: ICC_ROOM.get(kind, len(marker))]


def icc_variant(kind: str, marker: str) -> bytes:
    """A profile hiding ``marker`` in one place (see ICC_PLACES; :func:`icc_marker` says what
    part of the marker fits)."""
    m = marker.encode()
    colour = icc_colour_tags()
    if kind == "mluc-second-record":
        return build_icc([(b"desc", mluc([(b"en", b"US", "Display"), (b"de", b"DE", marker)])),
                          *colour[1:]])
    if kind == "dmnd-dmdd":
        return build_icc([*colour, (b"dmnd", text_tag(b"desc", marker)),
                          (b"dmdd", text_tag(b"mluc", marker + " serial 4711"))])
    if kind == "private-tag":
        return build_icc([*colour, (b"mmod", m.ljust(40, b"\0")),
                          (b"zzRT", b"text" + bytes(4) + m + b"\0")])
    if kind == "text-type-cprt":
        return build_icc([*colour, (b"cprt", text_tag(b"text", f"Copyright {marker}"))])
    if kind == "header-reserved":
        return build_icc(colour, patch={100: m[:28]})
    if kind == "header-signatures":
        # maker + model (8 bytes in a row) and the profile ID (16 bytes)
        return build_icc(colour, patch={48: m[:8], 84: m[:16]})
    if kind == "header-illuminant":
        return build_icc(colour, patch={68: m[:12]})
    if kind == "between-tags":
        return build_icc(colour, gap=b"\0\0\0\0" + m + b"\0\0\0\0")
    if kind == "after-last-tag":
        return build_icc(colour, tail=m + bytes(-len(m) % 4))
    if kind == "xyz-extra-values":
        tags = [(s, b + (m.ljust(24, b"_") if s == b"wtpt" else b"")) for s, b in colour]
        return build_icc(tags)
    if kind == "xyz-values":
        tags = [(s, b[:8] + m[:12].ljust(12, b"_") if s == b"bkpt" else b) for s, b in colour]
        if not any(s == b"bkpt" for s, _b in colour):
            tags.append((b"bkpt", b"XYZ " + bytes(4) + m[:12].ljust(12, b"_")))
        return build_icc(tags)
    if kind == "chad-extra":
        tags = [(s, b + m.ljust(24, b"_") if s == b"chad" else b) for s, b in colour]
        return build_icc(tags)
    if kind == "curve-slack":
        # a curve tag whose slot is longer than its entries
        tags = [(s, b + m if s == b"rTRC" else b) for s, b in colour]
        return build_icc(tags)
    if kind == "mab-gap":
        return build_icc([*colour, (b"A2B0", mab_with_gap(m))])
    if kind == "not-a-profile":
        return b"\0\0\1\0" + b"RT-not-a-profile " + m + bytes(200)
    if kind == "bad-tag-offset":
        good = bytearray(build_icc([*colour, (b"desc", text_tag(b"desc", marker))]))
        struct.pack_into(">I", good, 132 + 8, 0xFFFF)  # first tag runs past the end
        return bytes(good)
    if kind == "text-tag-slack":
        block = text_tag(b"desc", "sRGB") + b"\0" + m
        return build_icc([(b"desc", block), *colour[1:]])
    if kind == "overlapping-tags":
        # a colour tag whose data starts inside the description's slot, text hidden there
        return build_icc([(b"desc", text_tag(b"text", marker)), *colour[1:]],
                         shared=[(b"cprt", 0)])
    raise KeyError(kind)


ICC_PLACES = ("mluc-second-record", "dmnd-dmdd", "private-tag", "text-type-cprt",
              "header-reserved", "header-signatures", "header-illuminant", "between-tags",
              "after-last-tag", "xyz-extra-values", "xyz-values", "chad-extra",
              "curve-slack", "mab-gap", "not-a-profile", "bad-tag-offset", "text-tag-slack",
              "overlapping-tags")


def mab_with_gap(marker: bytes) -> bytes:
    """An 'mAB ' transform (three identity B curves) with ``marker`` in bytes no offset
    reaches (between the header and the curves)."""
    curves = (b"curv" + bytes(4) + struct.pack(">I", 0)) * 3
    gap = marker + bytes(-len(marker) % 4)
    b_at = 32 + len(gap)
    return (b"mAB " + bytes(4) + bytes([3, 3, 0, 0]) + struct.pack(">5I", b_at, 0, 0, 0, 0)
            + gap + curves)
