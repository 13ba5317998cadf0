#!/usr/bin/env python3
"""Batch cleaning side by side: share_guard, exiftool, mat2 and a plain copy, in one run.

    PYTHONPATH=. python benchmarks/clean.py [FOLDER] [--copies 10,100] [--list 1000000]
        [--tools sg,sg-list,sg-faces,exiftool,mat2,copy] [--leaks]

FOLDER (default ../shared/corpus) is replicated 10x and 100x (580 and 5,800 files for a
58-file folder; hard links, names r<i>_<name>) and each tool cleans the whole folder in
ONE call into an empty folder, warm cache:

* ``sg``: ``share-guard clean --consent --no-faces`` (metadata cleaning, as the other tools
  do; isolated workers, every copy re-inspected and byte-accounted before it is published);
* ``sg-list``: the same with a takedown list of ``--list`` PDQ entries (every image hashed);
* ``sg-faces``: the default ``clean`` (faces looked for too), up to ``--faces-max`` files;
* ``exiftool -all=``, ``mat2`` (up to ``--mat2-max`` files: it is slow), ``cp -r``.

Each row gives wall time, processor time of the whole process tree (less sensitive to other
load), the peak memory of the calling process (share_guard's parent, not its workers), and
the load average when it started: the machine is shared, so read the ratios (same run) more
than the seconds. ``--leaks`` adds leakcheck.py's columns (identifying tags left by exiftool
``-ee``, pixel identity) for the folder itself.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the shared folder next to the checkout (or to the folder holding the worktrees)
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared").is_dir()), ROOT / "shared")
LEAKCHECK = SHARED / "tools" / "leakcheck.py"
SKIP_EXT = {".tsv", ".md", ".txt", ".json"}
SG = [sys.executable, "-m", "share_guard"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def media_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() not in SKIP_EXT)


def replicate(files: list[Path], copies: int, into: Path) -> Path:
    folder = into / f"in-{copies}x"
    folder.mkdir()
    for i in range(1, copies + 1):
        for f in files:
            dest = folder / f"r{i}_{f.name}"
            try:
                os.link(f, dest)
            except OSError:
                shutil.copyfile(f, dest)
    return folder


@dataclass
class Run:
    tool: str
    files: int
    wall: float
    cpu: float
    rss_mb: float
    load: float
    outputs: int
    note: str = ""


def _subreaper() -> None:
    """Adopt orphaned descendants (sandbox workers), so their processor time is counted."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall s, processor s of the whole tree, peak RSS MB of the command's own process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = 0
    while True:  # the workers and the fork server, adopted when their parent left
        try:
            os.wait()
        except ChildProcessError:
            break
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, usage.ru_maxrss / 1024


def tool_command(tool: str, inp: Path, out: Path, data: Path, list_data: Path | None,
                 ) -> list[str] | None:
    sg = [*SG, "--data-dir", str(data)]
    if tool == "sg":
        return [*sg, "clean", "--consent", "--no-faces", "--suffix", "", "-o", str(out), str(inp)]
    if tool == "sg-list" and list_data is not None:
        return [*SG, "--data-dir", str(list_data), "clean", "--consent", "--no-faces",
                "--suffix", "", "-o", str(out), str(inp)]
    if tool == "sg-faces":
        return [*sg, "clean", "--consent", "--suffix", "", "-o", str(out), str(inp)]
    if tool == "exiftool":
        return ["exiftool", "-q", "-q", "-all=", "-o", f"{out}/", str(inp)]
    if tool == "mat2":
        return ["mat2", *map(str, sorted(inp.iterdir()))]
    if tool == "copy":
        return ["cp", "-r", f"{inp}/.", f"{out}/"]
    return None


def run_tool(tool: str, inp: Path, work: Path, list_data: Path | None) -> Run | None:
    n = len(list(inp.iterdir()))
    out = work / f"out-{tool}-{n}"
    out.mkdir()
    data = work / f"data-{tool}-{n}"
    cmd = tool_command(tool, inp, out, data, list_data)
    if cmd is None:
        return None
    load = os.getloadavg()[0]
    wall, cpu, rss = measure(cmd, work)
    produced = len(list(out.iterdir()))
    if tool == "mat2":  # writes name.cleaned.ext next to each original
        cleaned = list(inp.glob("*.cleaned.*"))
        produced = len(cleaned)
        for c in cleaned:
            c.unlink()
    shutil.rmtree(out, ignore_errors=True)
    return Run(tool, n, wall, cpu, rss, load, produced)


def make_list(work: Path, entries: int) -> Path:
    """A data folder with a takedown list of ``entries`` random PDQ hashes, index built."""
    spec = importlib.util.spec_from_file_location("bench_takedown", ROOT / "benchmarks" / "takedown.py")
    assert spec and spec.loader
    bt = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT))
    spec.loader.exec_module(bt)
    data = work / "data-list"
    t = time.perf_counter()
    bt._fill_store(data / "takedown.sqlite3", entries)
    print(f"takedown list of {entries:,} PDQ entries written in {time.perf_counter() - t:.0f} s")
    return data


def warm_index(list_data: Path, sample: Path, work: Path) -> None:
    """One call builds the list's index files, which every later process maps."""
    out = work / "warm-out"
    out.mkdir(exist_ok=True)
    subprocess.run([*SG, "--data-dir", str(list_data), "clean", "--consent", "--no-faces", "-o",
                    str(out), str(sample)], env=ENV, capture_output=True, check=False)
    shutil.rmtree(out, ignore_errors=True)


def leak_figures(tool: str, folder: Path, files: list[Path]) -> dict | None:
    """leakcheck.py's summary for one tool (one call per file, exiftool -ee as the reader)."""
    if not LEAKCHECK.exists() or shutil.which("exiftool") is None:
        return None
    spec = importlib.util.spec_from_file_location("leakcheck", LEAKCHECK)
    assert spec and spec.loader
    lc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lc)
    sg = f"PYTHONPATH={ROOT} {sys.executable} -m share_guard"
    cmds = {"sg": (f"{sg} clean --consent --no-faces --suffix '' -o {{outdir}} {{in}}", "{out}"),
            "exiftool": ("exiftool -q -q -all= -o {out} {in}", "{out}"),
            "mat2": ("mat2 {in}", "{indir}/{stem}.cleaned{ext}")}
    if tool not in cmds:
        return None
    with tempfile.TemporaryDirectory(prefix=f"leak-{tool}-") as tmp:
        staged = Path(tmp) / "in"
        staged.mkdir()
        for f in files:
            shutil.copyfile(f, staged / f.name)
        args = argparse.Namespace(input=str(staged), cmd=cmds[tool][0], output=cmds[tool][1],
                                  name=tool, keep_outputs=str(Path(tmp) / "work"), timeout=120,
                                  limit=0, verbose=False)
        t0 = time.perf_counter()
        records, _ = lc.run(args)
        return lc.summarize(tool, args.cmd, records, time.perf_counter() - t0)


def table(rows: list[Run]) -> str:
    head = ("files", "tool", "wall s", "CPU s", "files/s", "wall / exiftool", "wall / copy",
            "CPU / exiftool", "parent MB", "outputs", "load")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    by = {(r.files, r.tool): r for r in rows}
    for r in rows:
        ex, cp = by.get((r.files, "exiftool")), by.get((r.files, "copy"))
        cells = [f"{r.files:,}", TOOL_NAMES.get(r.tool, r.tool), f"{r.wall:.2f}", f"{r.cpu:.2f}",
                 f"{r.files / r.wall:.0f}",
                 f"{r.wall / ex.wall:.2f}" if ex else "-",
                 f"{r.wall / cp.wall:.1f}" if cp else "-",
                 f"{r.cpu / ex.cpu:.2f}" if ex and ex.cpu > 0 else "-",
                 f"{r.rss_mb:.0f}", f"{r.outputs:,}", f"{r.load:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


TOOL_NAMES = {"sg": "share_guard --no-faces", "sg-list": "share_guard --no-faces, 1M list",
              "sg-faces": "share_guard (faces too)", "exiftool": "exiftool -all=",
              "mat2": "mat2", "copy": "cp -r"}
NEEDS = {"exiftool": "exiftool", "mat2": "mat2"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(SHARED / "corpus"))
    ap.add_argument("--copies", default="10,100", help="replications of the folder")
    ap.add_argument("--tools", default="sg,exiftool,copy,mat2,sg-list,sg-faces")
    ap.add_argument("--list", type=int, default=1_000_000, help="takedown list entries (0: none)")
    ap.add_argument("--mat2-max", type=int, default=600, help="mat2 only up to this many files")
    ap.add_argument("--faces-max", type=int, default=600,
                    help="the default clean (faces too) only up to this many files")
    ap.add_argument("--list-max", type=int, default=600,
                    help="the clean with a takedown list only up to this many files (every "
                         "image is hashed: slow)")
    ap.add_argument("--leaks", action="store_true", help="also run leakcheck.py on FOLDER")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args()
    _subreaper()
    files = media_files(Path(args.folder))
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    tools = [t for t in args.tools.split(",") if t not in NEEDS or shutil.which(NEEDS[t])]
    print(f"{len(files)} files, {size_mb:.1f} MB from {args.folder}; {os.cpu_count()} cores; "
          f"tools: {', '.join(tools)}\n")
    rows: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="sg-bench-clean-", dir=args.work) as tmp:
        work = Path(tmp)
        list_data = make_list(work, args.list) if args.list and "sg-list" in tools else None
        if list_data is not None:
            warm_index(list_data, files[0], work)
        for copies in (int(c) for c in args.copies.split(",")):
            inp = replicate(files, copies, work)
            n = len(files) * copies
            for tool in tools:
                if (tool == "mat2" and n > args.mat2_max) or \
                        (tool == "sg-faces" and n > args.faces_max) or \
                        (tool == "sg-list" and n > args.list_max):
                    continue
                run = run_tool(tool, inp, work, list_data)
                if run is not None:
                    rows.append(run)
                    print(f"  {n:>6,} files  {TOOL_NAMES.get(tool, tool):34s} {run.wall:7.2f} s "
                          f"wall {run.cpu:7.2f} s CPU  load {run.load:.1f}", flush=True)
            shutil.rmtree(inp, ignore_errors=True)
    print()
    print(table(rows))
    print("\nwall / copy: times a plain `cp -r` of the same folder. CPU: every process of the "
          "call (share_guard's sandbox workers included). parent MB: peak memory of the "
          "command's own process.")
    if args.leaks:
        for tool in ("sg", "exiftool", "mat2"):
            if tool in tools:
                s = leak_figures(tool, Path(args.folder), files)
                if s:
                    print(f"{tool}: failed {len(s['failed_files'])}, files with identifying tags "
                          f"left {s['files_with_any_identifying']}, pixel-exact "
                          f"{s['images_pixel_exact']}/{s['images_compared']}, wrong way up "
                          f"{len(s['orientation_wrong'])}, videos identical "
                          f"{s['videos_bitstream_identical']}/{s['videos_compared']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
