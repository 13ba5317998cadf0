"""The runner that reads files in the calling process (``--no-isolation``, debugging, tests)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from share_guard.core.export.pipeline import ExportOptions, ExportResult, Planned, export_one
from share_guard.core.inspect import Analyzer, InspectOptions, inspect, with_checks
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Report
from share_guard.core.sandbox.base import Runner

T = TypeVar("T")


class InProcessRunner(Runner):
    """No limits and no watchdog: a decoder that crashes takes the caller with it."""

    isolated = False

    def inspect(self, path: str | os.PathLike[str], options: InspectOptions | None = None) -> Report:
        return inspect(path, options)

    def with_checks(self, report: Report, analyzers: Sequence[Analyzer],
                    progress: ProgressFn = no_progress,
                    cancel: CancelToken | None = None) -> Report:
        return with_checks(report, analyzers, progress, cancel)

    def export_one(self, planned: Planned, options: ExportOptions, progress: ProgressFn,
                   cancel: CancelToken | None) -> ExportResult:
        return export_one(planned, options, progress, cancel)

    def call(self, func: Callable[..., T], *args: Any, size: int = 0,
             cancel: CancelToken | None = None) -> T:
        return func(*args)
