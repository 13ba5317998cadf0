"""Analyzers and transforms that misbehave on purpose, to prove the isolated checker contains them.

They live in an importable module so the worker processes can unpickle them.
"""

from __future__ import annotations

import ctypes
import time
from typing import BinaryIO

from share_guard.core.containers.base import Source
from share_guard.core.export.pipeline import Cover
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import Report


class Misbehave:
    def __init__(self, how: str) -> None:
        self.how = how
        self.name = f"misbehave-{how}"

    def analyze(self, src: Source, report: Report, progress: ProgressFn,
                cancel: CancelToken | None) -> list:
        if self.how == "segfault":
            ctypes.string_at(0)
        elif self.how == "sleep":
            time.sleep(600)
        elif self.how == "spin":
            while True:
                pass
        elif self.how == "memory":
            blob = bytearray(3 * 1024**3)  # fine for this machine, more than RLIMIT_AS allows
            return [len(blob)]
        elif self.how == "network":
            import socket

            socket.create_connection(("127.0.0.1", 9), timeout=1)
        elif self.how == "keyerror":
            return {}["missing"]
        elif self.how == "cooperative":
            while True:
                assert cancel is not None
                cancel.check()
                progress(0.5, "waiting")
                time.sleep(0.01)
        return []


class HangingTransform:
    """A pixel transform (like redaction) that writes part of its output, then hangs."""

    name = "hang"

    def covers(self, report: Report) -> Cover:
        return Cover()

    def apply(self, src: Source, report: Report, out: BinaryIO, progress: ProgressFn,
              cancel: CancelToken | None) -> list[str]:
        out.write(src.read_all()[:100])
        out.flush()
        time.sleep(600)
        return []


class SlowCopy:
    """A transform that copies the file slowly but steadily (a big file to a slow disk)."""

    name = "slow-copy"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def covers(self, report: Report) -> Cover:
        return Cover()

    def apply(self, src: Source, report: Report, out: BinaryIO, progress: ProgressFn,
              cancel: CancelToken | None) -> list[str]:
        data = src.read_all()
        steps = 20
        for i in range(steps):
            out.write(data[i * len(data) // steps : (i + 1) * len(data) // steps])
            out.flush()
            time.sleep(self.seconds / steps)
        return ["copied slowly"]


class CrashOn:
    """An analyzer (or transform) that crashes the process on files whose name holds
    ``marker`` and does nothing on the others: one bad file inside a batch."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.name = f"crash-on-{marker}"

    def analyze(self, src: Source, report: Report, progress: ProgressFn,
                cancel: CancelToken | None) -> list:
        if self.marker in src.path.name:
            ctypes.string_at(0)
        return []

    def covers(self, report: Report) -> Cover:
        return Cover()

    def apply(self, src: Source, report: Report, out: BinaryIO, progress: ProgressFn,
              cancel: CancelToken | None) -> list[str]:
        if self.marker in report.path.name:
            ctypes.string_at(0)
        out.write(src.read_all())
        return []


class SleepSilently:
    """An analyzer that works for ``seconds`` without reporting progress."""

    name = "sleep-silently"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def analyze(self, src: Source, report: Report, progress: ProgressFn,
                cancel: CancelToken | None) -> list:
        time.sleep(self.seconds)
        return []


class Amplify:
    """A transform that writes ``factor`` times its input (a runaway cleaner or encoder)."""

    name = "amplify"

    def __init__(self, factor: int) -> None:
        self.factor = factor

    def covers(self, report: Report) -> Cover:
        return Cover()

    def apply(self, src: Source, report: Report, out: BinaryIO, progress: ProgressFn,
              cancel: CancelToken | None) -> list[str]:
        data = src.read_all()
        for _ in range(self.factor):
            out.write(data)
        return []


class Flood:
    """An analyzer that reports ``n`` findings of ``size`` bytes each (a file built to make
    the report enormous)."""

    name = "flood"

    def __init__(self, n: int, size: int = 200) -> None:
        self.n, self.size = n, size

    def analyze(self, src: Source, report: Report, progress: ProgressFn,
                cancel: CancelToken | None) -> list:
        from share_guard.core.report import Category, Finding

        return [Finding(Category.OTHER, "flood", f"tag {i}", "x" * self.size, "padding")
                for i in range(self.n)]
