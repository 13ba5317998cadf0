"""Inspect and clean untrusted files in worker processes with hard limits.

share_guard opens files that strangers sent. The front ends (CLI, GUI) call
the functions here instead of :func:`share_guard.core.inspect.inspect` and
:func:`share_guard.core.export.pipeline.export_files`; the signatures are the same.
Untrusted bytes are then parsed only in a small pool of warm worker processes:

* address space capped (``RLIMIT_AS``, 2 GiB), processor time capped per task
  (``RLIMIT_CPU``), no core dumps, inet sockets refused by an audit hook;
* a wall-clock watchdog in the parent: a task that reports no progress in time
  is killed (``parse_seconds`` plus time for the file's size, ``idle_seconds``
  between progress reports once analyzers run);
* a worker that dies or is killed yields a "could not be checked safely"
  Report / ExportResult for that file; the batch goes on with a fresh worker,
  and temp files the dead worker left in the destination folder are removed.

Consent stays in the parent: the worker inspects (parent: plan + consent),
then the worker strips, verifies and writes each planned item.
Workers come from the "forkserver" context on Linux (cheap restarts, safe in a
threaded GUI) and "spawn" elsewhere; limits apply where the platform has them.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from share_guard.core.errors import Cancelled, ShareGuardError
from share_guard.core.export.consent import ConsentHook, refuse
from share_guard.core.export.pipeline import ExportOptions, ExportResult, Planned, export_files
from share_guard.core.export.safeio import TEMP_PREFIX, TEMP_SUFFIX, remove_stale_temps
from share_guard.core.inspect import InspectOptions
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Report
from share_guard.core.sandbox.worker import Limits, worker_main

T = TypeVar("T")
UNSAFE = "could not be checked safely"
UNSAFE_CLEAN = "could not be cleaned safely"


@dataclass
class PoolStats:
    """What the pool saw; the hostile-file tests assert on these."""

    tasks: int = 0
    crashes: int = 0  # a worker died on its own (signal, abort, memory)
    timeouts: int = 0  # the watchdog killed a worker
    internal_errors: int = 0  # an exception the core did not turn into a report (a bug)
    network_attempts: int = 0  # inet sockets or name lookups refused in a worker
    workers_started: int = 0
    max_task_seconds: float = 0.0
    events: list[str] = field(default_factory=list)  # one line per crash/timeout/error


# --------------------------------------------------------------------------- parent side


def _context() -> Any:
    if sys.platform.startswith("linux") and "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # Workers fork from a server that has already imported every container handler.
        ctx.set_forkserver_preload([__name__, "share_guard.core.sandbox.worker",
                                    "share_guard.core.containers._preload",
                                    "share_guard.core.export.pipeline"])
        return ctx
    return mp.get_context("spawn")


class _Worker:
    def __init__(self, ctx: Any, limits: Limits) -> None:
        self.conn, child = ctx.Pipe()
        self.cancel = ctx.Event()
        self.proc = ctx.Process(target=worker_main, args=(child, self.cancel, limits),
                                name="share-guard-checker", daemon=True)
        self.proc.start()
        child.close()
        self.tasks = 0

    def kill(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.proc.kill()
        self.proc.join(5)
        with contextlib.suppress(OSError):
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.proc.join(1)
        if self.proc.is_alive():
            self.kill()
        with contextlib.suppress(OSError):
            self.conn.close()


def _temp_growth(folder: Path, pid: int | None) -> Callable[[], int]:
    """Bytes the worker ``pid`` has written to its temp files in ``folder`` so far."""
    pattern = f"{TEMP_PREFIX}{pid}-*{TEMP_SUFFIX}"

    def probe() -> int:
        total = 0
        with contextlib.suppress(OSError):
            for temp in folder.glob(pattern):
                with contextlib.suppress(OSError):
                    total += temp.stat().st_size
        return total

    return probe


class CheckFailed(ShareGuardError):
    """An isolated call could not complete safely (the message is a one-line reason)."""


class _Dead(Exception):
    """The worker died or was killed; the message says why in plain words."""


def _death_reason(exitcode: int | None) -> str:
    sig = -exitcode if exitcode is not None and exitcode < 0 else None
    if sig == getattr(signal, "SIGXCPU", -1):
        return "it took too much processor time"
    if sig == signal.SIGKILL:
        return "the checker was stopped (probably out of memory)"
    if sig in (signal.SIGSEGV, getattr(signal, "SIGBUS", -1), signal.SIGABRT):
        return "a decoder crashed on it"
    return f"the checker stopped unexpectedly (exit status {exitcode})"


class IsolationPool:
    """A few warm worker processes; thread-safe (the GUI calls it from worker threads)."""

    def __init__(self, size: int | None = None, limits: Limits | None = None) -> None:
        from share_guard.core.analysis import detect_cache

        detect_cache.ensure_session_key()  # workers get it with each task's environment
        self.size = max(1, size or min(2, os.cpu_count() or 1))
        self.limits = limits or Limits()
        self.stats = PoolStats()
        self._ctx = _context()
        self._idle: list[_Worker] = []
        self._live = 0
        self._cond = threading.Condition()
        self._closed = False

    # -- worker management
    def _checkout(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the isolation pool is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.proc.is_alive():
                        return worker
                    worker.kill()
                    self._live -= 1
                if self._live < self.size:
                    self._live += 1
                    break
                self._cond.wait()
        try:
            worker = _Worker(self._ctx, self.limits)
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise
        with self._cond:
            self.stats.workers_started += 1
        return worker

    def _checkin(self, worker: _Worker, ok: bool) -> None:
        worker.tasks += 1
        recycle = not ok or worker.tasks >= self.limits.tasks_per_worker or self._closed
        if recycle:
            (worker.stop if ok else worker.kill)()
        with self._cond:
            if recycle:
                self._live -= 1
            else:
                self._idle.append(worker)
            self._cond.notify()

    def warm(self, n: int = 1) -> None:
        """Start up to ``n`` workers now so the first file does not wait for one.

        Runs on a background thread while the command works: when the command finishes
        and closes the pool first, warming up simply stops (nothing is printed)."""
        workers: list[_Worker] = []
        try:
            for _ in range(min(n, self.size)):
                workers.append(self._checkout())
        except RuntimeError:
            if not self._closed:
                raise
        finally:
            for worker in workers:
                self._checkin(worker, True)

    def worker_pids(self) -> list[int]:
        """Process ids of the idle workers (tests look at their open sockets)."""
        with self._cond:
            return [w.proc.pid for w in self._idle if w.proc.pid is not None]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            worker.stop()

    # -- one task
    def _run(self, kind: str, payload: Any, *, size: int, progress: ProgressFn,
             cancel: CancelToken | None, writes_in: Path | None = None) -> tuple[Any, ...]:
        lim = self.limits
        worker = self._checkout()
        start = time.monotonic()
        worker.cancel.clear()
        ok = False
        try:
            try:
                worker.conn.send((kind, payload, os.getcwd(), dict(os.environ)))
            except OSError as exc:
                raise _Dead(_death_reason(worker.proc.exitcode)) from exc
            probe = _temp_growth(writes_in, worker.proc.pid) if writes_in is not None else None
            reply = self._wait(worker, start, start + lim.parse_seconds + size / lim.bytes_per_second,
                               progress, cancel, probe)
            ok = True
            return reply
        finally:
            elapsed = time.monotonic() - start
            with self._cond:
                self.stats.tasks += 1
                self.stats.max_task_seconds = max(self.stats.max_task_seconds, elapsed)
            self._checkin(worker, ok)

    def _wait(self, worker: _Worker, start: float, idle_deadline: float, progress: ProgressFn,
              cancel: CancelToken | None,
              probe: Callable[[], int] | None = None) -> tuple[Any, ...]:
        lim = self.limits
        total_deadline = start + lim.total_seconds
        cancel_at: float | None = None
        written = 0
        while True:
            now = time.monotonic()
            if probe is not None:
                grown = probe()  # an export copying a big file to a slow disk is progressing
                if grown > written:
                    written = grown
                    idle_deadline = max(idle_deadline, now + lim.idle_seconds)
            deadline = min(idle_deadline, total_deadline)
            if cancel_at is not None:
                deadline = min(deadline, cancel_at + lim.cancel_grace)
            if now >= deadline:
                worker.kill()
                if cancel_at is not None:
                    raise Cancelled("cancelled")
                with self._cond:
                    self.stats.timeouts += 1
                raise _Dead(f"it took longer than {deadline - start:.0f} s")
            wait = deadline - now
            if cancel is not None and cancel_at is None:
                wait = min(wait, 0.05)
            if probe is not None:
                wait = min(wait, 0.5)
            if worker.conn.poll(wait):
                try:
                    msg = worker.conn.recv()
                except (EOFError, OSError):
                    worker.proc.join(2)
                    with self._cond:
                        self.stats.crashes += 1
                    raise _Dead(_death_reason(worker.proc.exitcode)) from None
                if msg[0] == "progress":
                    idle_deadline = max(idle_deadline, time.monotonic() + lim.idle_seconds)
                    with contextlib.suppress(Exception):
                        progress(msg[1], msg[2])
                    continue
                with self._cond:
                    self.stats.network_attempts += int(msg[-1])
                return msg[:-1]
            if cancel is not None and cancel_at is None and cancel.cancelled:
                worker.cancel.set()
                cancel_at = time.monotonic()

    def _internal(self, path: object, reply: tuple[Any, ...]) -> str:
        with self._cond:
            self.stats.internal_errors += 1
            self.stats.events.append(f"{path}: internal error {reply[1]}\n{reply[2]}")
        return f"{UNSAFE}: internal error ({reply[1]})"

    def _note(self, path: object, reason: str) -> None:
        with self._cond:
            self.stats.events.append(f"{path}: {reason}")

    # -- public API (same shapes as core.inspect / core.sanitize)
    def inspect(self, path: str | os.PathLike[str], options: InspectOptions | None = None) -> Report:
        opts = options or InspectOptions()
        try:
            blob = pickle.dumps(list(opts.analyzers))
        except Exception as exc:  # noqa: BLE001
            raise TypeError(f"analyzers cannot be sent to the isolated checker: {exc}") from exc
        digest = hashlib.sha256(blob).hexdigest()
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        try:
            # the options travel without what cannot cross a process boundary
            plain = dataclasses.replace(opts, analyzers=(), progress=no_progress, cancel=None)
            reply = self._run("inspect", (path, plain, blob, digest), size=size,
                              progress=opts.progress, cancel=opts.cancel)
        except _Dead as dead:
            self._note(path, str(dead))
            return Report(path=Path(path), size=size, error=f"{UNSAFE}: {dead}")
        if reply[0] == "raise":
            raise reply[1]
        if reply[0] == "internal":
            return Report(path=Path(path), size=size, error=self._internal(path, reply))
        report: Report = reply[1]
        return report

    def inspect_many(self, paths: Sequence[str | os.PathLike[str]],
                     options: InspectOptions | None = None) -> list[Report]:
        """Inspect several files at once across the pool; results in input order."""
        opts = options or InspectOptions()
        if len(paths) <= 1 or self.size == 1:
            return [self.inspect(p, opts) for p in paths]
        lock = threading.Lock()
        done = [0]
        n = len(paths)

        def one(path: str | os.PathLike[str]) -> Report:
            def progress(fraction: float, text: str) -> None:
                with lock:
                    opts.progress((done[0] + min(fraction, 1.0)) / n, text)

            report = self.inspect(path, dataclasses.replace(opts, progress=progress))
            with lock:
                done[0] += 1
            return report

        with ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="sg-isolate") as ex:
            return list(ex.map(one, paths))

    def export_one(self, p: Planned, opts: ExportOptions, progress: ProgressFn,
                   cancel: CancelToken | None) -> ExportResult:
        """:func:`share_guard.core.export.pipeline.export_one`, run in a worker."""
        assert p.dest is not None
        child_opts = dataclasses.replace(opts, inspect_options=InspectOptions(), gates=(),
                                         transforms=(), file_transforms={})
        existed = os.path.lexists(p.dest)
        try:
            size = os.stat(p.report.path).st_size
        except OSError:
            size = 0
        try:
            reply = self._run("export", (p, child_opts), size=size, progress=progress,
                              cancel=cancel, writes_in=p.dest.parent)
        except (_Dead, Cancelled) as exc:
            # The worker is gone: remove what it left (temp files; an output it
            # had just published counts as not written, since we cannot vouch for it).
            remove_stale_temps(opts.data_dir, [p.dest.parent])
            if not existed:
                with contextlib.suppress(OSError):
                    if os.path.isfile(p.dest) and not os.path.islink(p.dest):
                        os.unlink(p.dest)
            if isinstance(exc, Cancelled):
                raise
            self._note(p.report.path, str(exc))
            return ExportResult(p.report.path, "error", before=p.report,
                                reason=f"{UNSAFE_CLEAN}: {exc}; nothing was written")
        if reply[0] == "raise":
            raise reply[1]
        if reply[0] == "internal":
            return ExportResult(p.report.path, "error", before=p.report,
                                reason=self._internal(p.report.path, reply))
        result: ExportResult = reply[1]
        return result

    def call(self, func: Callable[..., T], *args: Any, size: int = 0,
             cancel: CancelToken | None = None) -> T:
        """Run ``func(*args)`` (a module-level function; picklable arguments and result) in a
        worker under the same limits, e.g. decoding a preview of an untrusted file.

        Raises :class:`CheckFailed` (a ShareGuardError) when the worker dies, times out or the
        function raises; :class:`Cancelled` when cancelled.
        """
        try:
            reply = self._run("call", (func, args), size=size, progress=no_progress, cancel=cancel)
        except _Dead as dead:
            raise CheckFailed(f"{UNSAFE}: {dead}") from None
        if reply[0] == "raise":
            raise reply[1]
        if reply[0] == "internal":
            raise CheckFailed(f"{UNSAFE}: {reply[1]}")
        result: T = reply[1]
        return result

    def export_files(self, paths: Sequence[str | os.PathLike[str]],
                     options: ExportOptions | None = None, consent: ConsentHook = refuse,
                     progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
                     reports: Sequence[Report] | None = None) -> list[ExportResult]:
        """:func:`share_guard.core.export.pipeline.export_files` with parsing and writing in workers."""
        opts = options or ExportOptions()
        if reports is None:
            inspect_opts = dataclasses.replace(
                opts.inspect_options, cancel=cancel,
                progress=lambda f, t: progress(0.3 * min(f, 1.0), t))
            reports = self.inspect_many(paths, inspect_opts)
        return export_files(paths, opts, consent, progress, cancel, reports=reports,
                            run_one=self.export_one, parallel=self.size)


# --------------------------------------------------------------------------- module API

_default: IsolationPool | None = None
_default_lock = threading.Lock()


def default_pool() -> IsolationPool:
    """The process-wide pool (created on first use, closed at exit)."""
    global _default
    with _default_lock:
        if _default is None or _default._closed:
            _default = IsolationPool()
            atexit.register(_default.close)
        return _default


def isolated_inspect(path: str | os.PathLike[str], options: InspectOptions | None = None) -> Report:
    """Like :func:`share_guard.core.inspect.inspect`, parsed in an isolated worker."""
    return default_pool().inspect(path, options)


def isolated_inspect_many(paths: Sequence[str | os.PathLike[str]],
                          options: InspectOptions | None = None) -> list[Report]:
    return default_pool().inspect_many(paths, options)


def isolated_call(func: Callable[..., T], *args: Any, size: int = 0,
                  cancel: CancelToken | None = None) -> T:
    """``func(*args)`` in an isolated worker (see :meth:`IsolationPool.call`)."""
    return default_pool().call(func, *args, size=size, cancel=cancel)


def isolated_export_files(paths: Sequence[str | os.PathLike[str]],
                          options: ExportOptions | None = None, consent: ConsentHook = refuse,
                          progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
                          reports: Sequence[Report] | None = None) -> list[ExportResult]:
    """Like :func:`share_guard.core.export.pipeline.export_files`; consent is asked here, in the caller."""
    return default_pool().export_files(paths, options, consent, progress, cancel, reports)

