"""The batch commands' closing summary lines' shared part (the counts come from
``core.engine.tally``); every count is said with ``ngettext`` (real plurals)."""

from __future__ import annotations

from share_guard.core.engine.tally import Tally
from share_guard.core.i18n import isolate, ngettext, translated


def refusals(tally: Tally) -> str:
    """": IMG_1.jpg: blocked: ...; 4 more" for the first few files that were not made."""
    if not tally.reasons:
        return ""
    shown = "; ".join(f"{isolate(r.name)}: {translated(r.reason)}" for r in tally.reasons)
    # Translators: after a list of files that were not made: how many more were not
    more = ngettext("; {n} more", "; {n} more", tally.unlisted) if tally.unlisted else ""
    return f": {shown}{more}"
