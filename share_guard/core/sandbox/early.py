"""Start the sandbox's fork server first thing, before the command imports anything else.

The fork server imports what every task needs once (the workers fork from it already
loaded) while the command imports its own modules and walks folders; a worker imports the
container handler a file needs when the file comes (once per worker). This module imports
nothing of ours, so a command can call :func:`start_fork_server` before its own imports and
both proceed side by side.
"""

from __future__ import annotations

import sys
from typing import Any

#: what the fork server imports before it forks the first worker: what every task needs
#: (see the module); not the container handlers (each file needs one)
PRELOAD = ["share_guard.core.sandbox.preload"]


def context() -> Any:
    """The multiprocessing context workers come from: "forkserver" (preloaded) on Linux,
    "spawn" elsewhere."""
    import multiprocessing as mp

    if sys.platform.startswith("linux") and "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return mp.get_context("spawn")


def start_fork_server() -> None:
    """Start the fork server (it loads the handlers in its own time); returns at once."""
    ctx = context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
