"""Issue 19: hostile families beyond the mutation corpus, each held to the bar.

For every family: bounded time, no traceback, the original untouched, nothing left behind,
no planted canary in any output, no output over 100 MB; in batches through the command, the
whole process tree under 2.5 GB.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from hostile import floods
from hostile.families import CANARY, FAMILIES
from hostile.treewatch import OUTPUT_LIMIT, run_cli
from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer, ConsentChannel
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.export.safeio import TEMP_PREFIX
from share_guard.core.inspect import inspect
from tests.checks import in_process_engine

CANARIES = (CANARY.encode(), floods.CANARY.encode())


def yes(request):
    return ConsentAnswer(True, tuple(CONFIRMATIONS), via=ConsentChannel.DIALOG)


@pytest.fixture(scope="module")
def family_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("families")
    for name, (ext, make) in FAMILIES.items():
        (folder / f"{name}{ext}").write_bytes(make())
    return folder


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def assert_clean_outputs(out: Path, sources: dict[str, int]) -> None:
    for copy in out.rglob("*"):
        assert not copy.name.startswith(TEMP_PREFIX), copy
        size = copy.stat().st_size
        assert size < OUTPUT_LIMIT
        data = copy.read_bytes()
        assert not any(c in data for c in CANARIES), copy.name
        source = sources.get(copy.name.split("_clean")[0])
        if source is not None:  # never much larger than its original
            assert size <= source + 64 * 1024, copy.name


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_in_process(name: str, family_dir: Path, tmp_path: Path) -> None:
    ext = FAMILIES[name][0]
    path = family_dir / f"{name}{ext}"
    before = digest(path)
    t0 = time.perf_counter()
    report = inspect(path)
    assert time.perf_counter() - t0 < 10
    assert len(json.dumps(report.to_json())) < 200_000
    assert not report.ok or report.findings or report.problems  # something was said
    out = tmp_path / "out"
    out.mkdir()
    data = tmp_path / "data"
    t0 = time.perf_counter()
    [result] = in_process_engine().export(
        [path], ExportOptions(output_dir=out, data_dir=data), yes, reports=[report]).results
    assert time.perf_counter() - t0 < 15
    assert "\n" not in result.reason and "Traceback" not in result.reason
    assert digest(path) == before
    assert_clean_outputs(out, {path.stem: path.stat().st_size})
    if result.ok:
        assert result.output is not None and not inspect(result.output).leaks()
    else:
        assert list(out.iterdir()) == []
    pending = data / "pending-temp"
    assert not pending.exists() or list(pending.iterdir()) == []


def test_families_in_one_batch_through_the_command(family_dir: Path, tmp_path: Path) -> None:
    """Faces on, as by default; then cleaned in one batch (the sandbox's workers)."""
    before = {p.name: digest(p) for p in family_dir.iterdir()}
    run = run_cli("inspect", "--json", str(family_dir), timeout=400)
    run.check_bounded(seconds=150)
    reports = json.loads(run.out)["files"]
    assert len(reports) == len(FAMILIES) and run.code == 1
    out = tmp_path / "out"
    out.mkdir()
    run = run_cli("clean", "--consent", "--json", "--no-faces", "-o", str(out), str(family_dir),
                  timeout=400)
    run.check_bounded(seconds=120)
    results = json.loads(run.out)["files"]
    assert {r["status"] for r in results} <= {"cleaned", "refused", "error"}
    assert {p.name: digest(p) for p in family_dir.iterdir()} == before
    assert_clean_outputs(out, {p.stem: p.stat().st_size for p in family_dir.iterdir()})
