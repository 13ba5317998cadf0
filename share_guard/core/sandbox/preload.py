"""What the sandbox's fork server loads once, before it forks workers: what every task needs.

The worker's loop with ``inspect()`` and the messages, ctypes (a worker limits itself with
it before it reads anything), the file-name patterns (every file's name is read) and the
takedown check (every engine sends it with each file); then what it loaded is frozen for
the cyclic collector (workers inherit it frozen). Not the container handlers: a worker
imports the one a file needs when the file comes (once per worker), so the first file does
not wait for every handler to load.
"""

import ctypes  # noqa: F401 - for the worker's hardening (sandbox/worker.py: _linux_extras)

from share_guard.core.metadata.filename import compile_patterns
from share_guard.core.sandbox import worker
from share_guard.core.takedown import analyzer

compile_patterns()
worker.fewer_collections()  # what is loaded is frozen once here, not in every worker

__all__ = ["analyzer", "worker"]
