"""The local takedown list: hashes only, stored in SQLite, matched before export.

Public API: :class:`TakedownStore` (lists and entries), :class:`Matcher`
(check a file), :func:`entries_for_file` (hash a file to add it),
:mod:`.exchange` (list files in and out) and :class:`TakedownAnalyzer`
(plugs into ``inspect``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from share_guard.core.takedown.analyzer import TakedownAnalyzer
    from share_guard.core.takedown.hashfile import entries_for_file
    from share_guard.core.takedown.match import Match, Matcher
    from share_guard.core.takedown.store import Entry, NewEntry, TakedownStore

__all__ = ["Entry", "Match", "Matcher", "NewEntry", "TakedownAnalyzer", "TakedownStore",
           "entries_for_file"]

# Loaded on first use: hashing pulls in numpy, which the CLI should not pay for at start-up.
_WHERE = {"TakedownAnalyzer": "analyzer", "entries_for_file": "hashfile", "Match": "match",
          "Matcher": "match", "Entry": "store", "NewEntry": "store", "TakedownStore": "store"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
