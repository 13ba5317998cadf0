"""Plain progress callbacks and a cancel flag: the core's only link to a front end.

The GUI turns these into Qt signals; the CLI into nothing or a line of text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from share_guard.core.errors import Cancelled
from share_guard.core.i18n import N_

#: progress(fraction 0..1, short text)
ProgressFn = Callable[[float, str], None]


def no_progress(fraction: float, text: str) -> None:  # noqa: ARG001
    return None


class CancelToken:
    """A thread-safe flag a long task checks between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled(N_("cancelled"))
