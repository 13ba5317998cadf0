#!/usr/bin/env python3
"""Clean one large MP4 and compare the time with a plain copy of the same file.

    python benchmarks/large_video.py [--mb 1024] [--keep DIR]

Generates the movie with ffmpeg (H.264 + AAC, with location and creation-time
metadata) in a temporary folder, never in the repository. Prints the time of
`cp`, of the core strip (inspect + streamed write) and of the whole
`share-guard clean` command (consent given, fsync and re-inspection included),
each followed by `sync`, best of three runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_movie(path: Path, mb: int) -> None:
    # lossless H.264 of a test pattern grows fast; -fs stops (cleanly) at the wanted size
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", "3600", "-fs", f"{mb}M",
         "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-c:a", "aac",
         "-metadata", "location=+43.4670+011.8850/", "-metadata",
         "creation_time=2024-05-01T12:00:00Z", str(path)],
        check=True)


def timed(fn) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        fn()
        os.sync()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024, help="size of the generated movie")
    parser.add_argument("--keep", type=Path, help="work folder to use (default: a temp folder)")
    args = parser.parse_args()
    from share_guard.core.formats import Source, detect

    work = args.keep or Path(tempfile.mkdtemp(prefix="sg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    movie = work / "large.mp4"
    try:
        if not movie.exists():
            make_movie(movie, args.mb)
        size = movie.stat().st_size / 1e6
        out_dir = work / "out"

        def copy() -> None:
            shutil.copyfile(movie, work / "copy.mp4")

        def strip() -> None:
            src = Source(movie)
            handler = detect(src.head)
            handler.inspect(src)
            with open(work / "stripped.mp4", "wb") as fh:
                handler.strip(src, fh)

        def cli() -> None:
            shutil.rmtree(out_dir, ignore_errors=True)
            out_dir.mkdir()
            subprocess.run([sys.executable, "-m", "share_guard", "clean", "--consent", "-o",
                            str(out_dir), str(movie)], check=True, capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})

        t_copy, t_strip, t_cli = timed(copy), timed(strip), timed(cli)
        print(f"movie: {size:.0f} MB")
        print(f"{'step':<28}{'seconds':>9}{'x copy':>9}{'MB/s':>9}")
        for name, t in (("copy", t_copy), ("core strip", t_strip), ("share-guard clean", t_cli)):
            print(f"{name:<28}{t:>9.2f}{t / t_copy:>9.2f}{size / t:>9.0f}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
