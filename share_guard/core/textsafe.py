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


#: characters Windows (and exFAT/FAT memory cards) refuse in a file name, besides controls
_NOT_IN_NAMES = set('<>:"/\\|?*')
#: names Windows reserves for devices, whatever the extension ("CON.jpg" opens the console)
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                       *(f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3")})


def safe_name_part(text: str) -> str:
    """``text`` (part of a file name, perhaps holding undecodable bytes as surrogates) with
    every character a name should not carry replaced by "_": controls (escape, newline),
    bidi and invisible marks, bytes that were not UTF-8, and what Windows refuses."""
    if text.isascii() and text.isprintable() and not _NOT_IN_NAMES.intersection(text):
        return text
    out = []
    for ch in text:
        bad = (ch in _BIDI_AND_INVISIBLE or ch in _NOT_IN_NAMES
               or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
        out.append("_" if bad else ch)
    return "".join(out)


def safe_file_name(stem: str, tail: str) -> str:
    """The name ``stem + tail`` made safe to create and to show: characters replaced
    (:func:`safe_name_part`), no leading dash (a command would read it as an option), dot
    (hidden) or space, no trailing dot or space, and no Windows device name."""
    stem = safe_name_part(stem).lstrip(" ")
    if stem[:1] in ("-", "."):
        stem = "_" + stem[1:]
    name = (stem + safe_name_part(tail)).rstrip(". ")
    base = name.split(".", 1)[0].rstrip(" ").upper()
    if base in _RESERVED:
        name = "_" + name
    return name
