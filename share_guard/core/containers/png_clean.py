"""The clean PNG/APNG, written chunk by chunk from parsed fields.

Kept: IHDR; a palette an indexed image needs; the colour, transparency, background,
physical-size and animation chunks at their specified sizes (first copy only); iCCP with
a neutral profile under a neutral name; the image data of the picture and of each APNG
frame, cut at the end of its zlib stream and split into chunks of one size; a fresh
eXIf holding only Orientation; IEND. APNG sequence numbers are written afresh.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from share_guard.core.containers import png_rows
from share_guard.core.containers.png_fields import (
    SINGLE,
    FrameControl,
    Header,
    canonical,
    header_body,
    neutral_iccp,
    parse_fctl,
    parse_header,
    plte,
)
from share_guard.core.containers.png_palette import cleared, kept_indices, used_indices
from share_guard.core.containers.png_stream import LEVEL, MAX_INFLATED, clean_stream, examine
from share_guard.core.errors import ExportRefused, LimitExceeded
from share_guard.core.i18n import N_
from share_guard.core.metadata.icc import IccError
from share_guard.core.metadata.tiff_ifd import minimal_orientation_exif

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: image data is written in chunks of this many bytes (the last one shorter)
DATA_CHUNK = 1 << 16
_PLAIN = {b"tEXt": "text (tEXt)", b"zTXt": "text (zTXt)", b"iTXt": "text (iTXt)",
          b"eXIf": "EXIF (eXIf)", b"tIME": "modification time (tIME)"}


def chunk(ctype: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", crc)


@dataclass
class Run:
    """Consecutive IDAT chunks, or the fdAT chunks of one APNG frame."""

    ctype: bytes
    bodies: list[bytes]
    width: int
    height: int

    def stream(self) -> bytes:
        skip = 4 if self.ctype == b"fdAT" else 0
        return b"".join(b[skip:] for b in self.bodies)


@dataclass
class Cleaned:
    out: bytearray = field(default_factory=bytearray)
    removed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def drop(self, label: str) -> None:
        self.removed[label] = self.removed.get(label, 0) + 1


def runs(chunks: list[tuple[bytes, bytes]], h: Header) -> dict[int, Run]:
    """Image-data runs by the index of their first chunk (raises ExportRefused when an
    APNG frame's data has no frame control before it, LimitExceeded when the pictures
    would inflate to more than MAX_INFLATED bytes: a zlib bomb costs bounded time)."""
    found: dict[int, Run] = {}
    frame: FrameControl | None = None
    current: Run | None = None
    for i, (ctype, body) in enumerate(chunks):
        if ctype == b"fcTL":
            frame = parse_fctl(body, h)
            if frame is None:
                raise ExportRefused(N_("cannot clean this PNG with confidence: an animation frame "
                                    "control that does not fit the picture"))
        if ctype in (b"IDAT", b"fdAT"):
            if current is not None and current.ctype == ctype:
                current.bodies.append(body)
                continue
            if ctype == b"fdAT" and (frame is None or len(body) < 4):
                raise ExportRefused(N_("cannot clean this PNG with confidence: animation frame "
                                    "data without its frame control"))
            w, ht = (h.width, h.height) if ctype == b"IDAT" else (frame.width, frame.height)  # type: ignore[union-attr]
            current = found[i] = Run(ctype, [body], w, ht)
            if ctype == b"fdAT":
                frame = None
        else:
            current = None
    if sum(h.raw_size(r.width, r.height) for r in found.values()) > MAX_INFLATED:
        raise LimitExceeded(N_("the PNG's image data is too large to check"))
    return found


def write_run(run: Run, stream: bytes, seq: int, out: bytearray) -> int:
    """Write a run's clean stream in chunks of DATA_CHUNK; returns the next sequence number."""
    for at in range(0, max(len(stream), 1), DATA_CHUNK):
        piece = stream[at : at + DATA_CHUNK]
        if run.ctype == b"fdAT":
            out += chunk(b"fdAT", struct.pack(">I", seq) + piece)
            seq += 1
        else:
            out += chunk(b"IDAT", piece)
    return seq


def _padded(stream: bytes, expected: int, h: Header, run: Run) -> int:
    try:
        return png_rows.padded_rows(stream, expected, h, run.width, run.height)
    except ValueError:
        raise ExportRefused(N_("cannot clean this PNG with confidence: a row with an unknown "
                               "filter type")) from None


def clean_png(chunks: list[tuple[bytes, bytes]], orientation: int) -> Cleaned:
    """``chunks``: (type, body) of every chunk up to IEND, checksums already verified."""
    h = parse_header(chunks[0][1])
    data_runs = runs(chunks, h)
    res = Cleaned(bytearray(SIGNATURE))
    used = used_indices(h, list(data_runs.values())) if h.colour == 3 else set()
    keep = kept_indices(chunks)
    seen: set[bytes] = set()
    seq = 0
    in_run = False
    for i, (ctype, body) in enumerate(chunks):
        if ctype in (b"IDAT", b"fdAT"):
            if i in data_runs:
                run = data_runs[i]
                raw = run.stream()
                expected = h.raw_size(run.width, run.height)
                info = examine(raw, expected)
                note = info.describe(len(raw), expected)
                if note:
                    res.notes.append(f"{note} ({ctype.decode()})")
                stream = clean_stream(raw, expected, info)
                if _padded(stream, expected, h, run):
                    stream = png_rows.cleared(png_rows.inflated(stream, expected), h,
                                              run.width, run.height, LEVEL)
                    res.notes.append(f"bits after the last pixel of rows ({ctype.decode()})")
                seq = write_run(run, stream, seq, res.out)
                in_run = True
            elif not in_run:
                raise ExportRefused(N_("cannot clean this PNG with confidence: image data "
                                    "split by other chunks"))
            continue
        in_run = False
        if ctype == b"IEND":
            break
        if ctype in SINGLE and ctype in seen:
            res.drop(f"second {ctype.decode()} chunk")
            continue
        seen.add(ctype)
        if ctype == b"IHDR":
            res.out += chunk(b"IHDR", header_body(h))
            if orientation != 1:
                res.out += chunk(b"eXIf", minimal_orientation_exif(orientation))
        elif ctype == b"PLTE":
            kept = plte(body, h)
            if kept is None and h.colour == 3:
                raise ExportRefused(N_("cannot clean this PNG with confidence: its palette is "
                                    "malformed"))
            if kept is None:
                res.drop("palette a truecolour image does not need")
            else:
                if len(kept) < len(body):
                    res.notes.append(f"{(len(body) - len(kept)) // 3} palette entries no "
                                     "pixel can name")
                res.out += chunk(b"PLTE", cleared(kept, 3, used, keep))
                if cleared(kept, 3, used, keep) != kept:
                    res.notes.append("colours in the palette no pixel uses")
                h = Header(h.width, h.height, h.depth, h.colour, h.interlace, len(kept) // 3)
        elif ctype == b"fcTL":
            fc = parse_fctl(body, h)
            assert fc is not None  # checked by runs()
            res.out += chunk(b"fcTL", fc.body(seq))
            seq += 1
        elif ctype == b"iCCP":
            try:
                res.out += chunk(b"iCCP", neutral_iccp(body))
            except IccError as exc:
                res.drop(f"colour profile ({exc})")
        else:
            kept_body = canonical(ctype, body, h)
            if kept_body is not None and ctype == b"tRNS" and h.colour == 3:
                kept_body = cleared(kept_body, 1, used, keep)
            if kept_body is None and ctype == b"acTL" and any(t == b"fcTL" for t, _b in chunks):
                raise ExportRefused(N_("cannot clean this PNG with confidence: its animation "
                                    "control is malformed"))
            if kept_body is None:
                res.drop(_PLAIN.get(ctype, f"{ctype.decode('latin-1')}"))
            else:
                res.out += chunk(ctype, kept_body)
                if len(kept_body) < len(body):
                    res.notes.append(f"{len(body) - len(kept_body)} extra bytes in "
                                     f"{ctype.decode()}")
    res.out += chunk(b"IEND", b"")
    return res
