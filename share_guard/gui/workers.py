"""Run core calls on a QThreadPool; report back through Qt signals.

The core speaks plain callbacks (``ProgressFn``) and a ``CancelToken``; a
:class:`Job` turns those into signals delivered on the GUI thread. The
:class:`ConsentBridge` lets the export pipeline, running on a worker thread,
ask the GUI thread for consent and wait for the answer; :class:`ParentBridge`
does the same for a parent's passphrase (family protection).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal, Slot

from share_guard.core.errors import Cancelled, ShareGuardError
from share_guard.core.export.consent import ConsentAnswer, ConsentChannel, ConsentRequest
from share_guard.core.progress import CancelToken, ProgressFn

#: seconds between progress signals (the core may call progress thousands of times)
PROGRESS_INTERVAL = 0.05

Work = Callable[[ProgressFn, CancelToken], Any]


class JobSignals(QObject):
    """Every signal carries the job first, so one slot can serve many jobs.

    Connect them to methods of QObjects that live on the GUI thread (not to
    lambdas): Qt then queues each call onto the GUI thread.
    """

    progress = Signal(object, float, str)
    done = Signal(object, object)
    failed = Signal(object, str)
    cancelled = Signal(object)
    #: emitted last, whatever happened (after done/failed/cancelled)
    ended = Signal(object)


class Job(QRunnable):
    """One unit of work: ``work(progress, cancel)`` on a pool thread.

    Exactly one of ``done(result)``, ``failed(reason)`` or ``cancelled()`` is
    emitted, then ``ended``. Keep a reference to the job until ``ended``.
    """

    def __init__(self, work: Work, token: CancelToken | None = None, tag: Any = None) -> None:
        super().__init__()
        self.tag = tag  # what the job is about (an entry), for the receiver
        self.setAutoDelete(False)
        self.work = work
        self.token = token or CancelToken()
        self.signals = JobSignals()
        self._last = 0.0

    def cancel(self) -> None:
        self.token.cancel()

    def _progress(self, fraction: float, text: str) -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self.signals.progress.emit(self, max(0.0, min(1.0, float(fraction))), str(text))

    def run(self) -> None:
        try:
            if self.token.cancelled:
                raise Cancelled("cancelled")
            result = self.work(self._progress, self.token)
        except Cancelled:
            self.signals.cancelled.emit(self)
        except ShareGuardError as exc:
            self.signals.failed.emit(self, str(exc))
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die silently
            self.signals.failed.emit(self, " ".join(f"{type(exc).__name__}: {exc}".split())[:300])
        else:
            if self.token.cancelled:
                self.signals.cancelled.emit(self)
            else:
                self.signals.done.emit(self, result)
        self.signals.ended.emit(self)


class _Pending:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.answer: ConsentAnswer | None = None

    def reply(self, answer: ConsentAnswer) -> None:
        if not self.event.is_set():
            self.answer = answer
            self.event.set()


class ConsentBridge(QObject):
    """Carries a consent request from a worker thread to the GUI thread and the answer back.

    ``hook`` is the core's ``ConsentHook``: call it on a worker thread only.
    The GUI side receives ``requested(request, reply)`` and must call
    ``reply(ConsentAnswer)`` exactly once; cancelling the job (or no reply)
    counts as a refusal.
    """

    requested = Signal(object, object)

    def __init__(self, token: CancelToken, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._token = token
        self._pending: _Pending | None = None
        self.last_answer: ConsentAnswer | None = None

    def hook(self, request: ConsentRequest) -> ConsentAnswer:
        if threading.current_thread() is threading.main_thread():
            raise RuntimeError("the consent hook must run on a worker thread")
        pending = _Pending()
        self._pending = pending
        self.requested.emit(request, pending.reply)
        while not pending.event.wait(0.05):
            if self._token.cancelled:
                pending.reply(ConsentAnswer(False, via=ConsentChannel.DIALOG))
        self._pending = None
        self.last_answer = pending.answer or ConsentAnswer(False, via=ConsentChannel.DIALOG)
        return self.last_answer

    @Slot()
    def abandon(self) -> None:
        """Refuse a question still open (window closing)."""
        if self._pending is not None:
            self._pending.reply(ConsentAnswer(False, via=ConsentChannel.DIALOG))


class _PendingPassphrase:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.value: str | None = None

    def reply(self, value: str | None) -> None:
        if not self.event.is_set():
            self.value = value
            self.event.set()


class ParentBridge(QObject):
    """The core's ``ask_parent`` for a worker thread: the GUI answers ``requested``.

    The GUI side receives ``requested(message, reply)`` and calls ``reply(passphrase or
    None)`` once; a cancelled export or no answer counts as "no parent".
    """

    requested = Signal(str, object)

    def __init__(self, token: CancelToken, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._token = token
        self._pending: _PendingPassphrase | None = None

    def ask(self, message: str) -> str | None:
        if threading.current_thread() is threading.main_thread():
            raise RuntimeError("ask_parent must run on a worker thread")
        pending = _PendingPassphrase()
        self._pending = pending
        self.requested.emit(message, pending.reply)
        while not pending.event.wait(0.05):
            if self._token.cancelled:
                pending.reply(None)
        self._pending = None
        return pending.value

    @Slot()
    def abandon(self) -> None:
        if self._pending is not None:
            self._pending.reply(None)
