"""Byte accounting for a clean PNG/APNG, walked on its own.

Every chunk's length, type and checksum are *written* framing; a kept chunk's body is
*written* only when its parsed fields give back exactly its bytes (first copy of a chunk
that may appear once); iCCP must hold a neutral profile under the neutral name, compressed
exactly as the cleaner compresses it; the image data of the picture and of each frame is
*payload* when its zlib stream gives exactly the picture's scanlines and ends exactly at
the end of its last chunk, cut in chunks of the cleaner's size; APNG sequence numbers
count up from 0. Anything else fails the export.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from share_guard.core.containers import png_rows
from share_guard.core.containers.ledger import Ledger, Unaccounted
from share_guard.core.containers.png_clean import DATA_CHUNK, SIGNATURE, runs
from share_guard.core.containers.png_fields import (
    ICC_NAME,
    SINGLE,
    Header,
    canonical,
    header_body,
    iccp_body,
    iccp_profile,
    parse_fctl,
    parse_header,
    plte,
)
from share_guard.core.containers.png_palette import cleared, kept_indices, used_indices
from share_guard.core.containers.png_stream import examine
from share_guard.core.errors import CorruptFile, ExportRefused
from share_guard.core.i18n import N_
from share_guard.core.metadata.icc import IccError, check_icc
from share_guard.core.metadata.tiff_ifd import minimal_orientation_exif

if TYPE_CHECKING:
    from share_guard.core.containers.png import Chunk


def account_png(data: bytes) -> Ledger:
    from share_guard.core.containers.png import walk_chunks

    ledger = Ledger(len(data))
    try:
        layout = walk_chunks(data)
        chunks = [(c.type, data[c.data_start : c.data_start + c.length]) for c in layout.chunks]
        h = parse_header(chunks[0][1])
        data_runs = runs(chunks, h)
    except (CorruptFile, ExportRefused) as exc:
        ledger.refuse(0, len(data), "PNG", str(exc))
        return ledger
    if layout.problems or not all(c.crc_ok for c in layout.chunks):
        ledger.refuse(0, len(data), "PNG", N_("a PNG that does not walk cleanly"))
        return ledger
    try:
        used = used_indices(h, list(data_runs.values())) if h.colour == 3 else set()
    except CorruptFile as exc:
        ledger.refuse(0, len(data), "PNG", str(exc))
        return ledger
    keep = kept_indices(chunks)
    ledger.written(0, len(SIGNATURE), "PNG signature")
    seen: set[bytes] = set()
    seq = 0
    for i, c in enumerate(layout.chunks):
        ctype, body = chunks[i]
        what = f"PNG {c.name} at byte {c.offset}"
        ledger.written(c.offset, c.data_start, what)
        ledger.written(c.end - 4, c.end, what)
        body_end = c.data_start + c.length
        if ctype in (b"IDAT", b"fdAT"):
            if h.colour == 3 and b"PLTE" not in seen:
                ledger.refuse(c.data_start, body_end, what, N_("an indexed picture without its "
                              "palette"))
            if ctype == b"fdAT":
                if body[:4] != struct.pack(">I", seq):
                    ledger.refuse(c.data_start, body_end, what, N_("a sequence number out of order"))
                seq += 1
                ledger.written(c.data_start, c.data_start + 4, what)
            if i in data_runs:
                _account_run(data, layout.chunks, i, data_runs[i].width, data_runs[i].height, h,
                             ledger)
            continue
        if ctype in SINGLE and ctype in seen:
            ledger.refuse(c.data_start, body_end, what, N_("a second copy of a chunk"))
            continue
        seen.add(ctype)
        if ctype == b"fcTL":
            fc = parse_fctl(body, h)
            ok = fc is not None and body == fc.body(seq)
            seq += 1
        elif ctype == b"PLTE":
            ok = plte(body, h) == body and cleared(body, 3, used, keep) == body
            h = Header(h.width, h.height, h.depth, h.colour, h.interlace, len(body) // 3)
        elif ctype == b"tRNS" and h.colour == 3:
            ok = canonical(ctype, body, h) == body and cleared(body, 1, used, keep) == body
        elif ctype == b"iCCP":
            why = _iccp_problem(body, what)
            if why:
                ledger.refuse(c.data_start, body_end, what, why)
                continue
            ok = True
        else:
            ok = _written_body(ctype, body, h, c.end == len(data))
        if ok:
            ledger.written(c.data_start, body_end, what)
        else:
            ledger.refuse(c.data_start, body_end, what, N_("a chunk the cleaner does not write"))
    if layout.iend_end < len(data):
        ledger.refuse(layout.iend_end, len(data), "PNG", N_("data after the end of the image"))
    return ledger


def _written_body(ctype: bytes, body: bytes, h: Header, last: bool) -> bool:
    if ctype == b"IHDR":
        return body == header_body(h)
    if ctype == b"IEND":
        return not body and last
    if ctype == b"eXIf":
        return any(body == minimal_orientation_exif(o) for o in range(2, 9))
    return canonical(ctype, body, h) == body


def _iccp_problem(body: bytes, what: str) -> str:
    """Why an iCCP body is not what the cleaner writes ("" when it is)."""
    try:
        name, profile = iccp_profile(body)
        check_icc(profile, what)
    except (IccError, Unaccounted) as exc:
        return str(exc)
    if name != ICC_NAME:
        return "a colour profile under a name the cleaner does not write"
    if body != iccp_body(profile):
        return "a colour profile not compressed the way the cleaner compresses it"
    return ""


def _account_run(data: bytes, chunks: list[Chunk], first: int, width: int, height: int,
                 h: Header, ledger: Ledger) -> None:
    """File the data of one run (IDAT, or one frame's fdAT) as payload after checking it."""
    ctype = chunks[first].type
    skip = 4 if ctype == b"fdAT" else 0
    members = []
    for c in chunks[first:]:
        if c.type != ctype:
            break
        members.append(c)
    spans = [(c.data_start + skip, c.data_start + c.length) for c in members]
    sizes = [e - s for s, e in spans]
    what = f"PNG {ctype.decode()} at byte {members[0].offset}"
    if any(n != DATA_CHUNK for n in sizes[:-1]) or not 0 < sizes[-1] <= DATA_CHUNK:
        ledger.refuse(spans[0][0], spans[-1][1], what, N_("image data not split the way the "
                      "cleaner writes it"))
        return
    stream = b"".join(data[s:e] for s, e in spans)
    expected = h.raw_size(width, height)
    info = examine(stream, expected)
    if not info.clean(len(stream), expected):
        ledger.refuse(spans[0][0], spans[-1][1], what, info.describe(len(stream), expected)
                      or "image data that does not end where its chunks end")
        return
    try:
        rows = png_rows.padded_rows(stream, expected, h, width, height)
    except ValueError:
        rows = -1
    if rows:
        ledger.refuse(spans[0][0], spans[-1][1], what, N_("bits after the last pixel of a row "
                      "that are not zero, or a row with an unknown filter type"))
        return
    for s, e in spans:
        ledger.payload(s, e, what)
