"""Where untrusted bytes are read: the :class:`Runner`, chosen once and given to the engine.

Every read of a file a stranger may have sent goes through the runner: inspecting it (the
container walk and every analyzer), the checks a gate needs (:meth:`Runner.with_checks`),
writing its clean copy, decoding a preview. Two implementations:

* :class:`~share_guard.core.sandbox.sandboxed.SandboxRunner` (the default): limited worker
  processes (:mod:`.pool`), so a decoder that crashes or spins takes a worker down, not
  the command or the window;
* :class:`~share_guard.core.sandbox.inprocess.InProcessRunner`: the caller's own process,
  for debugging (``--no-isolation``) and for tests that patch the core.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from share_guard.core.errors import Cancelled, ShareGuardError
from share_guard.core.export.batch import Outcome
from share_guard.core.export.pipeline import ExportOptions, ExportResult, Planned
from share_guard.core.i18n import N_
from share_guard.core.inspect import Analyzer, InspectOptions
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Report

T = TypeVar("T")


class Runner(ABC):
    """Runs the core's reads of untrusted files. Thread-safe: the app calls it from workers."""

    #: True when files are read outside the calling process
    isolated: bool = False

    @property
    def parallel(self) -> int:
        """How many files it usefully works on at once."""
        return 1

    @abstractmethod
    def inspect(self, path: str | os.PathLike[str], options: InspectOptions | None = None) -> Report:
        """:func:`share_guard.core.inspect.inspect`; never raises for a bad file."""

    def inspect_many(self, paths: Sequence[str | os.PathLike[str]],
                     options: InspectOptions | None = None) -> list[Report]:
        """Several files, results in input order (progress covers the whole batch)."""
        return list(self.inspect_each(paths, options))

    def inspect_each(self, paths: Sequence[str | os.PathLike[str]],
                     options: InspectOptions | None = None) -> Iterator[Report]:
        """Several files, each report as soon as it and those before it are ready (in input
        order): a caller that does not keep them holds only what is under way."""
        options = options or InspectOptions()
        n = max(len(paths), 1)
        for i, path in enumerate(paths):
            def progress(fraction: float, text: str, i: int = i) -> None:
                options.progress((i + min(fraction, 1.0)) / n, text)
            yield self.inspect(path, _with_progress(options, progress))

    @abstractmethod
    def with_checks(self, report: Report, analyzers: Sequence[Analyzer],
                    progress: ProgressFn = no_progress,
                    cancel: CancelToken | None = None) -> Report:
        """A copy of ``report`` with ``analyzers`` run on its file (the report is unchanged);
        see :func:`share_guard.core.inspect.with_checks`."""

    @abstractmethod
    def export_one(self, planned: Planned, options: ExportOptions, progress: ProgressFn,
                   cancel: CancelToken | None) -> ExportResult:
        """:func:`share_guard.core.export.pipeline.export_one`: raises a ShareGuardError with
        a one-line reason, or returns the result (an error result when the reader died)."""

    def export_many(self, items: Sequence[Planned], options: ExportOptions,
                    progress: ProgressFn = no_progress,
                    cancel: CancelToken | None = None) -> Iterator[Outcome]:
        """:meth:`export_one` for each item, outcomes in input order: the result, or the
        error it raised (a ShareGuardError, OSError...). After a cancel every later item's
        outcome is :class:`Cancelled`. Runners may write several copies together."""
        n = max(len(items), 1)
        stopped = False
        for i, planned in enumerate(items):
            if stopped:
                yield Cancelled(N_("cancelled"))
                continue
            try:
                if cancel is not None:
                    cancel.check()
                yield self.export_one(planned, options, _scaled(progress, i, n), cancel)
            except Cancelled as exc:
                stopped = True
                yield exc
            except (ShareGuardError, OSError, ValueError, MemoryError) as exc:
                yield exc

    @abstractmethod
    def call(self, func: Callable[..., T], *args: Any, size: int = 0,
             cancel: CancelToken | None = None) -> T:
        """``func(*args)`` (a module-level function, e.g. decoding a preview) where files
        are read. Raises a ShareGuardError when it cannot complete safely."""

    def warm(self, n: int = 1) -> None:  # noqa: B027 - optional: nothing to start in-process
        """Get ready to read ``n`` files at once (start workers) before the first arrives."""

    def prepare(self) -> None:  # noqa: B027 - optional: nothing to start in-process
        """Start what reading files needs in the background (returns at once)."""

    def close(self) -> None:  # noqa: B027 - optional: nothing to stop in-process
        """Stop what it started; calls after this may fail."""


def _scaled(progress: ProgressFn, i: int, n: int) -> ProgressFn:
    """Item ``i`` of ``n``'s progress as progress of the whole."""
    return lambda f, t: progress((i + min(max(f, 0.0), 1.0)) / n, t)


def _with_progress(options: InspectOptions, progress: ProgressFn) -> InspectOptions:
    from dataclasses import replace

    return replace(options, progress=progress)
