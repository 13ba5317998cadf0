"""Counts in words for the terminal, with real plurals ("1 file", "2 files"), and the
batch commands' closing summary lines (the counts come from ``core.engine.tally``)."""

from __future__ import annotations

from share_guard.core.engine.tally import Tally


def told(n: int, one: str, many: str) -> str:
    """"1 clean copy written" / "3 clean copies written": both forms are given whole."""
    return f"{n} {one if n == 1 else many}"


def refusals(tally: Tally) -> str:
    """": IMG_1.jpg: blocked: ...; 4 more" for the first few files that were not made."""
    if not tally.reasons:
        return ""
    shown = "; ".join(f"{r.name}: {r.reason}" for r in tally.reasons)
    more = f"; {told(tally.unlisted, 'more', 'more')}" if tally.unlisted else ""
    return f": {shown}{more}"
