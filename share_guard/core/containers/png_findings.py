"""What a PNG holds beyond its text chunks: the colour profile's own text, kept chunks that
carry more than their fields, second copies, and data hidden around the compressed image
(all of it removed or made neutral by the cleaner)."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from share_guard.core.containers import png_rows
from share_guard.core.containers.png_clean import runs
from share_guard.core.containers.png_fields import (
    SINGLE,
    Header,
    canonical,
    iccp_profile,
    neutral_name,
    parse_header,
)
from share_guard.core.containers.png_palette import kept_indices, used_indices
from share_guard.core.containers.png_stream import examine
from share_guard.core.errors import CorruptFile, ExportRefused
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.icc import IccError, icc_findings
from share_guard.core.report import Category, Finding

if TYPE_CHECKING:
    from share_guard.core.containers.png import PngLayout

#: ancillary chunks whose fields the cleaner keeps (checked against their specified sizes)
FIELD_CHUNKS = frozenset({b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"cICP", b"mDCv", b"cLLi",
                          b"pHYs", b"tRNS", b"bKGD", b"acTL"})


def structure_findings(data: bytes, layout: PngLayout) -> tuple[list[Finding], list[str]]:
    """(findings, problems) about the chunks the cleaner keeps."""
    found: list[Finding] = []
    try:
        h = parse_header(data[16:29])
    except CorruptFile as exc:
        return [], [str(exc)]
    seen: set[bytes] = set()
    for c in layout.chunks:
        body = data[c.data_start : c.data_start + c.length]
        where = f"PNG {c.name}"
        if c.type in SINGLE and c.type in seen:
            found.append(Finding(Category.HIDDEN, where, message(N_("Second {name} chunk"), name=c.name),
                                 f"{c.length} bytes", N_("decoders read only the first copy; "
                                 "the second can carry hidden data; removed")))
            continue
        seen.add(c.type)
        if c.type == b"PLTE":
            h = Header(h.width, h.height, h.depth, h.colour, h.interlace, len(body) // 3)
            if h.colour != 3:
                found.append(Finding(Category.OTHER, where, N_("Suggested palette"),
                                     f"{len(body) // 3} colours", N_("a palette a truecolour "
                                     "image does not need; removed"), identifying=False))
        elif c.type == b"iCCP":
            found.extend(_iccp_findings(body, where))
        elif c.type in FIELD_CHUNKS:
            kept = canonical(c.type, body, h)
            if kept is None:
                found.append(Finding(Category.OTHER, where, message(N_("Malformed {name} chunk"),
                                                                    name=c.name),
                                     f"{c.length} bytes", N_("fields no decoder can use; removed"),
                                     identifying=False))
            elif len(kept) < len(body):
                found.append(Finding(Category.HIDDEN, where, message(N_("Data after the {name} fields"),
                                                                     name=c.name),
                                     f"{len(body) - len(kept)} bytes", N_("bytes no decoder "
                                     "reads, a place to hide data; removed")))
        elif c.type == b"IEND" and c.length:
            found.append(Finding(Category.HIDDEN, where, N_("Data inside the end chunk"),
                                 f"{c.length} bytes", N_("bytes no decoder reads; removed")))
    stream_found, problems = _stream_findings(data, layout, h)
    if h.colour == 3 and not problems:
        found.extend(_palette_findings(data, layout, h))
    return found + stream_found, problems


def _palette_findings(data: bytes, layout: PngLayout, h: Header) -> list[Finding]:
    chunks = [(c.type, data[c.data_start : c.data_start + c.length]) for c in layout.chunks]
    try:
        used = used_indices(h, list(runs(chunks, h).values()))
    except (ExportRefused, CorruptFile):
        return []
    keep = kept_indices(chunks)
    palette = next((b for t, b in chunks if t == b"PLTE"), b"")
    spare = sum(1 for i in range(len(palette) // 3) if i not in used and i not in keep
                and any(palette[3 * i : 3 * i + 3]))
    if not spare:
        return []
    return [Finding(Category.OTHER, "PNG PLTE", N_("Unused palette entries"), f"{spare} entries",
                    N_("colours no pixel uses (they can carry hidden data); cleared, pixels "
                    "unchanged"), identifying=False)]


def _iccp_findings(body: bytes, where: str) -> list[Finding]:
    try:
        name, profile = iccp_profile(body)
    except IccError as exc:
        return [Finding(Category.HIDDEN, where, N_("Unreadable colour profile"), f"{len(body)} bytes",
                        message(N_("{exc}; removed"), exc=exc))]
    found = [f for f in icc_findings(profile, where) if f.category is not Category.KEPT]
    inflater = zlib.decompressobj()
    inflater.decompress(body[len(name) + 2 :], len(profile) + 1)
    if inflater.unused_data:
        found.append(Finding(Category.HIDDEN, where, N_("Data after the colour profile"),
                             f"{len(inflater.unused_data)} bytes", N_("bytes after the compressed "
                             "profile that no decoder reads; removed")))
    if not neutral_name(name):
        found.append(Finding(Category.IDENTITY, where, N_("ICC profile name"),
                             name.decode("latin-1"), N_("the name a program gave the colour "
                             "profile, which can name a person or device; replaced by a "
                             "neutral name")))
    return found


def _stream_findings(data: bytes, layout: PngLayout, h: Header) -> tuple[list[Finding], list[str]]:
    chunks = [(c.type, data[c.data_start : c.data_start + c.length]) for c in layout.chunks]
    try:
        data_runs = runs(chunks, h)
    except (ExportRefused, CorruptFile) as exc:
        return [], [str(exc).split(": ", 1)[-1]]
    found: list[Finding] = []
    problems: list[str] = []
    for run in data_runs.values():
        stream = run.stream()
        expected = h.raw_size(run.width, run.height)
        info = examine(stream, expected)
        where = f"PNG {run.ctype.decode()}"
        if info.problem:
            problems.append(message(N_("PNG {problem}"), problem=info.problem))
        elif not info.clean(len(stream), expected):
            found.append(Finding(Category.HIDDEN, where, N_("Data hidden in the image data"),
                                 info.describe(len(stream), expected),
                                 N_("bytes the picture does not use, a place to hide data; "
                                 "removed (pixels unchanged)")))
        if info.problem or not info.ended or info.inflated != expected:
            continue
        try:
            rows = png_rows.padded_rows(stream[: info.end], expected, h, run.width, run.height)
        except ValueError:
            problems.append(N_("PNG image data with an unknown filter type"))
            continue
        if rows:
            found.append(Finding(Category.HIDDEN, where, N_("Data in the bits after each row"),
                                 message(N_("{count} rows"), count=rows),
                                 N_("bits after the last pixel of a row, which no decoder "
                                    "shows: a place to hide data; cleared (pixels unchanged)")))
    return found, problems
