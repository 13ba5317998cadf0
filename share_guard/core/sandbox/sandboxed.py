"""The default runner: every read of an untrusted file happens in a limited worker process.

Results are the same as in-process (reports, results and errors cross the process boundary
as typed messages). Small files travel to a worker several at a time (:func:`batches`: one
round trip, and for exports one publication, per batch); big ones alone. A worker that dies
or is stopped costs one file: its report says "could not be checked safely", its export
"could not be cleaned safely; nothing was written", the temp files it left in the
destination folder are removed, and the other files of its batch are done again, one by
one. Replies larger than ``MAX_REPLY`` bytes are refused (the parent's share of the work is
bounded: a file cannot make it hold gigabytes of findings).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from share_guard.core.errors import Cancelled, ShareGuardError
from share_guard.core.export.batch import Outcome
from share_guard.core.export.pipeline import ExportOptions, ExportResult, ExportStatus, Planned
from share_guard.core.export.safeio import remove_stale_temps
from share_guard.core.filesize import allocated_bytes
from share_guard.core.i18n import N_, message
from share_guard.core.inspect import Analyzer, InspectOptions
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Report
from share_guard.core.sandbox.base import Runner
from share_guard.core.sandbox.entry import Limits
from share_guard.core.sandbox.messages import (
    CallTask,
    CheckTask,
    Done,
    ExportTask,
    InspectTask,
    Internal,
    Raised,
    Reply,
    Task,
)
from share_guard.core.sandbox.pool import Dead, PoolStats, WorkerPool

if TYPE_CHECKING:
    from concurrent.futures import Future

#: files up to this many bytes of data travel to a worker with others...
SMALL_FILE = 4 << 20
#: ...up to this many files or bytes per batch
BATCH_FILES = 16
BATCH_BYTES = 16 << 20
#: batches sent ahead of the one whose results are being handed out, per worker
AHEAD = 2

T = TypeVar("T")


class CheckFailed(ShareGuardError):
    """A sandboxed call could not complete safely (the message is a one-line reason)."""


def _size(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def batches(sizes: Sequence[int], parallel: int) -> list[range]:
    """Consecutive runs of items to send together: small files (``sizes``: bytes of data)
    up to BATCH_FILES or BATCH_BYTES a batch, big files alone; batches stay small enough
    that every worker gets several (even work, steady progress)."""
    most = max(1, min(BATCH_FILES, -(-len(sizes) // (4 * max(parallel, 1)))))
    out: list[range] = []
    start = total = 0
    for i, size in enumerate(sizes):
        alone = size > SMALL_FILE
        if i > start and (alone or i - start >= most or total + size > BATCH_BYTES):
            out.append(range(start, i))
            start, total = i, 0
        total += size
        if alone:
            out.append(range(start, i + 1))
            start, total = i + 1, 0
    if start < len(sizes):
        out.append(range(start, len(sizes)))
    return out


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

    def prepare(self) -> None:
        self.pool.prepare()

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
            reply = self.pool.run(InspectTask(path, plain, blob, digest), size=allocated_bytes(path),
                                  progress=options.progress, cancel=options.cancel)
        except Dead as dead:
            self.pool.note(path, str(dead))
            return Report(path=Path(path), size=size,
                          error=message(N_("could not be checked safely: {why}"), why=dead))
        if isinstance(reply, Internal):
            return Report(path=Path(path), size=size, error=self.pool.internal(path, reply))
        report: Report = self._value(reply)
        return report

    def inspect_each(self, paths: Sequence[str | os.PathLike[str]],
                     options: InspectOptions | None = None) -> Iterator[Report]:
        """Several files in batches across the workers; reports in input order, each as soon
        as it and those before it are ready (a few batches are under way at a time)."""
        options = options or InspectOptions()
        if len(paths) <= 1:
            yield from super().inspect_each(paths, options)
            return
        blob, digest = _pickled(options.analyzers)
        plain = dataclasses.replace(options, analyzers=(), progress=no_progress, cancel=None)
        tasks = [InspectTask(path, plain, blob, digest) for path in paths]
        sizes = [allocated_bytes(path) for path in paths]

        def failed(i: int, reason: str) -> Report:
            return Report(path=Path(paths[i]), size=_size(paths[i]),
                          error=message(N_("could not be checked safely: {why}"), why=reason))

        def reply(i: int, r: Reply) -> Report:
            if isinstance(r, Internal):
                return Report(path=Path(paths[i]), size=_size(paths[i]),
                              error=self.pool.internal(paths[i], r))
            report: Report = self._value(r)
            return report

        yield from self._batched(tasks, sizes, options.progress, options.cancel, reply, failed,
                                 raise_cancel=True)

    def with_checks(self, report: Report, analyzers: Sequence[Analyzer],
                    progress: ProgressFn = no_progress,
                    cancel: CancelToken | None = None) -> Report:
        blob, digest = _pickled(analyzers)
        try:
            reply = self.pool.run(CheckTask(report, blob, digest), size=allocated_bytes(report.path),
                                  progress=progress, cancel=cancel)
        except Dead as dead:
            self.pool.note(report.path, str(dead))
            return dataclasses.replace(report, error=message(N_("could not be checked safely: {why}"),
                                                                     why=dead))
        if isinstance(reply, Internal):
            return dataclasses.replace(report, error=self.pool.internal(report.path, reply))
        checked: Report = self._value(reply)
        return checked

    def export_one(self, planned: Planned, options: ExportOptions, progress: ProgressFn,
                   cancel: CancelToken | None) -> ExportResult:
        [outcome] = self.export_many([planned], options, progress, cancel)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def export_many(self, items: Sequence[Planned], options: ExportOptions,
                    progress: ProgressFn = no_progress,
                    cancel: CancelToken | None = None) -> Iterator[Outcome]:
        """Copies written in batches across the workers (each batch published together);
        outcomes in input order."""
        if any(p.dest is None for p in items):
            raise ValueError("export_many needs planned destinations")
        tasks = [ExportTask(p, options) for p in items]
        sizes = [allocated_bytes(p.report.path) for p in items]

        def failed(i: int, reason: str) -> Outcome:
            return ExportResult(items[i].report.path, ExportStatus.ERROR, before=items[i].report,
                                reason=message(N_("could not be cleaned safely: {why}; nothing was written"),
                                               why=reason))

        def reply(i: int, r: Reply) -> Outcome:
            if isinstance(r, Internal):
                return ExportResult(items[i].report.path, ExportStatus.ERROR,
                                    before=items[i].report,
                                    reason=self.pool.internal(items[i].report.path, r))
            if isinstance(r, Raised):
                return r.error
            result: ExportResult = self._value(r)
            return result

        yield from self._batched(tasks, sizes, progress, cancel, reply, failed)

    # -- batches
    def _batched(self, tasks: Sequence[Task], sizes: Sequence[int], progress: ProgressFn,
                 cancel: CancelToken | None, reply: Callable[[int, Reply], T],
                 failed: Callable[[int, str], T], raise_cancel: bool = False) -> Iterator[T]:
        """Run ``tasks`` in batches on the workers; yield ``reply(i, r)`` for each in order
        (``failed(i, reason)`` for a task whose worker died or was stopped). After a cancel
        the later tasks' outcome is :class:`Cancelled`, raised when ``raise_cancel``."""
        n = len(tasks)
        lock = threading.Lock()
        done = [0]
        stop = threading.Event()

        def item_progress(i: int) -> ProgressFn:
            def report(fraction: float, text: str) -> None:
                with lock:
                    progress(min((done[0] + min(fraction, 1.0)) / max(n, 1), 1.0), text)
            return report

        def run(indices: Sequence[int]) -> list[T | BaseException]:
            if stop.is_set():
                return [Cancelled(N_("cancelled"))] * len(indices)
            try:
                out = self._run_batch(tasks, sizes, list(indices), item_progress, cancel, reply,
                                      failed)
            except Cancelled as exc:
                stop.set()
                return [exc] * len(indices)
            with lock:
                done[0] += len(indices)
            return out

        from concurrent.futures import ThreadPoolExecutor  # (loads logging: not for one file)

        groups = batches(sizes, self.pool.size)
        with ThreadPoolExecutor(max_workers=self.pool.size,
                                thread_name_prefix="sg-sandbox") as ex:
            pending: deque[Future[list[T | BaseException]]] = deque()
            queue = iter(groups)
            for group in queue:
                pending.append(ex.submit(run, group))
                if len(pending) >= AHEAD * self.pool.size:
                    break
            while pending:
                outcomes = pending.popleft().result()
                following = next(queue, None)
                if following is not None:
                    pending.append(ex.submit(run, following))
                for outcome in outcomes:
                    if isinstance(outcome, Cancelled) and raise_cancel:
                        raise outcome
                    yield outcome  # type: ignore[misc]

    def _run_batch(self, tasks: Sequence[Task], sizes: Sequence[int], indices: list[int],
                   progress: Callable[[int], ProgressFn], cancel: CancelToken | None,
                   reply: Callable[[int, Reply], T], failed: Callable[[int, str], T],
                   ) -> list[T | BaseException]:
        """One batch on one worker; when the worker dies, the task under way fails and the
        rest are run again one at a time (a second death costs only its own task)."""
        results: dict[int, T] = {}
        exports = [t for i in indices if isinstance(t := tasks[i], ExportTask)]
        existed = {t.planned.dest: os.path.lexists(t.planned.dest) for t in exports
                   if t.planned.dest is not None}

        def on_reply(k: int, r: Reply) -> None:
            results[indices[k]] = reply(indices[k], r)

        try:
            self.pool.run_batch([tasks[i] for i in indices], sizes=[sizes[i] for i in indices],
                                progress=lambda k: progress(indices[k]), cancel=cancel,
                                on_reply=on_reply)
        except (Dead, Cancelled) as exc:
            if exports:
                self._clean_up(exports, existed, results)
            if isinstance(exc, Cancelled):
                raise
            culprit = indices[exc.index] if exc.index >= 0 else (
                indices[0] if len(indices) == 1 else None)
            if culprit is not None:
                path = getattr(tasks[culprit].input, "name", "")
                self.pool.note(path, str(exc))
                results[culprit] = failed(culprit, str(exc))
            for i in indices:
                if i not in results:
                    [again] = self._run_batch(tasks, sizes, [i], progress, cancel, reply, failed)
                    results[i] = again  # type: ignore[assignment]
        return [results[i] for i in indices]

    def _clean_up(self, exports: list[ExportTask], existed: dict[Path, bool],
                  results: dict[int, Any]) -> None:
        """After a worker died or was stopped during exports: remove the temp files it left,
        and copies it published without telling (we cannot vouch for them)."""
        remove_stale_temps(exports[0].options.data_dir,
                           list(dict.fromkeys(t.planned.dest.parent for t in exports
                                              if t.planned.dest is not None)))
        if results:
            return  # its replies came after publishing: every copy was accounted for
        for task in exports:
            dest = task.planned.dest
            if dest is not None and not existed.get(dest, True):
                with contextlib.suppress(OSError):
                    if os.path.isfile(dest) and not os.path.islink(dest):
                        os.unlink(dest)

    def call(self, func: Callable[..., T], *args: Any, size: int = 0,
             cancel: CancelToken | None = None) -> T:
        """Raises :class:`CheckFailed` when the worker dies, times out or hits a bug;
        :class:`Cancelled` when cancelled; the function's own ShareGuardError/OSError."""
        try:
            reply = self.pool.run(CallTask(func, args), size=size, progress=no_progress,
                                  cancel=cancel)
        except Dead as dead:
            raise CheckFailed(message(N_("could not be checked safely: {why}"), why=dead)) from None
        if isinstance(reply, Internal):
            raise CheckFailed(message(N_("could not be checked safely: {why}"),
                                      why=reply.summary))
        value: T = self._value(reply)
        return value

    @staticmethod
    def _value(reply: Reply) -> Any:
        if isinstance(reply, Raised):
            raise reply.error
        if isinstance(reply, Done):
            return reply.value
        raise TypeError(f"unexpected reply {type(reply).__name__}")
