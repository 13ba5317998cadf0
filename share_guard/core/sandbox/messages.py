"""What the parent and a sandbox worker say to each other: typed, picklable messages.

Parent -> worker: one :class:`Request` per batch of tasks (several small files travel
together; the caller's working folder, and its environment when it changed), or ``None`` to
stop. Worker -> parent, for each task in order: :class:`Started`, any number of
:class:`Progress`, then exactly one reply: :class:`Done`, :class:`Raised` (an error the core
raises in-process too) or :class:`Internal` (an exception the core did not turn into a
report: a bug). The copies of a batch of exports are published together, after the last
task (:class:`Publishing`), so their replies come then.

Each message is a named tuple (typed, immutable, picklable by name): a frozen dataclass
costs ten times as much to define, and this module loads before the first file is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from share_guard.core.inspect import InspectOptions
from share_guard.core.report import Report

if TYPE_CHECKING:  # only exports carry them (unpickling one imports the pipeline)
    from share_guard.core.export.pipeline import ExportOptions, Planned

# -- tasks (parent -> worker) ------------------------------------------------------------------


class InspectTask(NamedTuple):
    """``inspect(path)`` with the analyzers pickled once per set (``digest`` names the set)."""

    path: str | os.PathLike[str]
    options: InspectOptions  # without analyzers, progress and cancel (they cannot travel)
    analyzers: bytes
    digest: str

    @property
    def input(self) -> Path:
        return Path(self.path)


class CheckTask(NamedTuple):
    """Run more analyzers on the file a report describes (the evidence a gate needs)."""

    report: Report
    analyzers: bytes
    digest: str

    @property
    def input(self) -> Path:
        return self.report.path


class ExportTask(NamedTuple):
    """Write the clean copy of one planned file (consent was given in the parent)."""

    planned: Planned
    options: ExportOptions

    @property
    def input(self) -> Path:
        return self.planned.report.path


class CallTask(NamedTuple):
    """``func(*args)``: a module-level function of ours (e.g. decoding a preview)."""

    func: Callable[..., Any]
    args: tuple[Any, ...]

    @property
    def input(self) -> Path | None:
        found = next((a for a in self.args if isinstance(a, str | os.PathLike)), None)
        return Path(found) if found is not None else None


Task = InspectTask | CheckTask | ExportTask | CallTask


class Request(NamedTuple):
    tasks: tuple[Task, ...]  # exports only with exports (they are published together)
    cwd: str
    env: Mapping[str, str] | None  # None: as in the previous request to this worker


# -- replies (worker -> parent) ------------------------------------------------------------------


class Started(NamedTuple):
    """The worker begins the task at ``position`` in the request."""

    position: int


class Publishing(NamedTuple):
    """A batch of exports is written and verified; its copies are being synced and named."""


class Progress(NamedTuple):
    fraction: float
    text: str
    #: work done since the previous report (bytes read or written): the watchdog's allowance
    #: follows it, not the size a file claims
    work: int = 0


class Done(NamedTuple):
    value: Any
    network_attempts: int = 0
    position: int = 0  # of the task in the request


class Raised(NamedTuple):
    """An error the caller handles as it would in-process (Cancelled, a refused export...)."""

    error: BaseException
    network_attempts: int = 0
    position: int = 0  # of the task in the request


class Internal(NamedTuple):
    """An exception the core did not turn into a report or result: a bug, reported as such."""

    summary: str
    trace: str
    network_attempts: int = 0
    position: int = 0  # of the task in the request


Reply = Done | Raised | Internal
