"""Crafted EXIF/TIFF and JPEG structures: bounded time and memory, never a traceback."""

from __future__ import annotations

import struct
import time
import tracemalloc
from pathlib import Path

from jpeg_fixtures import insert_after_soi, plain_jpeg, segment

from share_guard.core.inspect import inspect
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.tiff_ifd import parse_tiff
from share_guard.core.report import Category
from share_guard.core.textsafe import display_text


def _ifd(entries: list[tuple[int, int, int, int]], next_offset: int) -> bytes:
    body = struct.pack(">H", len(entries))
    for tag, typ, count, value in entries:
        body += struct.pack(">HHII", tag, typ, count, value)
    return body + struct.pack(">I", next_offset)


def test_ifd_chain_that_loops_to_itself() -> None:
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + _ifd([(0x010F, 2, 4, 0x41424300)], 8)
    parsed = parse_tiff(tiff)
    assert len(parsed.ifds) == 1
    assert any("loop" in p for p in parsed.problems)


def test_sub_ifd_pointing_back_to_ifd0() -> None:
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + _ifd([(0x8769, 4, 1, 8), (0x8825, 4, 1, 8)], 0)
    parsed = parse_tiff(tiff)
    assert [i.name for i in parsed.ifds] == ["IFD0"]


def test_huge_counts_are_bounded() -> None:
    # 65535 entries claimed, each claiming 4 billion values at a far offset.
    tiff = b"II\x2a\x00\x08\x00\x00\x00" + struct.pack("<H", 0xFFFF) + (
        struct.pack("<HHII", 0x010F, 4, 0xFFFFFFFF, 0x7FFFFFFF) * 200)
    tracemalloc.start()
    t0 = time.perf_counter()
    info = exif_findings(b"Exif\x00\x00" + tiff)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0 and peak < 20_000_000
    assert any(f.category is Category.UNKNOWN for f in info.findings)


def test_crafted_exif_inside_a_jpeg_gives_a_report_not_a_hang(tmp_path: Path) -> None:
    loop = b"MM\x00\x2a\x00\x00\x00\x08" + _ifd([(0x8769, 4, 1, 8)] * 50, 8)
    src = tmp_path / "crafted.jpg"
    src.write_bytes(insert_after_soi(plain_jpeg(), segment(0xE1, b"Exif\x00\x00" + loop)))
    t0 = time.perf_counter()
    report = inspect(src)
    assert time.perf_counter() - t0 < 2
    assert report.ok and report.leaks()


def test_segment_length_past_the_end_is_truncation(tmp_path: Path) -> None:
    src = tmp_path / "t.jpg"
    src.write_bytes(b"\xff\xd8\xff\xe1\xff\xf0Exif\x00\x00")
    report = inspect(src)
    assert report.ok and report.problems and "truncated" in report.problems[0]


def test_untrusted_text_is_neutralised() -> None:
    evil = "photo\u202egpj.exe\x1b[31m\nsecond line\x00"
    shown = display_text(evil)
    assert "\u202e" not in shown and "\x1b" not in shown and "\n" not in shown
    assert "photo" in shown and "second line" in shown
