"""The one in-place patch engine (containers/inplace.py): zeroed ranges and byte patches over
a streamed copy, the untouched stretches copied by the kernel; and the verifier refusing a
movie copy with a structure the cleaner forgot."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import bmff_fixtures as fx
import pytest
from checks import clean_files, consent_yes

from share_guard.core.containers import inplace
from share_guard.core.containers.inplace import Patch, Plan, copy_with_patches, write_plan
from share_guard.core.export.pipeline import ExportOptions


def _expected(data: bytes, plan: Plan) -> bytes:
    out = bytearray(data[: plan.end])
    for a, b in plan.zero:
        out[a:b] = bytes(len(out[a:b]))
    for off, blob in sorted(plan.patches):
        end = min(off + len(blob), len(out))
        if off < end:
            out[off:end] = blob[: end - off]
    return bytes(out)


def test_a_large_file_is_copied_by_the_kernel_between_edits(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    data = rng.randbytes(9 * 1024 * 1024 + 123)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    plan = Plan(end=len(data) - 100)
    plan.zero_range(10, 20)
    plan.patch(4 * 1024 * 1024, b"EDITED")
    plan.zero_range(8 * 1024 * 1024, 8 * 1024 * 1024 + 5000)
    calls = []
    real = os.copy_file_range

    def spy(*args: int) -> int:
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(os, "copy_file_range", spy)
    with open(src, "rb") as fh, open(tmp_path / "out.bin", "wb") as out:
        assert write_plan(fh, out, plan) == plan.end
    assert (tmp_path / "out.bin").read_bytes() == _expected(data, plan)
    assert sum(calls) >= 5 * 1024 * 1024  # most bytes never went through Python


def test_a_blank_stretch_is_written_without_reading_it(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024)
    plan = Plan(end=len(data))
    plan.zero_range(1000, len(data) - 1000)
    plan.patch(500_000, b"KEPT")
    reads: list[int] = []

    class Counting(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            reads.append(n or 0)
            return super().read(n)

    out = io.BytesIO()
    write_plan(Counting(data), out, plan)
    assert out.getvalue() == _expected(data, plan)
    assert sum(reads) < 2 * inplace.COPY_CHUNK  # only the chunk around the patch is read


def test_fixed_length_patches_keep_their_contract(tmp_path: Path) -> None:
    """The Matroska/AVI form: a head, then zeros to the patch's length; overlaps refused."""
    data = bytes(range(256)) * 64
    out = io.BytesIO()
    copy_with_patches(io.BytesIO(data), len(data), out,
                      [Patch(100, 10, b"VOID"), Patch(5000, 3)])
    expect = bytearray(data)
    expect[100:110] = b"VOID" + bytes(6)
    expect[5000:5003] = bytes(3)
    assert out.getvalue() == bytes(expect)
    with pytest.raises(ValueError):
        copy_with_patches(io.BytesIO(data), len(data), io.BytesIO(),
                          [Patch(100, 10), Patch(105, 10)])
    with pytest.raises(ValueError):
        Patch(0, 2, b"too long")


def test_verification_refuses_a_movie_box_the_cleaner_left(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A cleaner that forgets a structure, with an inspect blind to it, is caught by the
    byte accounting: the copy is not published."""
    from share_guard.core.containers import bmff_movie

    raw = fx.encode_movie(tmp_path / "raw.mp4").read_bytes()
    path = tmp_path / "in.mp4"
    path.write_bytes(raw + fx.box(b"meco", b"MARKER_FORGOTTEN"))
    real = bmff_movie.remove_metadata

    def forgetful(scan: object, buf: object, box: object, where: str) -> None:
        if getattr(box, "type", b"") != b"meco":
            real(scan, buf, box, where)  # type: ignore[arg-type]

    monkeypatch.setattr(bmff_movie, "remove_metadata", forgetful)
    (tmp_path / "out").mkdir()
    [result] = clean_files([path], ExportOptions(output_dir=tmp_path / "out"),
                            consent=consent_yes)
    assert not result.ok and "cannot account for" in (result.reason or ""), result.reason
    assert "meco" in (result.reason or "")
    assert list((tmp_path / "out").iterdir()) == []
