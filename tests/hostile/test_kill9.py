"""kill -9 during 200 exports: never a partial output under a final name; the next start
removes every temp file the dead run left."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from checks import clean_files
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer, ConsentChannel
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.export.safeio import TEMP_PREFIX, remove_stale_temps

ROOT = Path(__file__).resolve().parents[2]
N_FILES = 200
MAX_ROUNDS = 40


def session_pids(sid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # fields[3] is the session id
            pids.append(int(entry))
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc to follow the killed run")
def test_kill_9_during_200_exports(tmp_path: Path, capsys) -> None:
    src, out, ref, data = (tmp_path / d for d in ("src", "out", "ref", "data"))
    for d in (src, out, ref):
        d.mkdir()
    for i in range(N_FILES):
        (src / f"p{i:03d}.jpg").write_bytes(
            plain_jpeg(pixels(64, 48, seed=i), exif=exif_bytes(gps=True, artist=True)))
    expected_results = clean_files(sorted(src.iterdir()), ExportOptions(output_dir=ref),
                                   consent=lambda r: ConsentAnswer(True, tuple(CONFIRMATIONS),
                                                                   ConsentChannel.FLAG))
    assert all(r.ok for r in expected_results)
    expected = {p.name: p.read_bytes() for p in ref.iterdir()}

    rng = random.Random(7)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rounds = kills = partial = temps_seen = orphans = 0
    t0 = time.perf_counter()
    while rounds < MAX_ROUNDS:
        todo = [p for p in sorted(src.iterdir()) if not (out / f"{p.stem}_clean.jpg").exists()]
        if not todo:
            break
        rounds += 1
        mode = [] if rounds % 2 else ["--no-isolation"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "share_guard", "--data-dir", str(data), "clean", "--consent",
             "--json", "--no-faces", *mode, "-o", str(out), *map(str, todo)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        # kill at a random moment while exports are being written: after a random number of
        # new outputs appeared, plus a random few milliseconds
        target = len(expected) - len(todo) + rng.randint(1, 30)
        if rounds >= MAX_ROUNDS - 2 or target >= len(expected):
            proc.wait(timeout=120)
        else:
            while proc.poll() is None and sum(1 for _ in out.glob("*_clean.jpg")) < target:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.02))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
        deadline = time.monotonic() + 5  # workers die with their parent
        while session_pids(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = session_pids(proc.pid)
        orphans += len(left)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        for f in out.iterdir():
            if f.name.startswith(TEMP_PREFIX):
                temps_seen += 1
            elif f.read_bytes() != expected.get(f.name):
                partial += 1
                f.unlink()
    # "the next start": the CLI calls this before it writes anything
    removed = remove_stale_temps(data, [out])
    temps_left = [f.name for f in out.iterdir() if f.name.startswith(TEMP_PREFIX)]
    pending_left = list((data / "pending-temp").iterdir()) if (data / "pending-temp").exists() else []
    done = sum(1 for f in out.iterdir() if not f.name.startswith(TEMP_PREFIX))
    figures = {"exports": N_FILES, "rounds": rounds, "kill -9": kills,
               "partial outputs under final names": partial,
               "temp files seen right after kills": temps_seen, "removed at next start": removed,
               "temp files left after next start": len(temps_left) + len(pending_left),
               "workers outliving the killed app": orphans, "completed": done,
               "seconds": round(time.perf_counter() - t0, 1)}
    with capsys.disabled():
        print("\nkill -9: " + json.dumps(figures))
    assert kills >= 3, "the run was never interrupted: the test proves nothing"
    assert partial == 0 and not temps_left and not pending_left and orphans == 0
    assert done == N_FILES
