"""The runner that reads files in the calling process (``--no-isolation``, debugging, tests)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from share_guard.core.errors import Cancelled, ShareGuardError
from share_guard.core.export.batch import Outcome, export_batch
from share_guard.core.export.pipeline import ExportOptions, ExportResult, Planned, export_one
from share_guard.core.inspect import Analyzer, InspectOptions, inspect, with_checks
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Report
from share_guard.core.sandbox.base import Runner, _scaled

#: copies written (and published) together
BATCH = 32

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

    def export_many(self, items: Sequence[Planned], options: ExportOptions,
                    progress: ProgressFn = no_progress,
                    cancel: CancelToken | None = None) -> Iterator[Outcome]:
        n = len(items)
        for at in range(0, n, BATCH):
            chunk = items[at : at + BATCH]

            def item_progress(i: int, at: int = at) -> ProgressFn:
                return _scaled(progress, at + i, n)

            try:
                yield from export_batch(chunk, options, item_progress, cancel,
                                        errors=(ShareGuardError, OSError, ValueError, MemoryError))
            except Cancelled as exc:
                yield from [exc] * (n - at)
                return

    def call(self, func: Callable[..., T], *args: Any, size: int = 0,
             cancel: CancelToken | None = None) -> T:
        return func(*args)
