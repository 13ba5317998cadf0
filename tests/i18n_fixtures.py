"""Catalogs made in the test: a pseudo-translation of every marked string (so a test can tell
a translated text from an English one without depending on a shipped language), written as
a real .mo file that the standard library's gettext reads."""

from __future__ import annotations

import re
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

import i18n as workflow  # noqa: E402 - packaging/i18n.py

_FIELD = re.compile(r"(\{\w*(?:![rsa])?(?::[^{}]*)?\})")
MARK_OPEN, MARK_CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧ around every pseudo-translated text


def pseudo(text: str) -> str:
    """``text`` marked as translated: fixed words upper-cased inside ⟦ ⟧, fields kept."""
    parts = _FIELD.split(text)
    return MARK_OPEN + "".join(p if i % 2 else p.upper() for i, p in enumerate(parts)) \
        + MARK_CLOSE


def write_mo(path: Path, entries: dict[str, str], plural_forms: str) -> None:
    """A GNU .mo file (the format gettext reads: header, two tables of (length, offset))."""
    catalog = {"": f"Content-Type: text/plain; charset=UTF-8\nPlural-Forms: {plural_forms}\n"}
    catalog.update(entries)
    keys = sorted(catalog)
    ids = [k.encode() for k in keys]
    strs = [catalog[k].encode() for k in keys]
    start = 7 * 4 + 16 * len(keys)
    offsets: list[int] = []
    blob = b""
    for data in ids + strs:
        offsets.append(len(blob))
        blob += data + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, len(keys), 28, 28 + 8 * len(keys), 0, start)
    tables = b"".join(struct.pack("<2I", len(d), start + o) for d, o in zip(ids, offsets))
    tables += b"".join(struct.pack("<2I", len(d), start + o)
                       for d, o in zip(strs, offsets[len(ids):]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head + tables + blob)


def marked_entries(tmp: Path) -> list[tuple[str, str, str]]:
    """(context, msgid, msgid_plural) of every entry of the template, po/share_guard.pot
    (kept fresh by ``packaging/i18n.py update``; tests/test_i18n_catalogs.py fails when it is
    stale), so no gettext tool is needed here."""
    return sorted(workflow.msgids(workflow.POT))


def _unescape(s: str) -> str:
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
        "latin-1").decode("utf-8") if "\\" in s else s


def pseudo_locale(tmp: Path, code: str = "hi") -> Path:
    """A locale folder holding a pseudo-translated catalog for ``code``, of every string
    marked in the package (two plural forms: n == 1 and the rest)."""
    entries: dict[str, str] = {}
    for context, msgid, plural in marked_entries(tmp):
        msgid, plural = _unescape(msgid), _unescape(plural)
        key = f"{context}\x04{msgid}" if context else msgid
        if plural:
            entries[f"{key}\0{plural}"] = f"{pseudo(msgid)}\0{pseudo(plural)}"
        else:
            entries[key] = pseudo(msgid)
    folder = tmp / "locale"
    write_mo(folder / code / "LC_MESSAGES" / "share_guard.mo", entries,
             "nplurals=2; plural=(n != 1);")
    return folder
