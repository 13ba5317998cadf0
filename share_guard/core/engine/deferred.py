"""Analyzers made where they run: the process that sends files to the sandbox only names them.

The face and code analyzers' module loads numpy (and, to look, the face model's runtime).
The parent never runs them: it holds a :class:`Deferred`, which has the analyzer's name,
travels to the worker as that name and the place to find it, and makes the analyzer there
on the first file it looks at (then keeps it). In-process it does the same, later.

The first file's warm-up makes it on a thread of its own: loading numpy takes a tenth of a
second, which the file's metadata and the takedown check use meanwhile.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from share_guard.core.containers.base import Source
    from share_guard.core.inspect import Analyzer
    from share_guard.core.progress import CancelToken, ProgressFn
    from share_guard.core.report import Finding, Report


class Deferred:
    """``module.factory()`` made on first use, known by ``name`` (the analyzer's own name)."""

    def __init__(self, name: str, module: str, factory: str) -> None:
        self.name = name
        self.module, self.factory = module, factory
        self._made: Analyzer | None = None
        self._lock = threading.Lock()

    def made(self) -> Analyzer:
        """The analyzer itself (importing its module; made once, whoever asks first)."""
        with self._lock:
            if self._made is None:
                made: Analyzer = getattr(importlib.import_module(self.module), self.factory)()
                self._made = made
            return self._made

    def analyze(self, src: Source, report: Report, progress: ProgressFn,
                cancel: CancelToken | None) -> Iterable[Finding]:
        return self.made().analyze(src, report, progress, cancel)

    def warm_up(self, kind: str) -> None:
        """Let the analyzer start its slow set-up (the face model) once the file's kind is
        known, as the analyzer itself would; returns at once. (A failure to make it is left
        for :meth:`analyze` to raise.)"""

        def warm() -> None:
            try:
                made = self.made()
            except Exception:  # noqa: BLE001,S110 - analyze() makes it again and says why
                return
            warm_up = getattr(made, "warm_up", None)
            if warm_up is not None:
                warm_up(kind)

        if self._made is not None:
            warm()
        else:
            threading.Thread(target=warm, name=f"make-{self.name}", daemon=True).start()

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "factory": self.factory}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"], state["module"], state["factory"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"Deferred({self.module}.{self.factory})"


def get_ready(analyzers: Sequence[Analyzer], kind: str = "image") -> None:
    """Make ``analyzers`` and let each finish its slow set-up in this process (``ready``:
    the face model loaded), returning when they have: what a worker does while the app
    waits for its first file."""
    for analyzer in analyzers:
        made = analyzer.made() if isinstance(analyzer, Deferred) else analyzer
        ready = getattr(made, "ready", None)
        if ready is not None:
            ready(kind)
