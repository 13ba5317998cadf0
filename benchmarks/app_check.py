#!/usr/bin/env python3
"""How long the app makes a person wait: a photo dropped on the window until "Make a safe
copy" can be clicked (its metadata, takedown check, code search and face search done;
``--list`` puts one picture on the takedown list first, so the photo is hashed too).

    PYTHONPATH=. python benchmarks/app_check.py [PHOTO] [--runs 5] [--idle 3] [--list]

The real window (offscreen), the real engine (sandboxed workers, faces, codes, takedown
list) on a fresh data folder, started as ``share-guard gui`` starts it (the warm-up of its
workers included); the photo is dropped ``--idle`` seconds after the window shows, as a
person takes a moment to pick a file. Each run is a new process (a first photo each time).
PHOTO defaults to the 12 MP synthetic photo of ``benchmarks/faces.py``. Prints the median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(photo: Path, idle: float, listed: bool) -> float:
    """In this process: the seconds from the drop until the save action is enabled."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from share_guard.gui.app import WARM_UP_MS, build_service, make_application
    from share_guard.gui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as home:
        os.environ["SHARE_GUARD_HOME"] = home
        if listed:  # a takedown list (a family device always has one): every photo is hashed
            _list_one_picture(Path(home))
        app = make_application(data_dir=Path(home))
        service = build_service(Path(home))
        window = MainWindow(service)
        window.show()
        QTimer.singleShot(WARM_UP_MS, service.warm_up)  # as gui.app.run does

        def wait(seconds: float, until: object = None) -> bool:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
                if until is not None and until():  # type: ignore[operator]
                    return True
                time.sleep(0.002)
            return False

        try:
            wait(idle)
            start = time.perf_counter()
            window.open_paths([photo])
            if not wait(60, window.export_all_action.isEnabled):
                raise RuntimeError("the photo never became ready to save")
            return time.perf_counter() - start
        finally:
            window.close()
            service.close()


def _list_one_picture(home: Path) -> None:
    from PIL import Image

    other = home / "listed.png"
    Image.new("RGB", (64, 64), (120, 30, 200)).save(other)
    subprocess.run([sys.executable, "-m", "share_guard", "--data-dir", str(home), "takedown",
                    "add", str(other), "--label", "benchmark"], check=True, capture_output=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("photo", nargs="?", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=3.0, help="seconds between the window and the drop")
    ap.add_argument("--list", action="store_true", help="with a takedown list (one entry)")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a run, in this process
    args = ap.parse_args()
    if args.photo is None:
        sys.path.insert(0, str(ROOT))
        from benchmarks.faces import synthetic_photo

        args.photo = synthetic_photo()
    if args.one:
        print(f"{one_run(args.photo, args.idle, args.list):.3f}")
        return 0
    times = []
    for _ in range(args.runs):
        done = subprocess.run([sys.executable, __file__, str(args.photo), "--idle", str(args.idle),
                               "--one", *(["--list"] if args.list else [])],
                              capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        times.append(float(done.stdout.strip().splitlines()[-1]))
    listed = ", takedown list present" if args.list else ""
    print(f"{args.photo.name}{listed}: 'Make a safe copy' ready {statistics.median(times):.2f} s after the "
          f"drop (median of {len(times)}; {min(times):.2f}-{max(times):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
