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
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from share_guard.core.errors import Cancelled
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.sandbox import early
from share_guard.core.sandbox.entry import Limits, worker_entry
from share_guard.core.sandbox.messages import (
    Internal,
    Progress,
    Publishing,
    Reply,
    Request,
    Started,
    Task,
)

#: how a report or result that a worker could not finish begins (each is a whole sentence
#: where it is written, for translation)
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
    # Workers fork from a server that has already imported every container handler.
    return early.context()


class _Worker:
    def __init__(self, ctx: Any, limits: Limits) -> None:
        early.ensure_fork_server(ctx)  # (started here rather than by the first Process)
        self.conn, child = ctx.Pipe()
        self.cancel = ctx.Event()
        self.proc = ctx.Process(target=worker_entry, args=(child, self.cancel, limits),
                                name="share-guard-checker", daemon=True)
        self.proc.start()
        child.close()
        self.tasks = 0
        self.env: dict[str, str] | None = None  # the environment it was last sent

    def resident(self) -> int:
        """Bytes of memory the worker holds now (0 where the system does not say)."""
        try:
            with open(f"/proc/{self.proc.pid}/statm", "rb") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError, AttributeError):
            return 0

    def kill(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.proc.kill()
        self.proc.join(5)
        with contextlib.suppress(OSError):
            self.conn.close()

    def stop(self) -> None:
        self.ask_to_stop()
        self.stopped()

    def ask_to_stop(self) -> None:
        """Tell the worker to finish (it exits on its own)."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)

    def stopped(self) -> None:
        """Wait for a worker asked to stop (killed after a second)."""
        self.proc.join(1)
        if self.proc.is_alive():
            self.kill()
        with contextlib.suppress(OSError):
            self.conn.close()


class Dead(Exception):
    """The worker died or was killed; the message says why in plain words. ``index``: the
    task of the batch under way then (-1: none had started, or the copies were being
    published)."""

    def __init__(self, reason: str, index: int = -1) -> None:
        super().__init__(reason)
        self.index = index


class _Watch:
    """The watchdog's clock for one batch: each task gets ``parse_seconds`` plus time for
    the bytes of data it works on (not the size its file claims); progress renews the
    allowance (``idle_seconds``), up to ``total_seconds`` for the task."""

    def __init__(self, limits: Limits, sizes: Sequence[int]) -> None:
        self.limits, self.sizes = limits, sizes
        self.index = -1
        self.begun = time.monotonic()
        self.deadline = self.begun + limits.parse_seconds

    def _allow(self, data: int) -> None:
        lim = self.limits
        now = time.monotonic()
        self.begun = now
        self.deadline = now + lim.parse_seconds + data / lim.bytes_per_second

    def start(self, index: int) -> None:
        self.index = index
        self._allow(self.sizes[index] if 0 <= index < len(self.sizes) else 0)

    def publishing(self) -> None:
        self.index = -1
        self._allow(sum(self.sizes))

    def alive(self) -> None:
        lim = self.limits
        self.deadline = min(max(self.deadline, time.monotonic() + lim.idle_seconds),
                            self.begun + lim.total_seconds)

    def end(self, index: int) -> float:
        """Seconds the task ``index`` took (the next one starts its own clock)."""
        seconds = time.monotonic() - self.begun
        self.index = -1
        self._allow(0)
        return seconds

    def allowed(self, now: float) -> float:
        return now - self.begun


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
        self._warming = 0  # warm() calls under way: close() waits for them

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

    def _checkin(self, worker: _Worker, ok: bool, tasks: int = 1) -> None:
        worker.tasks += tasks
        recycle = (not ok or self._closed or worker.tasks >= self.limits.tasks_per_worker
                   or worker.resident() > self.limits.recycle_resident_bytes)
        if recycle:
            (worker.stop if ok else worker.kill)()
        with self._cond:
            if recycle:
                self._live -= 1
            else:
                self._idle.append(worker)
            self._cond.notify()

    def prepare(self) -> None:
        """Start the fork server now (it imports every handler while the caller goes on), so
        the first worker forks from a ready server. Returns at once; starts no worker, so a
        command that ends early leaves nothing starting behind it."""
        with self._cond:
            if self._closed:
                return
        early.start_fork_server()

    def warm(self, n: int = 1) -> None:
        """Start up to ``n`` workers now so the first file does not wait for one.

        Runs on a background thread while the command works: when the command finishes
        and closes the pool first, warming up stops, and :meth:`close` waits for a worker
        being started to be stopped again (a worker still starting when the command exits
        would find its parent's semaphores gone and print a traceback)."""
        with self._cond:
            if self._closed:
                return
            self._warming += 1
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
            with self._cond:
                self._warming -= 1
                self._cond.notify_all()

    def worker_pids(self) -> list[int]:
        """Process ids of the idle workers (tests look at their open sockets)."""
        with self._cond:
            return [w.proc.pid for w in self._idle if w.proc.pid is not None]

    def close(self, wait: float = 10.0) -> None:
        """Stop the workers; waits (up to ``wait`` seconds) for a warm-up under way."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._cond.notify_all()
        for worker in idle:  # all told first: they give their memory back side by side
            worker.ask_to_stop()
        for worker in idle:
            worker.stopped()
        deadline = time.monotonic() + wait
        with self._cond:
            while self._warming and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))

    # -- tasks
    def run(self, task: Task, *, size: int, progress: ProgressFn,
            cancel: CancelToken | None) -> Reply:
        """Send ``task`` to a worker and wait for its reply. Raises :class:`Dead` when the
        worker dies or the watchdog stops it, :class:`Cancelled` when cancelled."""
        replies: list[Reply] = []
        self.run_batch([task], sizes=[size], progress=lambda _i: progress, cancel=cancel,
                       on_reply=lambda _i, reply: replies.append(reply))
        return replies[0]

    def run_batch(self, tasks: Sequence[Task], *, sizes: Sequence[int],
                  progress: Callable[[int], ProgressFn], cancel: CancelToken | None,
                  on_reply: Callable[[int, Reply], None]) -> None:
        """Send ``tasks`` to one worker together; ``on_reply(i, reply)`` hears each reply as
        it comes. ``sizes`` are the bytes of data each works on (the watchdog's allowance:
        ``parse_seconds`` plus time for those bytes, renewed by progress). Raises
        :class:`Dead` (``index``: the task under way) when the worker dies or is stopped,
        :class:`Cancelled` when cancelled; tasks already answered keep their replies."""
        worker = self._checkout()
        worker.cancel.clear()
        ok = False
        watch = _Watch(self.limits, sizes)
        try:
            env = dict(os.environ)
            try:
                worker.conn.send(Request(tuple(tasks), os.getcwd(),
                                         env if env != worker.env else None))
            except OSError as exc:
                raise Dead(_death_reason(worker.proc.exitcode)) from exc
            worker.env = env
            answered = 0
            while answered < len(tasks):
                msg = self._next(worker, watch, cancel)
                if isinstance(msg, Started):
                    watch.start(msg.position)
                elif isinstance(msg, Publishing):
                    watch.publishing()
                elif isinstance(msg, Progress):
                    watch.alive()
                    with contextlib.suppress(Exception):
                        progress(watch.index)(msg.fraction, msg.text)
                else:
                    answered += 1
                    self._finished(watch.end(msg.position))
                    with self._cond:
                        self.stats.network_attempts += msg.network_attempts
                    on_reply(msg.position, msg)
            ok = True
        finally:
            self._checkin(worker, ok, len(tasks))

    def _finished(self, seconds: float) -> None:
        with self._cond:
            self.stats.tasks += 1
            self.stats.max_task_seconds = max(self.stats.max_task_seconds, seconds)

    def _next(self, worker: _Worker, watch: _Watch, cancel: CancelToken | None) -> Any:
        """The worker's next message, or :class:`Dead`/:class:`Cancelled`."""
        lim = self.limits
        cancel_at: float | None = None
        while True:
            now = time.monotonic()
            deadline = watch.deadline
            if cancel_at is not None:
                deadline = min(deadline, cancel_at + lim.cancel_grace)
            if now >= deadline:
                worker.kill()
                if cancel_at is not None:
                    raise Cancelled(N_("cancelled"))
                with self._cond:
                    self.stats.timeouts += 1
                    self.stats.tasks += 1
                raise Dead(message(N_("it took longer than {watch} s"),
                                   watch=f"{watch.allowed(now):.0f}"), watch.index)
            wait = deadline - now
            if cancel is not None and cancel_at is None:
                wait = min(wait, 0.05)
            if worker.conn.poll(wait):
                try:
                    data = worker.conn.recv_bytes(lim.reply_bytes)
                except OSError as exc:
                    if "message length" not in str(exc):
                        raise self._crashed(worker, watch) from None
                    worker.kill()  # the rest of its message cannot be read: it goes
                    with self._cond:
                        self.stats.tasks += 1
                    size = (f"{lim.reply_bytes // 2**20} MB" if lim.reply_bytes >= 2**20
                            else f"{lim.reply_bytes // 1024} KB")
                    raise Dead(message(N_("it sent back more than {size} about the file (far "
                                          "too many findings)"), size=size),
                               watch.index) from None
                except EOFError:
                    raise self._crashed(worker, watch) from None
                return pickle.loads(data)  # noqa: S301 - our own worker's message
            if cancel is not None and cancel_at is None and cancel.cancelled:
                worker.cancel.set()
                cancel_at = time.monotonic()

    def _crashed(self, worker: _Worker, watch: _Watch) -> Dead:
        worker.proc.join(2)
        with self._cond:
            self.stats.crashes += 1
            self.stats.tasks += 1
        return Dead(_death_reason(worker.proc.exitcode), watch.index)

    def internal(self, path: object, reply: Internal) -> str:
        """Count and log a bug a worker reported; the one-line reason for the caller."""
        with self._cond:
            self.stats.internal_errors += 1
            self.stats.events.append(f"{path}: internal error {reply.summary}\n{reply.trace}")
        return message(N_("could not be checked safely: internal error ({summary})"),
                       summary=reply.summary)

    def note(self, path: object, reason: str) -> None:
        with self._cond:
            self.stats.events.append(f"{path}: {reason}")
