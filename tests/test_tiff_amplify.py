"""Issue 19 item 2: a TIFF whose strips point at the same bytes must not amplify.

The reproducers are small files whose thousands of strips or tiles all point at one
region (or at regions sliding over one another). The old cleaner copied each strip
separately: a 113 KB file gave a 372 MB "clean" copy. Now a block several entries point
at is written once and shared, blocks that partly overlap are refused, a clean copy is
never larger than its original by more than a few index bytes, and the writer stops at
its planned size.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from share_guard.core.containers import Source
from share_guard.core.containers.tiff import TiffHandler
from share_guard.core.containers.tiff_plan import SLACK, plan
from share_guard.core.containers.tiff_write import _Budget, write_clean
from share_guard.core.errors import ExportRefused
from share_guard.core.export.pipeline import ExportOptions
from tests.checks import clean_files, consent_yes
from tests.tiff_fixtures import tiff_pages

ROOT = Path(__file__).resolve().parents[1]
SHORT, LONG = 3, 4


def pointing_tiff(blocks: int, region: bytes, count: int, *, slide: int = 0, width: int = 64,
                  compression: int = 1, tile: int = 0, count_type: int = LONG) -> bytes:
    """An RGB TIFF of ``blocks`` strips (one row each) or ``tile``-square tiles, every one
    pointing at ``region`` (shifted by ``slide`` bytes per block) and claiming ``count``."""
    bo = "<"
    head = bytearray(b"II*\x00" + bytes(4))
    base = len(head)
    head += region
    offsets = [base + i * slide for i in range(blocks)]
    counts = [count] * blocks
    if tile:
        across = width // tile
        length = tile * (blocks // across)
        layout = {322: (SHORT, [tile]), 323: (SHORT, [tile]), 324: (LONG, offsets),
                  325: (LONG, counts)}
    else:
        length = blocks
        layout = {273: (LONG, offsets), 278: (SHORT, [1]), 279: (count_type, counts)}
    tags = {256: (SHORT, [width]), 257: (LONG if length > 0xFFFF else SHORT, [length]),
            258: (SHORT, [8, 8, 8]),
            259: (SHORT, [compression]), 262: (SHORT, [2]), 277: (SHORT, [3]),
            284: (SHORT, [1]), **layout}
    if len(head) % 2:
        head += b"\x00"
    ifd_at = len(head)
    values_at = ifd_at + 2 + 12 * len(tags) + 4
    table, blob = bytearray(struct.pack(bo + "H", len(tags))), bytearray()
    for tag, (typ, vals) in sorted(tags.items()):
        raw = struct.pack(f"{bo}{len(vals)}{'H' if typ == SHORT else 'I'}", *vals)
        table += struct.pack(bo + "HHI", tag, typ, len(vals))
        if len(raw) <= 4:
            table += raw.ljust(4, b"\x00")
        else:
            table += struct.pack(bo + "I", values_at + len(blob))
            blob += raw
    struct.pack_into(bo + "I", head, 4, ifd_at)
    return bytes(head + table + bytes(4) + blob)


def _noise(n: int, seed: int = 7) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


#: name -> (reproducer, what the old cleaner wrote)
SHARED = {
    # 3,300 one-row strips all claiming the same 87 KB: 113 KB in, 287 MB out before
    "strips at one place (113 KB)": lambda: pointing_tiff(3300, _noise(87_000), 87_000),
    # LZW: every strip is the same stream, with bytes after it the count claims
    "LZW strips at one place": lambda: pointing_tiff(
        4000, _lzw_row(64 * 3) + _noise(60_000), 60_000 + len(_lzw_row(64 * 3)),
        compression=5),
    # Deflate tiles: 2,048 tiles (16 x 16) all claiming the whole 70 KB region
    "Deflate tiles at one place": lambda: pointing_tiff(
        2048, zlib.compress(bytes(16 * 16 * 3)) + _noise(70_000), 70_000, width=512, tile=16,
        compression=8),
}
OVERLAPPING = {
    # strips sliding one byte over each other: each reads different bytes of one region
    "strips sliding over each other": lambda: pointing_tiff(3000, _noise(100_000), 90_000,
                                                            slide=1),
    "tiles sliding over each other": lambda: pointing_tiff(1024, _noise(70_000), 60_000,
                                                           slide=7, width=512, tile=16),
}


def _lzw_row(n: int) -> bytes:
    import imagecodecs

    return bytes(imagecodecs.lzw_encode(bytes(n)))


def _export(path: Path, out_dir: Path):  # type: ignore[no-untyped-def]
    out_dir.mkdir(exist_ok=True)
    [result] = clean_files([path], ExportOptions(output_dir=out_dir), consent=consent_yes)
    return result


@pytest.mark.parametrize("case", list(SHARED))
def test_blocks_pointing_at_the_same_bytes_are_written_once(case: str, tmp_path: Path) -> None:
    data = SHARED[case]()
    src = tmp_path / "amp.tif"
    src.write_bytes(data)
    start = time.perf_counter()
    result = _export(src, tmp_path / "out")
    elapsed = time.perf_counter() - start
    assert result.ok, result.reason
    assert result.output is not None
    clean = result.output.read_bytes()
    assert len(clean) <= len(data), (len(clean), len(data))
    assert elapsed < 10, elapsed
    assert result.accounting is not None and result.accounting["size"] == len(clean)
    before, after = tiff_pages(data), tiff_pages(clean)
    assert len(before) == len(after) == 1 and np.array_equal(before[0], after[0])


@pytest.mark.parametrize("case", list(OVERLAPPING))
def test_blocks_overlapping_partly_are_refused_before_writing(case: str, tmp_path: Path) -> None:
    data = OVERLAPPING[case]()
    src = tmp_path / "amp.tif"
    src.write_bytes(data)
    start = time.perf_counter()
    result = _export(src, tmp_path / "out")
    assert time.perf_counter() - start < 10
    assert not result.ok and "overlap" in result.reason
    assert list((tmp_path / "out").iterdir()) == []


def test_the_plan_knows_the_size_and_bounds_it() -> None:
    for build in (*SHARED.values(), *OVERLAPPING.values()):
        data = build()
        tp = plan(data)
        if not tp.problems:
            out = io.BytesIO()
            assert write_clean(data, tp, out) == tp.size == len(out.getvalue())
            assert tp.size <= len(data) + SLACK


def test_the_writer_stops_at_its_planned_size(tmp_path: Path) -> None:
    data = SHARED["strips at one place (113 KB)"]()
    tp = plan(data)
    assert tp.problems == []
    tp.pieces[0].kept.used += 10_000  # a plan that no longer matches what would be written
    sink = io.BytesIO()
    with pytest.raises(ExportRefused, match="does not match its plan"):
        write_clean(data, tp, sink)
    assert sink.getvalue() == b""
    budget = _Budget(sink, 100)
    budget.write(b"x" * 60)
    with pytest.raises(ExportRefused, match="planned size"):
        budget.write(b"y" * 41)
    assert len(sink.getvalue()) == 60


def _lzw_without_end(row: bytes) -> bytes:
    """A Clear code and one literal code per byte, 9 bits each, and no end code (libtiff
    reads it; the clean copy adds the end code)."""
    bits = "".join(f"{code:09b}" for code in (256, *row))
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def test_a_copy_larger_than_its_original_is_refused(tmp_path: Path) -> None:
    # 70,000 one-pixel LZW strips without end codes: each gains a byte in the clean copy
    row = _lzw_without_end(b"\x10\x20\x30")
    blocks = 70_000
    data = pointing_tiff(blocks, row * blocks, len(row), slide=len(row), width=1,
                         compression=5, count_type=SHORT)
    path = tmp_path / "grow.tif"
    path.write_bytes(data)
    src, handler = Source(path), TiffHandler()
    problems = handler.inspect(src).problems
    assert problems and "larger than the original" in problems[0]
    with pytest.raises(ExportRefused, match="larger than the original"):
        handler.strip(src, io.BytesIO())
    small = pointing_tiff(300, row * 300, len(row), slide=len(row), width=1, compression=5,
                          count_type=SHORT)
    tp = plan(small)
    assert tp.problems == [] and tp.size <= len(small) + 300


def test_cli_cleans_the_reproducer_quickly_and_small(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    for name, build in (("shared.tif", SHARED["strips at one place (113 KB)"]),
                        ("sliding.tif", OVERLAPPING["strips sliding over each other"])):
        (folder / name).write_bytes(build())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "share_guard", "clean", "--consent", "-o",
                           str(out), str(folder)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert time.perf_counter() - start < 30
    assert "Traceback" not in proc.stderr
    written = {p.name: p.stat().st_size for p in out.iterdir()}
    assert set(written) == {"shared_clean.tif"}, (written, proc.stdout, proc.stderr)
    assert written["shared_clean.tif"] <= (folder / "shared.tif").stat().st_size
    assert "overlap" in proc.stdout + proc.stderr
