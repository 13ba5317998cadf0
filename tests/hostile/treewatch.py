"""Run the command line in a subprocess and measure the whole process tree while it runs.

The sandbox's workers are bounded one by one; what issue 19 measured unbounded was the
tree: the command itself (the parent) holding every report, plus its workers. ``run_cli``
polls /proc for the peak resident memory of the command and all its descendants together,
and keeps the output's size, its text (up to a cap), the exit code and the time taken.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = os.sysconf("SC_PAGE_SIZE")
#: the bar of issue 19, for every call
TREE_LIMIT = int(2.5 * 1024**3)
OUTPUT_LIMIT = 100 * 1024**2
KEPT_TEXT = 4 * 1024**2  # characters of stdout kept for the test to read


@dataclass
class Run:
    code: int
    seconds: float
    peak_tree: int  # bytes: the most the command and its descendants held at one time
    out_bytes: int
    out: str  # the first KEPT_TEXT characters
    err: str

    def check_bounded(self, seconds: float = 30.0) -> None:
        """Issue 19's bar for one call: time, memory of the tree, output size, no traceback."""
        assert self.seconds < seconds, f"took {self.seconds:.1f} s"
        assert self.peak_tree < TREE_LIMIT, f"process tree reached {self.peak_tree / 1e9:.2f} GB"
        assert self.out_bytes < OUTPUT_LIMIT, f"printed {self.out_bytes / 1e6:.0f} MB"
        assert "Traceback" not in self.err and "Traceback" not in self.out[:KEPT_TEXT], self.err
        for line in self.err.splitlines():  # only our one-line messages reach stderr
            assert line.startswith("share-guard") or not line.strip(), self.err


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every process below it, now."""
    kids = _children()
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(kids.get(p, ()))
    return total


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120.0,
            stdin: str | None = None) -> Run:
    """``python -m share_guard ARGS`` with this checkout's code, measured (see module doc)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "share_guard", *args], stdout=out,
                                stderr=err, env=full_env, cwd=ROOT,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
        peak = [0]
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], tree_rss(proc.pid))
                stop.wait(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            proc.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        seconds = time.perf_counter() - t0
        stop.set()
        watcher.join()
        size = out.tell()
        out.seek(0)
        err.seek(0)
        text = out.read(KEPT_TEXT).decode("utf-8", "replace")
        return Run(proc.returncode, seconds, peak[0], size, text,
                   err.read(1024 * 1024).decode("utf-8", "replace"))
