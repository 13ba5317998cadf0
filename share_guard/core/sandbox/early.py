"""Start the sandbox's fork server first thing, before the command imports anything else.

The fork server imports what every task needs once (the workers fork from it already
loaded) while the command imports its own modules and walks folders; a worker imports the
container handler a file needs when the file comes (once per worker). This module imports
nothing of ours, so a command can call :func:`start_fork_server` before its own imports and
both proceed side by side.
"""

from __future__ import annotations

import os
import sys
import threading
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
    ensure_fork_server(context())


#: the fork server's (and so every worker's) malloc asks the kernel for transparent huge
#: pages (2 MB) for its large blocks: the face model's first run on a 12 MP photo touches
#: ~550 MB of fresh memory, and faulting it in 2 MB pages instead of 4 kB ones made that
#: run ~0.18 s shorter here (0.59 s instead of 0.77 s, medians of 6). A glibc tunable, read
#: when a process starts; elsewhere (musl, macOS, Windows) it means nothing.
HUGE_PAGES = "glibc.malloc.hugetlb=1"
_env_lock = threading.Lock()


def ensure_fork_server(ctx: Any) -> None:
    """Start ``ctx``'s fork server unless it runs (with :data:`HUGE_PAGES` in its
    environment only: this process's own environment is given back as it was)."""
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    with _env_lock:
        before = os.environ.get("GLIBC_TUNABLES")
        if before is None:
            os.environ["GLIBC_TUNABLES"] = HUGE_PAGES
        elif "glibc.malloc.hugetlb" not in before:
            os.environ["GLIBC_TUNABLES"] = f"{before}:{HUGE_PAGES}"
        try:
            forkserver.ensure_running()
        finally:
            if before is None:
                os.environ.pop("GLIBC_TUNABLES", None)
            else:
                os.environ["GLIBC_TUNABLES"] = before
