"""Shared bits of the atheris harnesses: what a walker may raise, and the libFuzzer entry."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from share_guard.core.errors import ShareGuardError  # noqa: E402

#: what inspect() and the engine's export turn into a one-line reason; anything else is a crash
TOLERATED = (ShareGuardError, OSError, ValueError, MemoryError, RecursionError)


def run(test_one_input: Callable[[bytes], None]) -> None:
    """Hand ``test_one_input`` to libFuzzer (atheris); argv holds corpus folders and flags."""
    import atheris  # only the fuzzing run needs it: pip install atheris

    with atheris.instrument_imports():
        import share_guard.core.containers  # noqa: F401  (instrument the walkers)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
