"""An analyzer that keeps the processor busy while it reports progress, like a long video
face scan (in an importable module so isolated workers can unpickle it)."""

from __future__ import annotations

import time


class BusyAnalyzer:
    name = "busy test analyzer"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def analyze(self, src, report, progress, cancel):
        start = time.process_time()
        while (spent := time.process_time() - start) < self.seconds:
            sum(i * i for i in range(20_000))
            progress(spent / self.seconds, "looking for faces")
        return []
