"""One file of an export while the engine works on it, and how little of it is held.

A report is tens of KB as Python objects and about one compressed; a big batch holds its
files' reports compressed while consent is asked (:meth:`Item.hold`), and results keep a
slim report (:func:`slim`), so the calling process does not grow with what files report.
"""

from __future__ import annotations

import pickle
import zlib
from dataclasses import dataclass, field

from share_guard.core.engine.verdict import Assessment
from share_guard.core.export.consent import ConsentItem
from share_guard.core.export.pipeline import ExportResult, Planned
from share_guard.core.report import Report


@dataclass
class Item:
    planned: Planned
    assessment: Assessment
    result: ExportResult | None = None  # decided before writing (refused, error)
    consent: ConsentItem | None = None  # what consent will say about it
    packed: bytes | None = None  # its report, compressed, while it waits (see hold)
    taken: list[str] = field(default_factory=list)  # what its transforms remove besides pixels

    def hold(self) -> None:
        """Keep little while the batch is planned: a report is tens of KB as objects, about
        one compressed; a refused file keeps only what its result line shows."""
        report = self.planned.report
        if self.result is None:
            self.packed = zlib.compress(pickle.dumps(report), 1)
        else:
            self.result.before = slim(report)
        self.planned.report = slim(report)

    def unhold(self) -> bool:
        """The full report back, for writing (True when it had been held)."""
        if self.packed is None:
            return False
        self.planned.report = pickle.loads(zlib.decompress(self.packed))  # noqa: S301 - ours
        self.packed = None
        return True


def slim(report: Report) -> Report:
    """``report`` without its findings and properties (what a result line needs)."""
    return Report(path=report.path, format=report.format, kind=report.kind, size=report.size,
                  error=report.error, mtime_ns=report.mtime_ns, checked=list(report.checked),
                  unsupported=report.unsupported)


