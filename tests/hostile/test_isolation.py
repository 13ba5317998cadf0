"""The isolated checker: results as in-process, limits enforced, a dead worker costs one file."""

from __future__ import annotations

import os
import pickle
import threading
import time
from pathlib import Path

import pytest
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from hostile.misbehave import HangingTransform, Misbehave
from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.errors import Cancelled
from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer, ConsentChannel
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.inspect import InspectOptions, inspect
from share_guard.core.progress import CancelToken
from share_guard.core.sandbox.pool import UNSAFE
from share_guard.core.sandbox.sandboxed import SandboxRunner
from share_guard.core.sandbox.worker import Limits


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    paths = []
    for i in range(3):
        p = folder / f"p{i}.jpg"
        p.write_bytes(plain_jpeg(pixels(seed=i), exif=exif_bytes(gps=True, artist=True)))
        paths.append(p)
    return paths


@pytest.fixture
def pool():
    p = SandboxRunner(size=1, limits=Limits(parse_seconds=4, idle_seconds=4, cpu_seconds=1))
    yield p
    p.close()


def yes(request):
    yes.calls.append((os.getpid(), threading.get_ident()))
    return ConsentAnswer(True, tuple(CONFIRMATIONS), via=ConsentChannel.FLAG)


yes.calls = []  # where each answer was asked for (a test resets it before it looks)


def export(runner, paths, options, consent):
    """An export by an engine that reads files with ``runner`` (no face or list check)."""
    engine = build_engine(Features(runner=runner, faces=False, takedown=False))
    return engine.export(paths, options, consent).results


def test_results_match_in_process_and_pickle(photos, pool) -> None:
    for path in photos:
        mine, theirs = pool.inspect(path), inspect(path)
        assert mine == theirs
        assert pickle.loads(pickle.dumps(mine)) == mine


@pytest.mark.parametrize(("how", "expect"), [
    ("segfault", "crashed"), ("sleep", "took longer"), ("spin", "processor time"),
    ("memory", "MemoryError"), ("keyerror", "internal error"),
])
def test_a_misbehaving_checker_costs_one_file_only(how, expect, photos, pool) -> None:
    t0 = time.perf_counter()
    bad = pool.inspect(photos[0], InspectOptions(analyzers=[Misbehave(how)]))
    assert time.perf_counter() - t0 < 8
    assert bad.error is not None and bad.error.startswith(UNSAFE) and expect in bad.error, bad.error
    good = pool.inspect(photos[1])  # the batch goes on with a fresh or the same worker
    assert good.ok and good.leaks()


def test_network_is_refused_and_counted_in_the_worker(photos, pool) -> None:
    report = pool.inspect(photos[0], InspectOptions(analyzers=[Misbehave("network")]))
    assert report.error and "network access is disabled" in report.error
    assert pool.stats.network_attempts == 1


def test_cancel_is_cooperative_then_forced(photos, pool) -> None:
    for how in ("cooperative", "sleep"):
        token = CancelToken()
        threading.Timer(0.3, token.cancel).start()
        t0 = time.perf_counter()
        with pytest.raises(Cancelled):
            pool.inspect(photos[0], InspectOptions(analyzers=[Misbehave(how)], cancel=token))
        assert time.perf_counter() - t0 < pool.limits.cancel_grace + 2
    assert pool.inspect(photos[1]).ok


def test_export_consent_in_the_caller_and_hung_export_leaves_nothing(photos, pool, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    yes.calls = []
    results = export(pool, photos, ExportOptions(output_dir=out, data_dir=tmp_path / "d"), yes)
    assert [r.status for r in results] == ["cleaned"] * 3
    assert yes.calls == [(os.getpid(), threading.get_ident())], "consent once, in the caller"
    assert all(not r.after.leaks() for r in results)
    hung_out = tmp_path / "hung"
    hung_out.mkdir()
    opts = ExportOptions(output_dir=hung_out, transforms=[HangingTransform()])
    quick = SandboxRunner(size=1, limits=Limits(parse_seconds=1, idle_seconds=1))
    try:
        results = export(quick, photos[:2], opts, yes)
    finally:
        quick.close()
    assert [r.status for r in results] == ["error", "error"]
    assert all("could not be cleaned safely" in r.reason for r in results)
    assert list(hung_out.iterdir()) == [], "partial scratch/temp files were left behind"


def test_parallel_inspection_keeps_order_and_reports_progress(photos, tmp_path) -> None:
    pool = SandboxRunner(size=2)
    seen: list[float] = []
    try:
        reports = pool.inspect_many(photos * 3, InspectOptions(progress=lambda f, t: seen.append(f)))
    finally:
        pool.close()
    assert [r.path for r in reports] == photos * 3
    assert all(r.ok and r.leaks() for r in reports)


def test_overhead_per_file(photos, capsys) -> None:
    """Measured: the isolated checker adds little per file once the pool is warm."""
    pool = SandboxRunner(size=1)
    try:
        t0 = time.perf_counter()
        pool.inspect(photos[0], InspectOptions())
        startup = time.perf_counter() - t0
        files = photos * 30
        t0 = time.perf_counter()
        for p in files:
            pool.inspect(p, InspectOptions())
        isolated = (time.perf_counter() - t0) / len(files)
        t0 = time.perf_counter()
        for p in files:
            inspect(p)
        direct = (time.perf_counter() - t0) / len(files)
    finally:
        pool.close()
    with capsys.disabled():
        print(f"\nisolation: first file (worker start) {startup * 1000:.0f} ms; "
              f"per file {isolated * 1000:.2f} ms isolated vs {direct * 1000:.2f} ms in-process "
              f"(overhead {(isolated - direct) * 1000:.2f} ms/file)")
    assert isolated - direct < 0.05


def test_call_runs_our_functions_in_the_worker_and_contains_crashes(pool) -> None:
    import ctypes

    from share_guard.core.sandbox.sandboxed import CheckFailed

    assert pool.call(os.getpid) != os.getpid()
    with pytest.raises(CheckFailed, match="crashed"):
        pool.call(ctypes.string_at, 0)
    with pytest.raises(CheckFailed, match="ZeroDivisionError"):
        pool.call(divmod, 1, 0)
    assert pool.call(pow, 2, 10) == 1024


def test_reports_of_every_format_cross_the_process_boundary(tmp_path) -> None:
    """Report, Finding (detail is a Mapping), Region and ExportResult all pickle."""
    from hostile.seeds import seeds

    for label, (_handler, data) in seeds().items():
        path = tmp_path / label
        path.write_bytes(data)
        report = inspect(path)
        assert report.ok, (label, report.error)
        assert pickle.loads(pickle.dumps(report)) == report


def test_a_long_export_that_keeps_writing_is_not_stopped(photos, tmp_path) -> None:
    """The watchdog counts bytes written to the temp file as progress (slow disks, big videos)."""
    from hostile.misbehave import SlowCopy

    pool = SandboxRunner(size=1, limits=Limits(parse_seconds=1, idle_seconds=1))
    out = tmp_path / "slow"
    out.mkdir()
    try:
        [result] = export(pool, photos[:1], ExportOptions(output_dir=out, transforms=[SlowCopy(3)]),
                          yes)
    finally:
        pool.close()
    assert result.status == "cleaned", result.reason
    assert pool.stats.timeouts == 0


def test_warming_a_pool_closed_meanwhile_is_quiet() -> None:
    # `inspect` warms workers on a background thread; a one-file run closes the pool
    # before the warm-up is done, which printed a traceback on every run.
    pool = SandboxRunner(size=1).pool
    pool.close()
    pool.warm(2)  # no exception
    assert pool.worker_pids() == []
    busy = SandboxRunner(size=1).pool
    held = busy._checkout()
    errors: list[BaseException] = []
    warmer = threading.Thread(target=_capture, args=(busy.warm, errors))
    warmer.start()
    time.sleep(0.2)  # the warm-up now waits for the only worker slot
    busy.close()
    busy._checkin(held, True)
    warmer.join(5)
    assert not warmer.is_alive() and errors == []


def _capture(fn, errors: list[BaseException]) -> None:
    try:
        fn(1)
    except BaseException as exc:  # noqa: BLE001 - the test reports it
        errors.append(exc)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="resident memory from /proc")
@pytest.mark.parametrize(("limits", "started"), [
    (Limits(), 1),  # one worker serves a batch
    (Limits(tasks_per_worker=2), 2),  # replaced after its tasks...
    (Limits(recycle_resident_bytes=1), 3),  # ...or as soon as it holds more than allowed
])
def test_workers_are_replaced_by_tasks_or_by_memory_held(photos, limits, started) -> None:
    pool = SandboxRunner(size=1, limits=limits)
    try:
        for path in photos[:3]:
            assert pool.inspect(path).ok
    finally:
        pool.close()
    assert pool.stats.workers_started == started
