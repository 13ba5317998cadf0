"""Results of costly checks remembered by the content they were computed from.

A clean copy is read three times before it is published (the strip that writes it, the
re-inspection and the byte proof), and most of its coded blocks are the original's bytes:
a check of a block (where an LZW or Deflate stream ends) is computed once per process and
found again by a digest of the block, never by where it lies or what file it came from.
A sandbox worker forgets every memo after each file (:func:`forget_all`): what one file
computed never answers for another, and a worker's memory does not grow with the batch.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_MISSING = object()
_ALL: weakref.WeakSet[ContentMemo[Any]] = weakref.WeakSet()


def forget_all() -> None:
    """Empty every memo of this process."""
    for memo in list(_ALL):
        memo.clear()


class ContentMemo(Generic[T]):
    """At most ``size`` results of ``compute(block, key)``, oldest dropped first.
    Exceptions of the types in ``errors`` are remembered and raised again."""

    def __init__(self, size: int, errors: tuple[type[Exception], ...]) -> None:
        self.size, self.errors = size, errors
        self._lock = threading.Lock()
        self._found: dict[tuple[bytes, int], T | Exception] = {}
        _ALL.add(self)

    def get(self, block: bytes, key: int, compute: Callable[[bytes, int], T]) -> T:
        # sha256: the fastest collision-resistant digest here (processors hash it natively)
        digest = (hashlib.sha256(block).digest(), key)
        with self._lock:
            found = self._found.get(digest, _MISSING)
        if found is _MISSING:
            try:
                found = compute(block, key)
            except self.errors as exc:
                found = exc
            with self._lock:
                if len(self._found) >= self.size:
                    self._found.pop(next(iter(self._found)))
                self._found[digest] = found
        if isinstance(found, Exception):
            raise type(found)(*found.args)
        return found  # type: ignore[return-value]

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
