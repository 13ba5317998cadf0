"""Work on one translation catalog (po/<lang>.po) as JSON, for translators and reviewers.

    python packaging/po_tool.py todo LANG [--all]   # unfinished entries (or all) as JSON
    python packaging/po_tool.py fill LANG FILE.json # put translations from FILE.json in
    python packaging/po_tool.py stats LANG          # translated / fuzzy / untranslated

An entry is keyed ``"<context>|<English>"`` (context empty for most); its value is the
translation, or a list of the language's plural forms for a counted message (the catalog's
Plural-Forms header says how many). ``fill`` checks that every ``{field}`` of the English
is kept and refuses the file otherwise (nothing is written).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "po"
FIELD = re.compile(r"\{\w*(?:![rsa])?(?::[^{}]*)?\}")


def key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt or ''}|{entry.msgid}"


def catalog(lang: str) -> polib.POFile:
    return polib.pofile(str(PO / f"{lang}.po"), wrapwidth=0)


def todo(lang: str, everything: bool = False) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for e in catalog(lang):
        if e.obsolete or (not everything and e.translated() and "fuzzy" not in e.flags):
            continue
        item: dict[str, object] = {"key": key(e)}
        if e.msgid_plural:
            item["plural"] = e.msgid_plural
        notes = " ".join(x for x in (e.comment, e.tcomment) if x)
        if notes:
            item["note"] = notes
        if everything:
            item["now"] = [e.msgstr_plural[i] for i in sorted(e.msgstr_plural)] \
                if e.msgid_plural else e.msgstr
        out.append(item)
    return out


def _fields(text: str) -> list[str]:
    return sorted(FIELD.findall(text))


def fill(lang: str, path: Path) -> list[str]:
    po = catalog(lang)
    forms = int(re.search(r"nplurals\s*=\s*(\d+)",
                          po.metadata.get("Plural-Forms", "nplurals=2")).group(1))  # type: ignore[union-attr]
    given: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    by_key = {key(e): e for e in po if not e.obsolete}
    problems: list[str] = []
    for k, value in given.items():
        entry = by_key.get(k)
        if entry is None:
            problems.append(f"not in the catalog: {k[:80]!r}")
            continue
        if entry.msgid_plural:
            if not (isinstance(value, list) and len(value) == forms and all(
                    isinstance(v, str) and v for v in value)):
                problems.append(f"{k[:60]!r}: needs a list of {forms} plural forms")
                continue
            want = set(_fields(entry.msgid_plural)) | set(_fields(entry.msgid))
            for v in value:
                if not set(_fields(v)) <= want or (FIELD.search(entry.msgid_plural) and
                                                   "{n}" in entry.msgid_plural and "{n}" not in v
                                                   and forms > 1 and v is value[-1]):
                    problems.append(f"{k[:60]!r}: fields {_fields(v)} do not match the English")
        else:
            if not (isinstance(value, str) and value):
                problems.append(f"{k[:60]!r}: needs a text")
                continue
            if _fields(value) != _fields(entry.msgid):
                problems.append(f"{k[:60]!r}: fields {_fields(value)} != {_fields(entry.msgid)}")
    if problems:
        return problems
    for k, value in given.items():
        entry = by_key[k]
        if entry.msgid_plural:
            entry.msgstr_plural = dict(enumerate(value))  # type: ignore[arg-type]
        else:
            entry.msgstr = value  # type: ignore[assignment]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    return []


def stats(lang: str) -> str:
    po = catalog(lang)
    return (f"{lang}: {len(po.translated_entries())} translated, {len(po.fuzzy_entries())} "
            f"fuzzy, {len(po.untranslated_entries())} untranslated")


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] not in ("todo", "fill", "stats"):
        print(__doc__)
        return 2
    command, lang = argv[1], argv[2]
    if command == "todo":
        print(json.dumps(todo(lang, "--all" in argv), ensure_ascii=False, indent=1))
    elif command == "fill":
        problems = fill(lang, Path(argv[3]))
        for p in problems:
            print(p)
        if problems:
            return 1
        print(stats(lang))
    else:
        print(stats(lang))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
