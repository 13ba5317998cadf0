"""What the ISO-BMFF handlers (MP4/MOV movies and HEIF photos) share.

Each builds a :class:`MovieScan` (findings plus an in-place neutralising plan)
once per file; inspecting reports it and stripping writes the plan in one
streamed copy (:func:`inplace.write_plan`).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import BinaryIO

from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.bmff_movie import MovieScan
from share_guard.core.containers.inplace import write_plan
from share_guard.core.errors import ExportRefused
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category


class ScanHandler(FormatHandler):
    """A BMFF container cleaned by writing its scan's plan."""

    @abstractmethod
    def scan(self, src: Source) -> MovieScan:
        """Read ``src`` (bounded) into findings and a cleaning plan."""

    def _scan(self, src: Source) -> MovieScan:
        return src.cached(f"bmff_{self.name}", lambda: self.scan(src))

    def inspect(self, src: Source) -> Inspection:
        scan = self._scan(src)
        return Inspection(list(scan.findings), list(scan.problems), dict(scan.properties))

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        scan = self._scan(src)
        if scan.problems:
            raise ExportRefused(message(N_("cannot be cleaned with confidence: {problems}"),
                                        problems=scan.problems[0]))
        with src.open() as fh:
            write_plan(fh, out, scan.plan)
        return StripResult(
            removed=[f"{f.where}: {f.name}" for f in scan.findings if f.identifying],
            kept=[f"{f.name} {f.value}" for f in scan.findings if f.category is Category.KEPT],
        )
