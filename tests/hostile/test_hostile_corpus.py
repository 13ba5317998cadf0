"""Hundreds of malformed files of every registered format through the isolated checker.

Asserts (and prints) the figures of issue 7: malformed files tried, crashes 0,
hangs 0 (each case bounded by the worker watchdog), outputs written for
refused inputs 0, originals changed 0 (hash, size, mtime), temp files left 0,
network sockets opened 0. Cleaned copies are checked by exiftool too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from jpeg_fixtures import PLANTED

from hostile.corpus import MIN_VARIANTS, Case, build, fingerprint
from hostile.seeds import missing_handlers
from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer
from share_guard.core.export.pipeline import ExportOptions, ExportResult
from share_guard.core.export.safeio import TEMP_PREFIX
from share_guard.core.report import Report
from share_guard.core.sandbox.sandboxed import SandboxRunner

PER_CASE_LIMIT = 10.0  # seconds: the bar for a hostile file
EXIFTOOL_SAMPLE = 150


def yes(request):
    return ConsentAnswer(True, tuple(CONFIRMATIONS), via="flag")


def inet_sockets(pids: list[int]) -> int:
    """Open inet/inet6/raw sockets held by these processes (from /proc; 0 where there is none)."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
        try:
            lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        inodes.update(line.split()[9] for line in lines if len(line.split()) > 9)
    count = 0
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            match = re.fullmatch(r"socket:\[(\d+)\]", target)
            if match and match.group(1) in inodes:
                count += 1
    return count


def temp_files(*folders: Path) -> list[Path]:
    left = []
    for folder in folders:
        if folder.exists():
            left.extend(p for p in folder.rglob("*") if p.is_file() and (
                p.name.startswith(TEMP_PREFIX) or folder.name in ("tmp", "pending-temp")))
    return left


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Case], dict]:
    return build(tmp_path_factory.mktemp("hostile") / "in")


def test_every_registered_format_has_a_seed(corpus) -> None:
    _cases, chosen = corpus
    assert not missing_handlers(chosen), (
        "add a generator to tests/hostile/seeds.py for: " + ", ".join(missing_handlers(chosen)))


@pytest.mark.slow
def test_malformed_corpus(corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys,
                          exiftool_or_none, _isolated_home: Path) -> None:
    cases, _chosen = corpus
    assert len(cases) >= MIN_VARIANTS
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))  # the workers follow the caller's environment
    out, data = tmp_path / "out", tmp_path / "data"
    out.mkdir()
    before = {c.path: fingerprint(c.path) for c in cases}
    pool = SandboxRunner(size=2)
    engine = build_engine(Features(runner=pool, faces=False, takedown=False, data_dir=data))

    def one(case: Case) -> tuple[Case, Report, ExportResult, ExportResult | None, float]:
        t0 = time.perf_counter()
        report = pool.inspect(case.path)
        opts = ExportOptions(output_dir=out, data_dir=data)
        [result] = engine.export([case.path], opts, yes, reports=[report], record=False).results
        rebuilt = None
        if result.status == "refused" and report.kind == "image" and report.problems:
            opts = ExportOptions(output_dir=out, data_dir=data, rebuild=True, suffix="_rebuilt")
            [rebuilt] = engine.export([case.path], opts, yes, reports=[report],
                                      record=False).results
        return case, report, result, rebuilt, time.perf_counter() - t0

    t_start = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=2) as ex:
            runs = list(ex.map(one, cases))
        sockets = inet_sockets(pool.worker_pids())
    finally:
        pool.close()
    wall = time.perf_counter() - t_start

    stats = pool.stats
    results = [r for _, _, r, rb, _ in runs for r in (r, rb) if r is not None]
    written = {r.output for r in results if r.ok and r.output is not None}
    on_disk = {p for p in out.iterdir() if not p.name.startswith(TEMP_PREFIX)}
    stray_outputs = sorted(on_disk - written)
    changed = [c.path.name for c in cases if fingerprint(c.path) != before[c.path]]
    temps = temp_files(out, cases[0].path.parent, private_tmp, data / "pending-temp")
    # nothing in HOME but the app's own data folder (no caches or copies left by decoders)
    temps += [p for p in _isolated_home.rglob("*") if p.is_file()
              and "share_guard" not in p.relative_to(_isolated_home).parts]
    slow = sorted(((t, c.path.name) for c, _, _, _, t in runs), reverse=True)
    bad_reasons = [(r.source.name, r.reason) for r in results
                   if not r.ok and (not r.reason.strip() or "\n" in r.reason)]
    cleaned = [r for r in results if r.ok]
    t_exif = time.perf_counter()
    outputs = sorted(written)
    witnessed = outputs[:: max(1, len(outputs) // EXIFTOOL_SAMPLE)]  # exiftool is slow: a sample
    leaks_by_exiftool = _exiftool_leaks(exiftool_or_none, witnessed)
    t_exif = time.perf_counter() - t_exif
    figures = {
        "malformed files tried": len(cases),
        "formats": len({c.handler for c in cases}),
        "cleaned": sum(r.ok for _, _, r, _, _ in runs),
        "rebuilt": sum(1 for _, _, _, rb, _ in runs if rb is not None and rb.ok),
        "refused or unreadable": sum(not r.ok for _, _, r, _, _ in runs),
        "crashes": stats.crashes + stats.internal_errors,
        "hangs": stats.timeouts + sum(1 for t, _ in slow if t > PER_CASE_LIMIT),
        "max time per case (s)": round(slow[0][0], 3),
        "outputs written for refused inputs": len(stray_outputs),
        "originals changed": len(changed),
        "temp files left": len(temps),
        "network sockets opened": stats.network_attempts + sockets,
        "cleaned copies read by exiftool": len(witnessed) if exiftool_or_none else 0,
        "identifying tags left (exiftool)": len(leaks_by_exiftool) if exiftool_or_none else "n/a",
        "wall time (s)": round(wall, 1),
        "exiftool witness time (s)": round(t_exif, 1),
    }
    with capsys.disabled():
        print("\nhostile corpus: " + json.dumps(figures))
        print("slowest cases: " + ", ".join(f"{name} {t:.2f}s" for t, name in slow[:3]))
    assert figures["crashes"] == 0, "\n".join(stats.events[:5])
    assert figures["hangs"] == 0, (stats.events[:5], slow[:5])
    assert not stray_outputs and not changed and not temps, (stray_outputs[:5], changed[:5], temps[:5])
    assert figures["network sockets opened"] == 0
    assert not bad_reasons, bad_reasons[:5]
    assert not leaks_by_exiftool, leaks_by_exiftool[:5]
    assert cleaned, "no variant was cleaned at all: the harness is not exercising the cleaner"
    for r in cleaned:
        assert r.after is not None and not r.after.leaks() and not r.after.problems


PLANTED_VALUES = [v for k, v in PLANTED.items() if k not in ("date",)] + ["43.4675", "Plantedville"]


def _exiftool_leaks(exiftool: str | None, outputs: list[Path]) -> list[tuple[str, str]]:
    if exiftool is None or not outputs:
        return []
    def batch(files: list[Path]) -> list[tuple[str, str]]:
        proc = subprocess.run([exiftool, "-j", "-a", "-u", "-ee", "-G1", *map(str, files)],
                              capture_output=True, text=True, timeout=300, check=False)
        found = []
        for entry in json.loads(proc.stdout or "[]"):
            text = json.dumps(entry)
            found.extend((entry.get("SourceFile", "?"), v) for v in PLANTED_VALUES if v in text)
        return found

    with ThreadPoolExecutor(max_workers=2) as ex:  # two exiftool processes, one per core
        return [leak for part in ex.map(batch, [outputs[0::2], outputs[1::2]]) for leak in part]


@pytest.fixture
def exiftool_or_none() -> str | None:
    import shutil

    return shutil.which("exiftool")
