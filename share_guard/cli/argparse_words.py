"""The standard library's argparse in the language chosen: its headings ("usage:",
"options"), its -h line and its usage errors.

argparse looks its words up with ``gettext.gettext`` in the default domain, where none of
ours are; its module-level ``_`` is pointed at our catalog instead (looked up at each call,
so English stays English). The words are marked here, as argparse writes them (Python 3.11
to 3.13: a word another version spells differently stays in English, nothing breaks).
"""

from __future__ import annotations

import argparse
import re

from share_guard.core.i18n import N_, translated

_FIELD = r"%(?:\([^)]*\))?[#0 +-]?\d*(?:\.\d+)?[a-zA-Z%]"

WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    # Translators: argparse's words: keep %s, %(value)r and the like as they are
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("%(prog)s: error: %(message)s\n"),
)


def word(text: str) -> str:
    """``text`` translated, unless the translation lost or changed one of argparse's
    ``%`` fields (it formats them after: a wrong one would raise in the middle of an error)."""
    out = translated(text)
    if out == text:  # English, or no translation: nothing to check (nor to compile)
        return text
    return out if sorted(re.findall(_FIELD, out)) == sorted(re.findall(_FIELD, text)) else text


def translate_argparse() -> None:
    """argparse's words through our catalog from now on (this process)."""
    argparse._ = word  # type: ignore[attr-defined]
