"""The local takedown list: hashes only, stored in SQLite, matched before export.

Public API: :class:`TakedownStore` (lists and entries), :class:`Matcher`
(check a file), :func:`entries_for_file` (hash a file to add it),
:mod:`.exchange` (list files in and out) and :class:`TakedownAnalyzer`
(plugs into ``inspect``).
"""

from share_guard.core.takedown.analyzer import TakedownAnalyzer
from share_guard.core.takedown.hashfile import entries_for_file
from share_guard.core.takedown.match import Match, Matcher
from share_guard.core.takedown.store import Entry, NewEntry, TakedownStore

__all__ = ["Entry", "Match", "Matcher", "NewEntry", "TakedownAnalyzer", "TakedownStore",
           "entries_for_file"]
