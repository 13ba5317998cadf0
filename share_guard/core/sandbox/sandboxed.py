"""The default runner: every read of an untrusted file happens in a limited worker process.

Results are the same as in-process (reports, results and errors cross the process boundary
as typed messages). A worker that dies or is stopped costs one file: its report says
"could not be checked safely", its export "could not be cleaned safely; nothing was
written", and the temp files it left in the destination folder are removed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from share_guard.core.errors import Cancelled, ShareGuardError
from share_guard.core.export.pipeline import ExportOptions, ExportResult, ExportStatus, Planned
from share_guard.core.export.safeio import remove_stale_temps
from share_guard.core.inspect import Analyzer, InspectOptions
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Report
from share_guard.core.sandbox.base import Runner
from share_guard.core.sandbox.messages import (
    CallTask,
    CheckTask,
    Done,
    ExportTask,
    InspectTask,
    Internal,
    Raised,
    Reply,
)
from share_guard.core.sandbox.pool import UNSAFE, UNSAFE_CLEAN, Dead, PoolStats, WorkerPool
from share_guard.core.sandbox.worker import Limits

T = TypeVar("T")


class CheckFailed(ShareGuardError):
    """A sandboxed call could not complete safely (the message is a one-line reason)."""


def _size(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _pickled(analyzers: Sequence[Analyzer]) -> tuple[bytes, str]:
    try:
        blob = pickle.dumps(list(analyzers))
    except Exception as exc:  # noqa: BLE001
        raise TypeError(f"analyzers cannot be sent to the sandbox: {exc}") from exc
    return blob, hashlib.sha256(blob).hexdigest()


class SandboxRunner(Runner):
    """Reads files in :class:`~share_guard.core.sandbox.pool.WorkerPool` workers."""

    isolated = True

    def __init__(self, size: int | None = None, limits: Limits | None = None) -> None:
        from share_guard.core.analysis import detect_cache

        detect_cache.ensure_session_key()  # workers get it with each task's environment
        self.pool = WorkerPool(size, limits)

    @property
    def parallel(self) -> int:
        return self.pool.size

    @property
    def stats(self) -> PoolStats:
        return self.pool.stats

    @property
    def limits(self) -> Limits:
        return self.pool.limits

    def worker_pids(self) -> list[int]:
        return self.pool.worker_pids()

    def warm(self, n: int = 1) -> None:
        self.pool.warm(n)

    def close(self) -> None:
        self.pool.close()

    # -- reading
    def inspect(self, path: str | os.PathLike[str], options: InspectOptions | None = None) -> Report:
        options = options or InspectOptions()
        blob, digest = _pickled(options.analyzers)
        size = _size(path)
        # the options travel without what cannot cross a process boundary
        plain = dataclasses.replace(options, analyzers=(), progress=no_progress, cancel=None)
        try:
            reply = self.pool.run(InspectTask(path, plain, blob, digest), size=size,
                                  progress=options.progress, cancel=options.cancel)
        except Dead as dead:
            self.pool.note(path, str(dead))
            return Report(path=Path(path), size=size, error=f"{UNSAFE}: {dead}")
        if isinstance(reply, Internal):
            return Report(path=Path(path), size=size, error=self.pool.internal(path, reply))
        report: Report = self._value(reply)
        return report

    def inspect_many(self, paths: Sequence[str | os.PathLike[str]],
                     options: InspectOptions | None = None) -> list[Report]:
        """Several files at once across the workers; results in input order."""
        options = options or InspectOptions()
        if len(paths) <= 1 or self.pool.size == 1:
            return super().inspect_many(paths, options)
        lock = threading.Lock()
        done = [0]
        n = len(paths)

        def one(path: str | os.PathLike[str]) -> Report:
            def progress(fraction: float, text: str) -> None:
                with lock:
                    options.progress((done[0] + min(fraction, 1.0)) / n, text)

            report = self.inspect(path, dataclasses.replace(options, progress=progress))
            with lock:
                done[0] += 1
            return report

        with ThreadPoolExecutor(max_workers=self.pool.size, thread_name_prefix="sg-sandbox") as ex:
            return list(ex.map(one, paths))

    def with_checks(self, report: Report, analyzers: Sequence[Analyzer],
                    progress: ProgressFn = no_progress,
                    cancel: CancelToken | None = None) -> Report:
        blob, digest = _pickled(analyzers)
        try:
            reply = self.pool.run(CheckTask(report, blob, digest), size=report.size,
                                  progress=progress, cancel=cancel)
        except Dead as dead:
            self.pool.note(report.path, str(dead))
            return dataclasses.replace(report, error=f"{UNSAFE}: {dead}")
        if isinstance(reply, Internal):
            return dataclasses.replace(report, error=self.pool.internal(report.path, reply))
        checked: Report = self._value(reply)
        return checked

    def export_one(self, planned: Planned, options: ExportOptions, progress: ProgressFn,
                   cancel: CancelToken | None) -> ExportResult:
        dest = planned.dest
        if dest is None:
            raise ValueError("export_one needs a planned destination")
        existed = os.path.lexists(dest)
        try:
            reply = self.pool.run(ExportTask(planned, options), size=_size(planned.report.path),
                                  progress=progress, cancel=cancel, writes_in=dest.parent)
        except (Dead, Cancelled) as exc:
            # The worker is gone: remove what it left (temp files; an output it
            # had just published counts as not written, since we cannot vouch for it).
            remove_stale_temps(options.data_dir, [dest.parent])
            if not existed:
                with contextlib.suppress(OSError):
                    if os.path.isfile(dest) and not os.path.islink(dest):
                        os.unlink(dest)
            if isinstance(exc, Cancelled):
                raise
            self.pool.note(planned.report.path, str(exc))
            return ExportResult(planned.report.path, ExportStatus.ERROR, before=planned.report,
                                reason=f"{UNSAFE_CLEAN}: {exc}; nothing was written")
        if isinstance(reply, Internal):
            return ExportResult(planned.report.path, ExportStatus.ERROR, before=planned.report,
                                reason=self.pool.internal(planned.report.path, reply))
        result: ExportResult = self._value(reply)
        return result

    def call(self, func: Callable[..., T], *args: Any, size: int = 0,
             cancel: CancelToken | None = None) -> T:
        """Raises :class:`CheckFailed` when the worker dies, times out or hits a bug;
        :class:`Cancelled` when cancelled; the function's own ShareGuardError/OSError."""
        try:
            reply = self.pool.run(CallTask(func, args), size=size, progress=no_progress,
                                  cancel=cancel)
        except Dead as dead:
            raise CheckFailed(f"{UNSAFE}: {dead}") from None
        if isinstance(reply, Internal):
            raise CheckFailed(f"{UNSAFE}: {reply.summary}")
        value: T = self._value(reply)
        return value

    @staticmethod
    def _value(reply: Reply) -> Any:
        if isinstance(reply, Raised):
            raise reply.error
        if isinstance(reply, Done):
            return reply.value
        raise TypeError(f"unexpected reply {type(reply).__name__}")
