"""Shared pieces of the hiding-place tests for still images: a colour profile carrying
planted text, and one real consented export checked from every side."""

from __future__ import annotations

import struct
from pathlib import Path

from PIL import ImageCms
from witness import Witness

from share_guard.core.export.pipeline import ExportOptions, ExportResult
from share_guard.core.metadata import icc
from tests.checks import assert_same_pixels, assert_witness_clean, clean_files, consent_yes
from tests.leakscan import assert_no_markers, leaked_markers


def marker(place: str) -> str:
    """A unique planted value naming its hiding place (and looking like an e-mail)."""
    return f"jane.doe+{place}@leak.example"


def profile_with(text: str, *, split_text: bool = False) -> bytes:
    """An sRGB profile whose description, copyright, device model and a private tag all
    carry ``text``, with a vendor header (maker, model, creator, date)."""
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    blocks = [(t.sig, base[t.offset : t.offset + t.size]) for t in icc.parse(base)
              if t.sig in icc.COLOUR_TAGS]
    blocks += [(b"desc", icc._text_tag(b"mluc", f"{text} MacBook calibrated")),
               (b"cprt", icc._text_tag(b"text", f"Copyright {text}")),
               (b"dmdd", icc._text_tag(b"desc", f"{text} serial 4711")),
               (b"mmod", b"mmod" + bytes(4) + text.encode()[:28].ljust(32, b"\0"))]
    if split_text:
        blocks.append((b"zzzz", b"zzzz" + bytes(4) + text.encode()))
    table = 132 + 12 * len(blocks)
    body = bytearray()
    entries = []
    for sig, block in blocks:
        entries.append(struct.pack(">4sII", sig, table + len(body), len(block)))
        body += block + bytes(-len(block) % 4)
    head = bytearray(base[:128])
    head[48:52], head[52:56], head[80:84] = b"APPL", b"MDL1", b"JANE"
    head[24:36] = struct.pack(">6H", 2024, 3, 12, 14, 22, 10)
    out = head + struct.pack(">I", len(blocks)) + b"".join(entries) + body
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


def written(path: Path, data: bytes) -> Path:
    """``path`` holding ``data`` (a crafted file to inspect)."""
    path.write_bytes(data)
    return path


def export(tmp_path: Path, name: str, data: bytes) -> ExportResult:
    src = tmp_path / "in" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    [result] = clean_files([src], ExportOptions(output_dir=out), consent=consent_yes)
    return result


def export_checked(tmp_path: Path, name: str, data: bytes, markers: list[str], witness: Witness,
                   reference: bytes | None = None) -> ExportResult:
    """Clean ``data`` through the consented export and check: cleaned, every byte accounted
    for, no marker in any form, exiftool sees none, pixels as in the original (or in
    ``reference`` when the original itself does not decode)."""
    assert leaked_markers(data, markers) == markers, "the marker was not planted"
    result = export(tmp_path, name, data)
    assert result.ok, result.reason
    assert result.output is not None
    assert result.accounting is not None, "the copy was not accounted for byte by byte"
    assert result.accounting["size"] == result.output.stat().st_size
    assert_no_markers(result.output, markers)
    assert_witness_clean(witness, result.output, markers)
    compare = tmp_path / "in" / name
    if reference is not None:
        compare = tmp_path / "in" / f"reference-{name}"
        compare.write_bytes(reference)
    assert_same_pixels(compare, result.output)
    return result
