#!/usr/bin/env python3
"""Start-up of one call, side by side with exiftool reading the same photo.

    PYTHONPATH=. python benchmarks/startup.py [PHOTO] [--runs 9]

Each command runs ``--runs`` times (one after the other, warm cache); the table gives the
median and the fastest wall time, and the median processor time of the whole process tree
(the sandbox's fork server, its resource tracker and its worker included: less sensitive to
other load on a shared machine). PHOTO defaults to a small JPEG with a GPS position made
here. The package is byte-compiled first, as an installed wheel is (a checkout run with
PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module on every call).

Goals (issue 18): ``--version`` <= 60 ms, ``inspect`` of one photo <= 200 ms.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import ctypes
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SG = [sys.executable, "-m", "share_guard"]


def _subreaper() -> None:
    """Adopt orphaned descendants (the fork server, the tracker), so their time is counted."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER (Linux)


def _reap() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, processor) seconds of ``cmd`` and everything it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    wall = time.perf_counter() - start
    _reap()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def sample_photo(folder: Path) -> Path:
    import piexif
    from PIL import Image

    gps = {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((52, 1), (30, 1), (0, 1)),
           piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((13, 1), (24, 1), (0, 1))}
    path = folder / "photo.jpg"
    Image.new("RGB", (64, 48), (120, 50, 200)).save(
        path, exif=piexif.dump({"0th": {piexif.ImageIFD.Make: b"Canon"}, "GPS": gps}))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("photo", nargs="?", type=Path)
    ap.add_argument("--runs", type=int, default=9)
    opts = ap.parse_args()
    compileall.compile_dir(ROOT / "share_guard", quiet=1)
    _subreaper()
    with tempfile.TemporaryDirectory() as tmp:
        photo = opts.photo or sample_photo(Path(tmp))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SHARE_GUARD_HOME": str(Path(tmp) / "home")}
        rows = {
            "share-guard --version": [*SG, "--version"],
            "share-guard inspect --no-faces": [*SG, "inspect", "--no-faces", str(photo)],
            "  ... --no-isolation": [*SG, "inspect", "--no-faces", "--no-isolation", str(photo)],
            "share-guard inspect (faces)": [*SG, "inspect", str(photo)],
        }
        if shutil.which("exiftool"):
            rows["exiftool -json (reference)"] = ["exiftool", "-json", str(photo)]
        print(f"load average {os.getloadavg()[0]:.2f}; {opts.runs} runs each; {photo.name}")
        print(f"{'command':34s} {'median':>8s} {'fastest':>8s} {'cpu':>8s}")
        for label, cmd in rows.items():
            runs = [timed(cmd, env) for _ in range(opts.runs)]
            walls = [w for w, _c in runs]
            cpu = statistics.median(c for _w, c in runs)
            print(f"{label:34s} {statistics.median(walls) * 1000:6.0f}ms {min(walls) * 1000:6.0f}ms "
                  f"{cpu * 1000:6.0f}ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
