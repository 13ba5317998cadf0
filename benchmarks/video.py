"""Video cleaning speed: large generated files side by side with cp, exiftool, ffmpeg, mat2.

    PYTHONPATH=. python benchmarks/video.py [--size-mb 1024] [--dir /tmp]
        [--corpus ../shared/corpus] [--keep] [--runs 2]

1. Generates (with PyAV) one short high-bitrate H.264 + AAC clip and remuxes its
   packets over and over into a large MP4 and a large MKV of about --size-mb
   each, with a title, a creation date and a location planted.
2. Times, on a warm cache, best of --runs, each tool writing a new file in an empty folder:
   ``share-guard clean --consent --no-faces`` (the real command: sandboxed worker, copy
   streamed once with the kernel copying the untouched stretches, re-inspection and byte
   accounting of the copy, synced before it is named), a plain copy synced the same way
   (``cp`` then ``fsync``), ``exiftool -all=`` (MP4 only), ``ffmpeg -map_metadata -1
   -c copy`` and mat2; each as a ratio of the copy, with the load average of the moment.
3. For each video in the corpus: time and what is left (identifying tags seen by
   `exiftool -ee`) for share_guard, `exiftool -all=`, `ffmpeg -map_metadata -1
   -c copy` and mat2 when installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from share_guard.core.containers import Source, detect
from share_guard.core.errors import ShareGuardError

IDENTIFYING_WORDS = (
    "Date", "GPS", "Location", "Make", "Model", "Software", "Encoder", "Title", "Artist",
    "Author", "Comment", "MuxingApp", "WritingApp", "Creator", "Serial", "Junk",
)
QUIET_GROUPS = ("System", "File", "ExifTool", "Composite")


def generate(path: Path, size_mb: int, container: str) -> Path:
    """About ``size_mb`` MB of H.264 + AAC by repeating one noisy clip's packets."""
    import av
    import numpy as np

    clip = path.with_suffix(".clip.mkv")
    if not clip.exists():
        rng = np.random.default_rng(1)
        with av.open(str(clip), "w") as out:
            vs = out.add_stream("libx264", rate=30)
            vs.width, vs.height, vs.pix_fmt = 1280, 720, "yuv420p"
            vs.codec_context.options = {"preset": "ultrafast", "crf": "8"}
            vs.codec_context.gop_size = 30
            aus = out.add_stream("aac", rate=48000)
            for i in range(60):
                img = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts, frame.time_base = i, Fraction(1, 30)
                out.mux(vs.encode(frame))
            out.mux(vs.encode())
            for k in range(2 * 48000 // 1024):
                samples = np.zeros((1, 1024), np.float32)
                af = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                af.sample_rate, af.pts = 48000, k * 1024
                out.mux(aus.encode(af))
            out.mux(aus.encode())
    target = size_mb * 1024 * 1024
    with av.open(str(clip)) as tmpl, av.open(str(path), "w", format=container) as out:
        out.metadata.update(title="Benchmark at Grandma's", creation_time="2021-06-05T14:03:22Z",
                            location="+48.8584+002.2945/")
        streams = {s.index: out.add_stream_from_template(s) for s in tmpl.streams}
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        for p in tmpl.demux():
            if p.size:
                i, dts = p.stream.index, p.dts if p.dts is not None else p.pts
                first[i] = min(first.get(i, dts), dts)
                last[i] = max(last.get(i, dts), dts + (p.duration or 1))
        span = {i: last[i] - first[i] for i in last}
        written, loop = 0, 0
        while written < target:
            with av.open(str(clip)) as inp:
                for p in inp.demux():
                    if not p.size:
                        continue
                    shift = loop * span[p.stream.index]
                    dts = p.dts if p.dts is not None else p.pts
                    p.pts, p.dts = p.pts + shift, dts + shift
                    p.stream = streams[p.stream.index]
                    out.mux(p)
                    written += p.size
            loop += 1
    return path


ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared").is_dir()), ROOT / "shared")


def timed(fn: Callable[[], object], runs: int = 2) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def fsync_copy(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    with open(dst, "rb+") as fh:
        os.fsync(fh.fileno())


def cli_clean(src: Path, out_dir: Path) -> None:
    """The real command, as a person runs it (sandboxed, verified, synced)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir()
    done = subprocess.run([sys.executable, "-m", "share_guard", "clean", "--consent", "--no-faces",
                           "-o", str(out_dir), str(src)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    if done.returncode != 0:
        raise ShareGuardError(done.stdout.strip().splitlines()[-1] if done.stdout.strip()
                              else done.stderr.strip()[-200:])


def other_tool(name: str, src: Path, out: Path) -> Callable[[], object] | None:
    """A command for another tool writing ``out`` (None: not installed or not for this file)."""
    exe = shutil.which(name)
    if exe is None or (name == "exiftool" and src.suffix != ".mp4"):
        return None
    if name == "exiftool":
        cmd = [exe, "-q", "-all=", "-o", str(out), str(src)]
    elif name == "ffmpeg":
        cmd = [exe, "-v", "error", "-y", "-i", str(src), "-map", "0", "-map_metadata", "-1",
               "-c", "copy", str(out)]
    else:  # mat2 writes name.cleaned.ext next to its input
        cmd = [exe, str(src)]

    def run() -> None:
        out.unlink(missing_ok=True)
        cleaned = src.with_name(f"{src.stem}.cleaned{src.suffix}")
        cleaned.unlink(missing_ok=True)
        subprocess.run(cmd, capture_output=True, check=False)
        cleaned.unlink(missing_ok=True)

    return run


def share_guard_clean(src_path: Path, dst: Path) -> None:
    """What an export does to one file: inspect, strip (fsynced), then verify the copy as the
    pipeline does (re-inspect, and prove every byte where the container accounts)."""
    src = Source(src_path)
    handler = detect(src.head)
    handler.inspect(src)
    with open(dst, "wb") as fh:
        handler.strip(src, fh)
        fh.flush()
        os.fsync(fh.fileno())
    handler.inspect(Source(dst))
    if handler.accounts:
        handler.account(Source(dst)).close()


def leftovers(path: Path) -> int | None:
    """Identifying-looking tags exiftool -ee still reads (None: exiftool missing)."""
    exiftool = shutil.which("exiftool")
    if exiftool is None or not path.exists():
        return None
    out = subprocess.run([exiftool, "-j", "-G1", "-a", "-u", "-ee", str(path)],
                         capture_output=True, text=True, check=False).stdout
    try:
        tags = json.loads(out)[0]
    except (ValueError, IndexError):
        return None
    return sum(1 for k, v in tags.items()
               if k.split(":")[0] not in QUIET_GROUPS and str(v).strip()
               and not str(v).startswith("0000:00:00")  # zeroed dates are fine
               and any(w.lower() in k.lower() for w in IDENTIFYING_WORDS))


def run_tool(cmd: list[str]) -> bool:
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def corpus_rows(corpus: Path, work: Path) -> list[tuple[str, ...]]:
    rows = []
    exiftool, ffmpeg, mat2 = (shutil.which(t) for t in ("exiftool", "ffmpeg", "mat2"))
    for path in sorted(corpus.iterdir()):
        try:
            handler = detect(path.read_bytes()[:4096])
        except ShareGuardError:
            if path.suffix.lower() not in (".mp4", ".mov", ".avi", ".mkv", ".webm", ".3gp"):
                continue
            handler = None
        if handler is not None and handler.kind != "video":
            continue
        row = [path.name[:40], f"{path.stat().st_size / 1e6:.1f}"]
        ours = work / f"sg{path.suffix}"
        try:
            if handler is None:
                raise ShareGuardError("no handler")
            t = timed(lambda p=path, o=ours: share_guard_clean(p, o), 1)
            row.append(f"{t * 1000:.0f} ms / {leftovers(ours)}")
        except ShareGuardError as exc:
            row.append(f"n/a ({str(exc)[:20]})")
        for name, tool in (("exiftool", exiftool), ("ffmpeg", ffmpeg), ("mat2", mat2)):
            if tool is None:
                row.append("not installed")
                continue
            out = work / f"{name}{path.suffix}"
            out.unlink(missing_ok=True)
            if name == "exiftool":
                cmd = [tool, "-q", "-all=", "-o", str(out), str(path)]
            elif name == "ffmpeg":
                cmd = [tool, "-v", "error", "-y", "-i", str(path), "-map", "0",
                       "-map_metadata", "-1", "-c", "copy", str(out)]
            else:
                copy = work / f"m{path.suffix}"
                shutil.copyfile(path, copy)
                cmd = [tool, "--inplace", str(copy)]
                out = copy
            t0 = time.perf_counter()
            ok = run_tool(cmd)
            t = time.perf_counter() - t0
            row.append(f"{t * 1000:.0f} ms / {leftovers(out)}" if ok else "failed")
        rows.append(tuple(row))
    return rows


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    ap.add_argument("--keep", action="store_true", help="keep the generated large files")
    ap.add_argument("--runs", type=int, default=2, help="best of this many runs per tool")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sg_video_bench_", dir=args.dir))
    rows = []
    try:
        for container, ext in (("mp4", ".mp4"), ("matroska", ".mkv")):
            big = work / f"big{ext}"
            generate(big, args.size_mb, container)
            big.read_bytes()  # warm cache
            size = big.stat().st_size
            load = os.getloadavg()[0]
            copy_t = timed(lambda b=big, e=ext: fsync_copy(b, work / f"copy{e}"), args.runs)
            (work / f"copy{ext}").unlink()
            times: dict[str, str] = {}
            try:
                clean_t = timed(lambda b=big: cli_clean(b, work / "sg-out"), args.runs)
                times["share_guard"] = f"{clean_t:.2f} s ({clean_t / copy_t:.2f}x)"
                left = str(leftovers(next((work / "sg-out").iterdir())))
            except ShareGuardError as exc:
                times["share_guard"], left = "n/a", f"({str(exc)[:30]})"
            for name in ("exiftool", "ffmpeg", "mat2"):
                run = other_tool(name, big, work / f"{name}{ext}")
                if run is None:
                    times[name] = "-"
                    continue
                t = timed(run, args.runs)
                times[name] = f"{t:.2f} s ({t / copy_t:.2f}x)"
                (work / f"{name}{ext}").unlink(missing_ok=True)
            rows.append((ext, f"{size / 1e6:.0f}", f"{copy_t:.2f} s", times["share_guard"],
                         times["exiftool"], times["ffmpeg"], times["mat2"], left, f"{load:.1f}"))
            shutil.rmtree(work / "sg-out", ignore_errors=True)
            for leftover in work.glob(f"*{ext}"):
                if not args.keep:
                    leftover.unlink()
        print(table(("large file", "MB", "cp + fsync", "share_guard clean (x cp)",
                     "exiftool -all=", "ffmpeg -c copy", "mat2", "tags left (sg)", "load"), rows))
        print("\nbest of", args.runs, "runs each, warm cache; share_guard: the whole command "
              "(start-up, sandbox, re-inspection and byte accounting, sync) per file")
        print()
        if args.corpus.is_dir():
            print("corpus videos: time / identifying-looking tags exiftool -ee still reads")
            print(table(("file", "MB", "share_guard", "exiftool -all=", "ffmpeg -c copy",
                         "mat2"), corpus_rows(args.corpus, work)))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"files kept in {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
