"""Helplines for a person whose intimate images are shared, or threatened: the offline table,
checked, and ordered by where the person is.

The table is package data (``share_guard/resources/help/helplines.json``). Every sentence a
person reads comes from it, per language (``{"en": ...}`` always, other languages as
translators add them), so the window and ``share-guard help-lines`` say the same thing and a
translator works on one file. This module is Qt-free: the front ends only lay out what
:func:`describe` returns, in the order :meth:`Book.sections` gives.

Each entry records when it was checked and against which page (``checked``, ``source``), or
says ``"verified": false`` with the reason; :func:`check` refuses a table where either is
missing, where a web address is not https or a phone number is implausible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from share_guard.core import i18n
from share_guard.core.errors import ShareGuardError
from share_guard.core.helplines_check import (
    AGES,
    CONTACT_KINDS,
    FALLBACK,
    KINDS,
    WORLD,
    check,
    label,
)
from share_guard.core.i18n import N_, message

__all__ = ["AGES", "CONTACT_KINDS", "KINDS", "WORLD", "Book", "Contact", "ContactView", "EntryView",
           "Helpline", "HelplineDataError", "Section", "check", "country_from_locale", "describe",
           "environment_locale", "language_from_locale", "load", "parse", "pick"]

DATA = "resources/help/helplines.json"
Texts = Mapping[str, str]

class HelplineDataError(ShareGuardError):
    """The helplines table is missing or does not pass :func:`check`."""


@dataclass(frozen=True)
class Contact:
    kind: str  # one of CONTACT_KINDS
    value: str  # an https address, a phone number or an e-mail address, shown as text
    note: Texts  # hours or what the number is; may be empty


@dataclass(frozen=True)
class Helpline:
    id: str
    name: str
    organisation: str
    countries: tuple[str, ...]  # ISO 3166 alpha-2 codes, or (WORLD,)
    age: str
    women: bool
    kinds: tuple[str, ...]
    summary: Texts
    contacts: tuple[Contact, ...]
    languages: tuple[str, ...]
    checked: str
    source: str
    verified: bool

    @property
    def international(self) -> bool:
        return WORLD in self.countries


@dataclass(frozen=True)
class Section:
    kind: str  # "local", "no_local", "international" or "elsewhere"
    country: str  # the country of a local, no_local or elsewhere section; "" otherwise
    entries: tuple[Helpline, ...]


@dataclass(frozen=True)
class ContactView:
    kind: str
    label: str
    value: str
    note: str


@dataclass(frozen=True)
class EntryView:
    """One entry as the sentences a person reads, in one language."""

    name: str
    organisation: str
    scope: tuple[str, ...]  # who, where, what kind of image: one sentence each
    summary: str
    contacts: tuple[ContactView, ...]
    languages: str  # "" when unknown
    trust: str  # when it was checked, or that it could not be
    verified: bool


def pick(texts: Texts, language: str) -> str:
    """``texts`` in ``language`` ("pt_BR", "pt-BR" or "pt"), else its base language, else
    the English translated by the catalog (context "helplines") when ``language`` is the one
    in use, else English."""
    tag = language.replace("-", "_")
    for key in (tag, tag.split("_")[0].lower()):
        if texts.get(key):
            return texts[key]
    english = texts.get(FALLBACK, "")
    if english and tag.split("_")[0].lower() == i18n.language().split("_")[0].lower():
        return i18n.data_text("helplines", english)
    return english


@dataclass(frozen=True)
class Book:
    checked: str
    labels: Mapping[str, Any]
    countries: Mapping[str, Mapping[str, Texts]]  # code -> {"name": Texts, "in": Texts}
    language_names: Mapping[str, str]  # code -> the language's own name for itself
    entries: tuple[Helpline, ...]

    def say(self, path: str, language: str, **fields: str) -> str:
        """The label at dotted ``path`` in ``language``, with ``{fields}`` filled in."""
        return pick(label(self.labels, path), language).format(**fields)

    def country_name(self, code: str, language: str) -> str:
        names = self.countries.get(code)
        return pick(names["name"], language) if names else code

    def sections(self, country: str | None, language: str = FALLBACK) -> list[Section]:
        """The entries for ``country`` first (or a no_local note when it has none), then the
        international ones, then every other country's, grouped and sorted by country name.
        Within a section the table's own order is kept (the most direct service first)."""
        here = (country or "").upper()
        out: list[Section] = []
        if here:
            local = tuple(e for e in self.entries if here in e.countries)
            out.append(Section("local" if local else "no_local", here, local))
        out.append(Section("international", "", tuple(e for e in self.entries if e.international)))
        others = sorted({c for e in self.entries for c in e.countries if c not in (WORLD, here)},
                        key=lambda c: (self.country_name(c, language).casefold(), c))
        for code in others:
            out.append(Section("elsewhere", code, tuple(e for e in self.entries if code in e.countries)))
        return out

    def heading(self, section: Section, language: str) -> str:
        if section.kind == "elsewhere":
            return self.country_name(section.country, language)
        if section.kind == "international":
            return self.say("sections.international", language)
        where = self.countries.get(section.country)
        if section.kind == "local" and where:
            return self.say("sections.local", language, **{"in": pick(where["in"], language)})
        if section.kind == "local":
            return section.country
        return self.say("sections.no_local", language)


def describe(book: Book, entry: Helpline, language: str, *, bidi_isolate: bool = False) -> EntryView:
    """``entry`` as short sentences in ``language``. ``bidi_isolate`` wraps each language name
    in Unicode isolates so a list mixing Arabic script and Latin keeps its order on screen."""
    scope = [book.say(f"ages.{entry.age}", language)]
    if entry.women:
        scope.append(book.say("women", language))
    if entry.international:
        scope.append(book.say("places.*", language))
    else:
        scope += [book.say("places.one", language, **{"in": pick(book.countries[c]["in"], language)})
                  for c in entry.countries]
    # Translators: between the kinds of help a service gives ("...; ..."), as your language
    # separates items of a list (French: " ; ", Arabic: "؛ ")
    separator = i18n.pgettext("list separator", "; ") if language.split("_")[0] == \
        i18n.language().split("_")[0] else "; "
    kinds = separator.join(book.say(f"kinds.{k}", language) for k in entry.kinds)
    scope.append(book.say("kinds_intro", language, kinds=kinds))
    contacts = tuple(ContactView(c.kind, book.say(f"contacts.{c.kind}", language), c.value,
                                 pick(c.note, language) if c.note else "") for c in entry.contacts)
    names = [book.language_names[code] for code in entry.languages]
    if bidi_isolate:
        names = [f"\u2068{n}\u2069" for n in names]
    languages = book.say("languages", language, languages=", ".join(names)) if names else ""
    trust = (book.say("checked", language, date=entry.checked) if entry.verified
             else book.say("unverified", language))
    return EntryView(entry.name, entry.organisation, tuple(scope), pick(entry.summary, language),
                     contacts, languages, trust, entry.verified)


# -- where the person is ------------------------------------------------------------------------

def _locale_parts(name: str) -> list[str]:
    core = name.split(".")[0].split("@")[0]
    return [p for p in re.split(r"[_-]", core) if p]


def country_from_locale(name: str | None) -> str | None:
    """The country in a locale name: "hi_IN.UTF-8" -> "IN", "pt-BR" -> "BR"; None for "C",
    "POSIX", "" or a name without a two-letter country."""
    parts = _locale_parts(name or "")
    for part in parts[1:]:
        if len(part) == 2 and part.isascii() and part.isalpha():
            return part.upper()
    return None


def language_from_locale(name: str | None) -> str:
    """The language of a locale name ("hi_IN.UTF-8" -> "hi"); English for "C", "POSIX" or ""."""
    parts = _locale_parts(name or "")
    if parts and 2 <= len(parts[0]) <= 3 and parts[0].isascii() and parts[0].isalpha():
        return parts[0].lower()
    return FALLBACK


def environment_locale(environ: Mapping[str, str]) -> str:
    """The locale a POSIX program's messages follow: LC_ALL, then LC_MESSAGES, then LANG."""
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(key):
            return environ[key]
    return ""


# -- loading and checking -----------------------------------------------------------------------

@lru_cache(maxsize=1)
def load() -> Book:
    """The table shipped in the package, checked (HelplineDataError if it does not pass)."""
    try:
        raw = json.loads((resources.files("share_guard") / DATA).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HelplineDataError(message(N_("the helplines table cannot be read: {exc}"), exc=exc)) from exc
    return parse(raw)


def parse(raw: Any) -> Book:
    problems = check(raw)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise HelplineDataError(message(N_("the helplines table is not valid: {problems}{more}"),
                                        problems=problems[0], more=more))
    entries = tuple(
        Helpline(e["id"], e["name"], e["organisation"], tuple(e["countries"]), e["age"],
                 bool(e.get("women", False)), tuple(e["kinds"]), e["summary"],
                 tuple(Contact(c["kind"], c["value"], c.get("note", {})) for c in e["contacts"]),
                 tuple(e.get("languages", ())), e["checked"], e.get("source", ""), e["verified"])
        for e in raw["entries"])
    return Book(raw["checked"], raw["labels"], raw["countries"], raw["language_names"], entries)
