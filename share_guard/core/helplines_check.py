"""Checking the helplines table (``share_guard/resources/help/helplines.json``) before anyone
reads it: every entry has its scope (age, countries, kinds of image), a way to reach it that a
person can use (https addresses, plausible phone numbers), and either the date and page it was
checked against or ``"verified": false`` with the reason; every sentence exists in English and
every translation keeps the English text's ``{placeholders}``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

WORLD = "*"  # an entry for people anywhere
AGES = ("adults", "under-18", "taken-under-18", "images-under-18", "young", "any")
KINDS = ("intimate", "sextortion", "under-18", "harassment", "cybercrime")
CONTACT_KINDS = ("web", "phone", "whatsapp", "email")
FALLBACK = "en"

#: labels every table must carry (a dotted path into "labels"), each a Texts
LABELS = ("note", "sections.local", "sections.no_local", "sections.international",
          "sections.elsewhere", "women", "places.*", "places.one", "kinds_intro", "languages",
          "checked", "unverified",
          *(f"ages.{a}" for a in AGES), *(f"kinds.{k}" for k in KINDS),
          *(f"contacts.{c}" for c in CONTACT_KINDS))
#: labels that are not whole sentences (headings, list items, field names)
_FRAGMENTS = ("sections.local", "sections.international", "sections.elsewhere",
              *(f"kinds.{k}" for k in KINDS), *(f"contacts.{c}" for c in CONTACT_KINDS))

_PHONE = re.compile(r"\+?[0-9][0-9 -]*[0-9]")
_EMAIL = re.compile(r"[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CODE = re.compile(r"[A-Z]{2}")


def label(labels: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` ("ages.adults") of the labels, or None."""
    node: Any = labels
    head, _, rest = path.partition(".")
    node = node.get(head) if isinstance(node, Mapping) else None
    if rest and isinstance(node, Mapping):
        return node.get(rest)
    return None if rest else node


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _texts_problem(texts: Any, where: str, *, sentence: bool = True) -> str | None:
    if not isinstance(texts, Mapping) or not texts.get(FALLBACK):
        return f"{where} has no English text"
    if not all(isinstance(v, str) and v.strip() for v in texts.values()):
        return f"{where} has an empty translation"
    try:
        fields = _fields(texts[FALLBACK])
        if any(_fields(v) != fields for v in texts.values()):
            return f"{where}: a translation has other {{placeholders}} than the English"
    except ValueError:
        return f"{where} has a broken {{placeholder}}"
    if sentence and not texts[FALLBACK].rstrip().endswith((".", "!", "?")):
        return f"{where} is not a whole sentence"
    return None


def _date_problem(value: Any, where: str, latest: date | None = None) -> str | None:
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return f"{where} is not a date (YYYY-MM-DD)"
    if day.year < 2000 or (latest and day > latest):
        return f"{where} is out of range"
    return None


def _contact_problem(c: Any, where: str) -> str | None:
    if not isinstance(c, Mapping) or c.get("kind") not in CONTACT_KINDS:
        return f"{where} has no known kind ({', '.join(CONTACT_KINDS)})"
    value = c.get("value")
    if not isinstance(value, str):
        return f"{where} has no value"
    if c["kind"] == "web":
        parts = urlsplit(value)
        if parts.scheme != "https" or "." not in parts.netloc or " " in value or "@" in parts.netloc:
            return f"{where}: {value!r} is not an https address"
    elif c["kind"] == "email":
        if not _EMAIL.fullmatch(value):
            return f"{where}: {value!r} is not an e-mail address"
    elif not _PHONE.fullmatch(value) or not 3 <= sum(ch.isdigit() for ch in value) <= 15:
        return f"{where}: {value!r} is not a plausible phone number"
    if "note" in c:
        return _texts_problem(c["note"], f"{where} note")
    return None


def _entry_problems(e: Any, i: int, table: Mapping[str, Any], latest: date | None) -> list[str]:
    if not isinstance(e, Mapping):
        return [f"entry {i} is not an object"]
    where = f"entry {e.get('id') or i}"
    out: list[str] = []
    for key in ("id", "name", "organisation"):
        if not isinstance(e.get(key), str) or not e[key].strip():
            out.append(f"{where} has no {key}")
    countries = e.get("countries")
    if not isinstance(countries, list) or not countries:
        out.append(f"{where} has no countries (scope)")
    else:
        for code in countries:
            if code != WORLD and not (isinstance(code, str) and _CODE.fullmatch(code)):
                out.append(f"{where}: {code!r} is not a country code")
            elif code != WORLD and code not in table["countries"]:
                out.append(f"{where}: country {code} has no name in 'countries'")
        if WORLD in countries and len(countries) > 1:
            out.append(f"{where} is both international and national")
    if e.get("age") not in AGES:
        out.append(f"{where} has no age scope ({', '.join(AGES)})")
    kinds = e.get("kinds")
    if not isinstance(kinds, list) or not kinds or not set(kinds) <= set(KINDS):
        out.append(f"{where} has no kinds of image, or an unknown one ({', '.join(KINDS)})")
    summary = _texts_problem(e.get("summary"), f"{where} summary")
    out += [summary] if summary else []
    contacts = e.get("contacts")
    if not isinstance(contacts, list) or not contacts:
        out.append(f"{where} has no way to reach it")
    else:
        out += [p for n, c in enumerate(contacts) if (p := _contact_problem(c, f"{where} contact {n}"))]
    for code in e.get("languages", []):
        if code not in table["language_names"]:
            out.append(f"{where}: language {code!r} has no name in 'language_names'")
    checked = _date_problem(e.get("checked"), f"{where} checked", latest)
    out += [checked] if checked else []
    if "source_dated" in e and (p := _date_problem(e["source_dated"], f"{where} source_dated", latest)):
        out.append(p)
    source = e.get("source")
    if source is not None and _contact_problem({"kind": "web", "value": source}, f"{where} source"):
        out.append(f"{where}: source {source!r} is not an https address")
    if e.get("verified") is True:
        if not source:
            out.append(f"{where} is verified but names no source page")
    elif e.get("verified") is False:
        reason = e.get("unverified_reason")
        if not isinstance(reason, str) or len(reason.strip()) < 20:
            out.append(f"{where} is not verified and does not say why (unverified_reason)")
    else:
        out.append(f"{where} says neither verified: true nor verified: false")
    return out


def check(raw: Any) -> list[str]:
    """Every problem with a raw table, as short English sentences for the maintainers."""
    if not isinstance(raw, Mapping) or raw.get("schema") != 2:
        return ["the table is not a helplines table of schema 2"]
    out: list[str] = []
    top = _date_problem(raw.get("checked"), "the table's checked date")
    latest = None if top else date.fromisoformat(raw["checked"])
    out += [top] if top else []
    labels, countries, names = raw.get("labels"), raw.get("countries"), raw.get("language_names")
    if not (isinstance(labels, Mapping) and isinstance(countries, Mapping)
            and isinstance(names, Mapping)):
        return [*out, "the table lacks labels, countries or language_names"]
    for path in LABELS:
        p = _texts_problem(label(labels, path), f"label {path}", sentence=path not in _FRAGMENTS)
        out += [p] if p else []
    for code, country in countries.items():
        if not _CODE.fullmatch(str(code)) or not isinstance(country, Mapping):
            out.append(f"country {code!r} is not a two-letter code with names")
            continue
        out += [p for key in ("name", "in")
                if (p := _texts_problem(country.get(key), f"country {code} {key}", sentence=False))]
    if not all(isinstance(v, str) and v.strip() for v in names.values()):
        out.append("a language has no name in 'language_names'")
    found = raw.get("entries")
    entries: Sequence[Any] = found if isinstance(found, list) else []
    if not entries:
        out.append("the table has no entries")
    ids = [e.get("id") for e in entries if isinstance(e, Mapping)]
    if len(ids) != len(set(ids)):
        out.append("two entries have the same id")
    table = {"countries": countries, "language_names": names}
    for i, e in enumerate(entries):
        out += _entry_problems(e, i, table, latest)
    return out
