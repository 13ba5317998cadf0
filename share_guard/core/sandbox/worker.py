"""The worker-process side of :mod:`share_guard.core.sandbox.pool`.

A worker limits itself (address space, processor time, no core dumps, no inet
sockets), then answers batches of tasks from its parent until the parent goes away
(:mod:`.messages`): inspect a path, run more checks on a report, export planned items
(published together at the end of the batch), or call one of our functions. What one file
computed is forgotten before the next (:func:`~share_guard.core.containers.content_memo.forget_all`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import signal
import sys
import time
import traceback
import warnings
from typing import Any

from share_guard.core.containers.content_memo import forget_all
from share_guard.core.errors import Cancelled, ShareGuardError
from share_guard.core.filesize import data_bytes
from share_guard.core.inspect import Analyzer, inspect, with_checks
from share_guard.core.progress import CancelToken
from share_guard.core.sandbox.entry import Limits as Limits
from share_guard.core.sandbox.messages import (
    CallTask,
    CheckTask,
    Done,
    ExportTask,
    InspectTask,
    Internal,
    Progress,
    Publishing,
    Raised,
    Reply,
    Request,
    Started,
    Task,
)


class _EventCancel(CancelToken):
    """A CancelToken backed by the parent's multiprocessing Event."""

    def __init__(self, event: Any) -> None:
        self._event = event


def _harden(limits: Limits) -> None:
    """Limits the worker process puts on itself before it touches any file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(2**26))
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the watchdog still applies
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = limits.memory_bytes if hard == resource.RLIM_INFINITY else min(hard, limits.memory_bytes)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if sys.platform.startswith("linux"):
        _linux_extras()


def _linux_extras() -> None:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the parent
        # One malloc arena per thread reserves 64 MiB of address space each; with
        # RLIMIT_AS that would starve decoders that use threads.
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def _input_mb(task: Task) -> float:
    """Bytes of data (holes of a sparse file not counted) in the file a task works on, in
    MB (0 when unknown)."""
    try:
        path = task.input
        return data_bytes(path) / 1e6 if path is not None else 0.0
    except (OSError, TypeError, ValueError):
        return 0.0


def _set_cpu_budget(seconds: int) -> None:
    try:
        import resource
    except ImportError:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    with contextlib.suppress(ValueError, OSError):
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        soft = used + seconds
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


_net_attempts = 0


def _network_guard(event: str, args: tuple[Any, ...]) -> None:
    """Audit hook: the checker has no business with the network (rule 5)."""
    global _net_attempts
    if event == "socket.__new__":
        import socket

        family = args[1] if len(args) > 1 else None
        if family in (getattr(socket, "AF_UNIX", 1), -1, None):
            return
    elif event not in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
                       "socket.gethostbyname_ex"):
        return
    _net_attempts += 1
    raise PermissionError("network access is disabled in the share_guard checker")


class _Sender:
    """Progress from the worker to the parent, at most ~20 messages a second.

    Progress also re-arms the processor-time budget (every few seconds): the budget is a
    backstop for a decoder spinning without reporting, and a long video face scan or
    redaction that keeps reporting is working, not spinning. The parent's wall-clock
    watchdog (idle and total limits) still bounds it.
    """

    REARM_SECONDS = 5.0

    def __init__(self, conn: Any, cpu_seconds: int | None = None) -> None:
        self.conn, self.last = conn, 0.0
        self.cpu_seconds, self.armed = cpu_seconds, time.monotonic()

    def __call__(self, fraction: float, text: str) -> None:
        now = time.monotonic()
        if self.cpu_seconds is not None and \
                now - self.armed >= min(self.REARM_SECONDS, self.cpu_seconds / 4):
            self.armed = now
            _set_cpu_budget(self.cpu_seconds)
        if now - self.last >= 0.05 or fraction >= 1.0:
            self.last = now
            self.conn.send(Progress(float(fraction), str(text)[:200]))


def _bare(exc: BaseException) -> BaseException:
    """The error without its traceback and chain: they would keep the task's objects
    (open files, scratch files) alive while the worker waits for the next task."""
    exc.__cause__ = exc.__context__ = None
    return exc.with_traceback(None)


class _Analyzers:
    """Analyzer sets unpickled once per worker (a set is named by its digest)."""

    def __init__(self) -> None:
        self._sets: dict[str, list[Analyzer]] = {}

    def get(self, digest: str, blob: bytes) -> list[Analyzer]:
        if digest not in self._sets:
            if len(self._sets) > 4:
                self._sets.clear()
            self._sets[digest] = pickle.loads(blob)  # noqa: S301 - from our own parent
        return self._sets[digest]


def _perform(task: Task, analyzers: _Analyzers, progress: _Sender, cancel: CancelToken) -> Any:
    if isinstance(task, InspectTask):
        options = dataclasses.replace(task.options, analyzers=analyzers.get(task.digest, task.analyzers),
                                      progress=progress, cancel=cancel)
        return inspect(task.path, options)
    if isinstance(task, CheckTask):
        return with_checks(task.report, analyzers.get(task.digest, task.analyzers), progress, cancel)
    if isinstance(task, CallTask):
        return task.func(*task.args)
    raise TypeError(f"unknown task {type(task).__name__}")


def _internal(exc: BaseException) -> Internal:
    return Internal(f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=8))


def _answer(task: Task, analyzers: _Analyzers, progress: _Sender, cancel: CancelToken) -> Reply:
    """One task's reply (exports are answered by :func:`_exports`)."""
    try:
        return Done(_perform(task, analyzers, progress, cancel))
    except Cancelled as exc:
        return Raised(_bare(exc))
    except (ShareGuardError, OSError, ValueError, MemoryError) as exc:
        # the engine turns these into a refusal/error for the file, as in-process; from
        # inspect() or a check (an analyzer) they would have been a traceback: a bug
        return Raised(_bare(exc)) if isinstance(task, CallTask) else _internal(exc)
    except Exception as exc:  # noqa: BLE001 - in-process this would be a traceback: a bug
        return _internal(exc)


def _exports(tasks: tuple[ExportTask, ...], conn: Any, limits: Limits,
             cancel: CancelToken) -> list[Reply]:
    """Export every task, then publish the copies together; one reply per task."""
    senders: list[_Sender] = []

    def started(i: int) -> None:
        forget_all()
        budget = _cpu_budget(tasks[i], limits)
        _set_cpu_budget(budget)
        senders.append(_Sender(conn, budget))
        conn.send(Started(i))

    try:
        from share_guard.core.export.batch import export_batch  # (exports only: not preloaded)

        outcomes = export_batch([t.planned for t in tasks], tasks[0].options,
                                lambda i: senders[i], cancel, started=started,
                                publishing=lambda: conn.send(Publishing()))
    except Cancelled as exc:
        return [Raised(_bare(exc)) for _ in tasks]
    except Exception as exc:  # noqa: BLE001 - a bug outside any one file's export
        return [_internal(exc) for _ in tasks]
    replies: list[Reply] = []
    for outcome in outcomes:
        if not isinstance(outcome, BaseException):
            replies.append(Done(outcome))
        elif isinstance(outcome, ShareGuardError | OSError | ValueError | MemoryError):
            replies.append(Raised(_bare(outcome)))
        else:
            replies.append(Internal(f"{type(outcome).__name__}: {outcome}",
                                    "".join(traceback.format_exception(outcome, limit=8))))
    return replies


def _cpu_budget(task: Task, limits: Limits) -> int:
    return limits.cpu_seconds + int(_input_mb(task) * limits.cpu_seconds_per_mb)


def _send(conn: Any, reply: Reply) -> bool:
    """Send one reply (pickled here, so a reply that cannot travel becomes an Internal)."""
    try:
        data = pickle.dumps(reply)
    except Exception as exc:  # noqa: BLE001
        data = pickle.dumps(Internal(f"result could not be sent back: {exc}",
                                     traceback.format_exc(limit=4), reply.network_attempts,
                                     reply.position))
    try:
        conn.send_bytes(data)
    except OSError:
        return False
    return True


#: the cyclic collector runs after this many new container objects (Python's default: 700).
#: Walkers make many short-lived objects that form no cycles; at 700 a batch spent ~20% of its
#: time in collections that found nothing (5.05 s instead of 6.25 s for a 58-file folder).
GC_THRESHOLD = (50_000, 20, 20)


def fewer_collections() -> None:
    """What is imported stays (frozen: never scanned again); collect far less often."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def _follow_tmpdir() -> None:
    """tempfile picks its folder once: have it pick again, from the caller's TMPDIR (not
    loaded yet, it reads TMPDIR when it is; the fork server does not load it for us)."""
    if "tempfile" in sys.modules:
        import tempfile

        tempfile.tempdir = None


def worker_main(conn: Any, cancel_event: Any, limits: Limits) -> None:
    """Entry point of a worker process: answer tasks until the parent goes away."""
    _harden(limits)
    sys.addaudithook(_network_guard)
    warnings.simplefilter("ignore")  # decoder chatter about hostile data; reports say what matters
    # Handlers are imported as files need them (a worker pays each import once); the fork
    # server preloaded only what every task needs (early.PRELOAD).
    fewer_collections()
    analyzers = _Analyzers()
    cancel = _EventCancel(cancel_event)
    while True:
        try:
            request: Request | None = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        if request.env is not None:
            os.environ.clear()
            os.environ.update(request.env)
            _follow_tmpdir()
        with contextlib.suppress(OSError):
            os.chdir(request.cwd)
        before = _net_attempts
        tasks = request.tasks
        replies: list[Reply]
        if tasks and all(isinstance(t, ExportTask) for t in tasks):
            replies = _exports(tasks, conn, limits, cancel)  # type: ignore[arg-type]
        else:
            replies = []
            for i, task in enumerate(tasks):
                forget_all()
                budget = _cpu_budget(task, limits)
                _set_cpu_budget(budget)
                conn.send(Started(i))
                reply = _answer(task, analyzers, _Sender(conn, budget), cancel)
                if not _send(conn, reply._replace(position=i,
                                                  network_attempts=_net_attempts - before)):
                    return
                before = _net_attempts
            forget_all()
            continue
        forget_all()
        for i, reply in enumerate(replies):
            attempts = _net_attempts - before if i == 0 else 0
            if not _send(conn, reply._replace(position=i, network_attempts=attempts)):
                return
