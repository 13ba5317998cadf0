"""Importing this imports every container handler (the isolation forkserver preloads it)."""

from share_guard.core.containers import all_handlers

all_handlers()
