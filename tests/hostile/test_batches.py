"""Batches of small files in the sandbox: one round trip for several files, yet a file that
kills its worker costs only itself; budgets follow the work done, not the size a file
claims; a copy cannot grow far past its original; the parent holds little per file."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from hostile.misbehave import Amplify, CrashOn, SleepSilently
from share_guard.core.containers.jpeg import JpegHandler
from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.errors import ExportRefused
from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer, ConsentChannel
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.export.safeio import TEMP_PREFIX, BoundedOutput, output_limit
from share_guard.core.filesize import allocated_bytes, data_bytes
from share_guard.core.inspect import InspectOptions
from share_guard.core.sandbox.inprocess import InProcessRunner
from share_guard.core.sandbox.pool import UNSAFE, UNSAFE_CLEAN
from share_guard.core.sandbox.sandboxed import BATCH_FILES, SandboxRunner, batches
from share_guard.core.sandbox.worker import Limits


def yes(request):
    return ConsentAnswer(True, tuple(CONFIRMATIONS), via=ConsentChannel.FLAG)


def photos(folder: Path, n: int, size: tuple[int, int] = (64, 48)) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"p{i:04d}.jpg"
        p.write_bytes(plain_jpeg(pixels(*size, seed=i), exif=exif_bytes(gps=True, artist=True)))
        paths.append(p)
    return paths


def leftovers(*folders: Path) -> list[str]:
    return [p.name for f in folders for p in f.iterdir() if p.name.startswith(TEMP_PREFIX)]


@pytest.fixture
def runner():
    r = SandboxRunner(size=2, limits=Limits(parse_seconds=4, idle_seconds=4))
    yield r
    r.close()


def test_small_files_travel_together_and_big_ones_alone() -> None:
    assert [list(b) for b in batches([100] * 5, 2)] == [[0], [1], [2], [3], [4]]
    many = batches([100] * 400, 2)
    assert all(len(b) == BATCH_FILES for b in many[:-1]) and sum(map(len, many)) == 400
    mixed = batches([100, 100, 50 << 20, 100, 100] + [100] * 60, 1)
    assert mixed[:3] == [range(0, 2), range(2, 3), range(3, 3 + BATCH_FILES)]


def test_a_crash_in_a_batch_costs_only_that_file(tmp_path: Path, runner) -> None:
    paths = photos(tmp_path / "in", 40)
    bad = paths[21].with_name("p0021-bad.jpg")
    paths[21].rename(bad)
    paths[21] = bad
    reports = runner.inspect_many(paths, InspectOptions(analyzers=[CrashOn("bad")]))
    assert [r.path for r in reports] == paths
    failed = [r for r in reports if r.error]
    assert [r.path for r in failed] == [bad]
    assert failed[0].error.startswith(UNSAFE) and "crashed" in failed[0].error
    assert all(r.leaks() for r in reports if r is not failed[0])
    assert runner.stats.crashes == 1


def test_a_crash_while_writing_a_batch_costs_only_that_file_and_leaves_nothing(
        tmp_path: Path, runner) -> None:
    paths = photos(tmp_path / "in", 30)
    out = tmp_path / "out"
    out.mkdir()
    data = tmp_path / "data"
    engine = build_engine(Features(runner=runner, faces=False, takedown=False))
    bad = paths[7]
    options = ExportOptions(output_dir=out, data_dir=data, file_transforms={bad: [CrashOn("p0007")]})
    results = engine.export(paths, options, yes).results
    statuses = {r.source.name: r.status for r in results}
    assert statuses.pop(bad.name) == "error"
    assert set(statuses.values()) == {"cleaned"}
    [failed] = [r for r in results if r.source == bad]
    assert failed.reason.startswith(UNSAFE_CLEAN) and "nothing was written" in failed.reason
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{p.stem}_clean.jpg" for p in paths if p != bad)
    assert leftovers(out) == [] and list((data / "pending-temp").iterdir()) == []


def test_one_bad_file_among_small_ones_is_one_error(tmp_path: Path, runner) -> None:
    paths = photos(tmp_path / "in", 20)
    paths[5].write_bytes(paths[5].read_bytes()[:300])  # cut short
    out = tmp_path / "out"
    out.mkdir()
    engine = build_engine(Features(runner=runner, faces=False, takedown=False))
    results = engine.export(paths, ExportOptions(output_dir=out), yes).results
    assert [r.source for r in results] == paths
    assert [r.ok for r in results].count(False) == 1 and not results[5].ok
    assert runner.stats.crashes == runner.stats.timeouts == 0


def test_the_allowance_follows_the_data_not_the_size_a_sparse_file_claims(tmp_path: Path) -> None:
    real = plain_jpeg(pixels(seed=3), exif=exif_bytes(gps=True))
    sparse = tmp_path / "huge.jpg"
    with open(sparse, "wb") as fh:
        fh.write(real)
        fh.truncate(450 << 20)  # claims 450 MB: at 50 MB/s that was 9 s more
    if data_bytes(sparse) >= 1 << 20:
        pytest.skip("this file system does not keep holes")
    # the parent sizes the budget without opening the file (its blocks on disk)
    assert allocated_bytes(sparse) < 1 << 20 and sparse.stat().st_size == 450 << 20
    slow = SandboxRunner(size=1, limits=Limits(parse_seconds=1, idle_seconds=60))
    try:
        t0 = time.perf_counter()
        report = slow.inspect(sparse, InspectOptions(analyzers=[SleepSilently(30)]))
        took = time.perf_counter() - t0
    finally:
        slow.close()
    assert report.error and "took longer than" in report.error
    assert took < 5


def test_a_copy_growing_far_past_its_original_is_stopped_while_written(tmp_path: Path,
                                                                      monkeypatch) -> None:
    [photo] = photos(tmp_path / "in", 1, size=(256, 192))
    out = tmp_path / "out"
    out.mkdir()
    written = []

    def amplified(self, src, sink):  # noqa: ANN001 - a cleaner gone wrong: 1,000 copies
        data = src.read_all()
        for _ in range(1000):
            sink.write(data)
            written.append(sink.tell())
        raise AssertionError("not stopped")

    monkeypatch.setattr(JpegHandler, "strip", amplified)
    engine = build_engine(Features(runner=InProcessRunner(), faces=False, takedown=False))
    [result] = engine.export([photo], ExportOptions(output_dir=out, data_dir=tmp_path / "d"),
                             yes).results
    assert result.status == "refused" and "grew past" in result.reason
    assert written[-1] <= output_limit(photo.stat().st_size)
    assert list(out.iterdir()) == []


def test_a_transform_that_amplifies_is_refused_and_leaves_nothing(tmp_path: Path,
                                                                 monkeypatch) -> None:
    from share_guard.core.export import pipeline

    monkeypatch.setattr(pipeline, "TRANSFORM_SLACK", 1 << 16)  # 256 MiB is too big for a test
    [photo] = photos(tmp_path / "in", 1)
    out = tmp_path / "out"
    out.mkdir()
    engine = build_engine(Features(runner=InProcessRunner(), faces=False, takedown=False))
    opts = ExportOptions(output_dir=out, data_dir=tmp_path / "d", transforms=[Amplify(40)])
    [result] = engine.export([photo], opts, yes).results
    assert result.status == "refused" and "wrote far more" in result.reason
    assert list(out.iterdir()) == []


def test_bounded_output_counts_kernel_copies_by_where_the_writer_goes(tmp_path: Path) -> None:
    with open(tmp_path / "x", "wb") as raw:
        sink = BoundedOutput(raw, 1000)
        sink.write(b"a" * 600)
        with pytest.raises(ExportRefused):
            sink.seek(1200)  # as after copy_file_range wrote 600 more bytes
    with open(tmp_path / "y", "wb") as raw:
        sink = BoundedOutput(raw, 1000)
        os.write(raw.fileno(), b"b" * 2000)  # someone wrote behind its back
        with pytest.raises(ExportRefused):
            sink.check()


def test_the_parent_holds_little_per_file(tmp_path: Path, capsys) -> None:
    """Memory of the calling process over a big batch: flat, not a report per file."""
    paths = photos(tmp_path / "in", 1200, size=(32, 24))
    out = tmp_path / "out"
    out.mkdir()
    runner = SandboxRunner(size=2)
    engine = build_engine(Features(runner=runner, faces=False, takedown=False))
    seen: list[int] = []

    def rss() -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()

    try:
        engine.export(paths[:100], ExportOptions(output_dir=out), yes, keep_reports=False)
        base = rss()
        outcome = engine.export(paths, ExportOptions(output_dir=out), yes,
                                on_result=lambda r: seen.append(rss()), keep_reports=False)
    finally:
        runner.close()
    assert all(r.ok for r in outcome.results) and len(seen) == 1200
    grown = max(seen) - base
    with capsys.disabled():
        print(f"\nparent memory over 1,200 files: +{grown / 2**20:.1f} MiB")
    # 1,200 full reports held as objects were ~30 MB; what is held now is a few KB a file
    assert grown < 12 * 2**20, f"the parent grew by {grown / 2**20:.1f} MiB"


def test_a_reply_too_large_for_the_parent_fails_its_file_only(tmp_path: Path) -> None:
    from hostile.misbehave import Flood

    paths = photos(tmp_path / "in", 6)
    # a sealed report is at most ~0.5 MB of findings (core/budget.py), so the limit is low here
    small = SandboxRunner(size=1, limits=Limits(reply_bytes=64 << 10))
    try:
        flooded = small.inspect(paths[0], InspectOptions(analyzers=[Flood(20_000)]))
        fine = small.inspect_many(paths[1:], InspectOptions(analyzers=[Flood(10)]))
    finally:
        small.close()
    assert flooded.error and "sent back more than 64 KB" in flooded.error
    assert all(r.ok for r in fine)
