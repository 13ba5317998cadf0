"""Make untrusted metadata text safe to display.

A file's tags are attacker-controlled: they may hold control characters,
terminal escape sequences or Unicode bidi overrides that make a name read
backwards. Everything shown to a person goes through :func:`display_text`.
"""

from __future__ import annotations

import unicodedata

# Bidi embedding/override/isolate controls and other invisible formatting marks.
_BIDI_AND_INVISIBLE = set(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)


def display_text(value: object, limit: int = 200) -> str:
    """Return a single-line, printable rendering of ``value`` at most ``limit`` chars."""
    if isinstance(value, bytes):
        text = value.lstrip()[: limit * 4 + 4].decode("utf-8", "replace")
    else:
        text = str(value)
    # Only what can be shown is examined: a hostile 8 MB tag costs no more than a short one.
    text = text.lstrip()[: limit * 2 + 2]
    if text.isascii() and text.isprintable():  # the common case needs no per-character walk
        text = text.strip()
        return text if len(text) <= limit else text[: limit - 1] + "\u2026"
    out: list[str] = []
    for ch in text:
        if ch in _BIDI_AND_INVISIBLE:
            out.append("\ufffd")
            continue
        cat = unicodedata.category(ch)
        if ch in "\t\n\r":
            out.append(" ")
        elif cat in ("Cc", "Cs", "Co", "Cn") or cat == "Cf":
            out.append("\ufffd")
        else:
            out.append(ch)
    cleaned = "".join(out).strip()
    cleaned = " ".join(cleaned.split(" ")) if cleaned else cleaned
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "\u2026"
    return cleaned


def display_path(path: object) -> str:
    """A file name or path made safe for one line of output."""
    return display_text(str(path), limit=400)
