"""A few warm worker processes with hard limits, and the watchdog that stops them.

share_guard opens files that strangers sent; :class:`WorkerPool` runs the tasks of
:class:`~share_guard.core.sandbox.sandboxed.SandboxRunner` (typed messages,
:mod:`.messages`) in worker processes:

* address space capped (``RLIMIT_AS``, 2 GiB), processor time capped per task
  (``RLIMIT_CPU``), no core dumps, inet sockets refused by an audit hook;
* a wall-clock watchdog in the parent: a task that reports no progress in time
  is killed (``parse_seconds`` plus time for the file's size, ``idle_seconds``
  between progress reports once analyzers run);
* a worker that dies or is killed raises :class:`Dead` with the reason in plain words;
  the caller turns it into a "could not be checked safely" report or result and the
  batch goes on with a fresh worker.

Workers come from the "forkserver" context on Linux (cheap restarts, safe in a
threaded GUI) and "spawn" elsewhere; limits apply where the platform has them.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from share_guard.core.errors import Cancelled
from share_guard.core.export.safeio import TEMP_PREFIX, TEMP_SUFFIX
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.sandbox.messages import Internal, Progress, Reply, Request, Task
from share_guard.core.sandbox.worker import Limits, worker_main

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


class Dead(Exception):
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


class WorkerPool:
    """A few warm worker processes; thread-safe (the GUI calls it from worker threads)."""

    def __init__(self, size: int | None = None, limits: Limits | None = None) -> None:
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
                    raise RuntimeError("the sandbox is closed")
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
    def run(self, task: Task, *, size: int, progress: ProgressFn,
            cancel: CancelToken | None, writes_in: Path | None = None) -> Reply:
        """Send ``task`` to a worker and wait for its reply. Raises :class:`Dead` when the
        worker dies or the watchdog stops it, :class:`Cancelled` when cancelled."""
        lim = self.limits
        worker = self._checkout()
        start = time.monotonic()
        worker.cancel.clear()
        ok = False
        try:
            try:
                worker.conn.send(Request(task, os.getcwd(), dict(os.environ)))
            except OSError as exc:
                raise Dead(_death_reason(worker.proc.exitcode)) from exc
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
              probe: Callable[[], int] | None = None) -> Reply:
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
                raise Dead(f"it took longer than {deadline - start:.0f} s")
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
                    raise Dead(_death_reason(worker.proc.exitcode)) from None
                if isinstance(msg, Progress):
                    idle_deadline = max(idle_deadline, time.monotonic() + lim.idle_seconds)
                    with contextlib.suppress(Exception):
                        progress(msg.fraction, msg.text)
                    continue
                reply: Reply = msg
                with self._cond:
                    self.stats.network_attempts += reply.network_attempts
                return reply
            if cancel is not None and cancel_at is None and cancel.cancelled:
                worker.cancel.set()
                cancel_at = time.monotonic()

    def internal(self, path: object, reply: Internal) -> str:
        """Count and log a bug a worker reported; the one-line reason for the caller."""
        with self._cond:
            self.stats.internal_errors += 1
            self.stats.events.append(f"{path}: internal error {reply.summary}\n{reply.trace}")
        return f"{UNSAFE}: internal error ({reply.summary})"

    def note(self, path: object, reason: str) -> None:
        with self._cond:
            self.stats.events.append(f"{path}: {reason}")
