"""Where a worker process starts: its limits and its entry point.

The parent names both when it starts a worker; this module is small so that naming them
does not load the worker's own modules in the parent (the fork server has them loaded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Hard limits for one worker task."""

    memory_bytes: int = 2 * 1024**3
    cpu_seconds: int = 600  # processor time per task: a backstop for spinning decoders...
    cpu_seconds_per_mb: float = 2.0  # ...plus this per MB of input (scanning, re-encoding video)
    parse_seconds: float = 8.0  # wall clock before the first progress report...
    bytes_per_second: float = 50e6  # ...plus this long per byte of input (copying big videos)
    idle_seconds: float = 120.0  # wall clock between progress reports once analysis runs
    total_seconds: float = 3600.0
    cancel_grace: float = 2.0  # after a cancel, seconds to let the worker clean up
    #: a worker is replaced after this many tasks, or sooner when it holds more than
    #: ``recycle_resident_bytes`` of memory after a task (measured where the system says:
    #: Linux). Counted alone, every 500 tasks: two new workers and their imports in a
    #: 580-file batch (an inspection and an export a file), 4% of its processor time.
    tasks_per_worker: int = 5000
    recycle_resident_bytes: int = 768 * 1024**2
    #: the most one message from a worker may hold (a report, a result): the parent's share
    #: of a file's work is bounded, so a file cannot make it hold gigabytes of findings
    reply_bytes: int = 64 * 1024**2


def worker_entry(conn: Any, cancel_event: Any, limits: Limits) -> None:
    """What a worker process runs: :func:`share_guard.core.sandbox.worker.worker_main`."""
    from share_guard.core.sandbox.worker import worker_main

    worker_main(conn, cancel_event, limits)
