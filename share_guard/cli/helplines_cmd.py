"""share-guard help-lines [--country CC]: where to get help, for the country you are in first.

The same table and order as the window's "If this is happening to you" page, as plain text.
The country comes from --country, else from the locale (LC_ALL, LC_MESSAGES, LANG); the
language of the text is the one chosen (--lang, 'share-guard language'), else the locale's.
Nothing is looked up online.
"""

from __future__ import annotations

import argparse
import os
import textwrap

from share_guard.cli.common import say
from share_guard.core.helplines import (
    Book,
    country_from_locale,
    describe,
    environment_locale,
    language_from_locale,
    load,
)
from share_guard.core.i18n import _

EXIT_OK = 0
WIDTH = 78


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("help-lines", help=_("helplines and reporting services, your country "
                                             "first"),
                        description=_("Where to get help, for the country you are in first: the "
                                      "same table as the window's help page, as plain text. "
                                      "Nothing is looked up online."))
    p.add_argument("--country", metavar="CC", type=_country,
                   help=_("two-letter country code (IN, PK, BD, GB, US...); default: from the "
                          "locale"))
    p.set_defaults(func=run)


def _country(value: str) -> str:
    code = value.strip()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise argparse.ArgumentTypeError(
            _("{value} is not a two-letter country code (like IN or GB)").format(value=repr(value)))
    return code.upper()


def run(args: argparse.Namespace) -> int:
    book = load()
    where = environment_locale(os.environ)
    country = args.country or country_from_locale(where)
    for line in render(book, country, language_for(where)):
        say(line)
    return EXIT_OK


def language_for(where: str) -> str:
    """The table's language: the one chosen for this run (``--lang`` or remembered), else the
    locale's (the table may hold texts in languages the interface has no catalog for yet)."""
    from share_guard.cli import Asked

    return Asked.code if Asked.chosen else language_from_locale(where)


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False) or [indent.rstrip()]


def render(book: Book, country: str | None, language: str) -> list[str]:
    """The table as lines of plain text: sections in order, each entry with its scope."""
    lines = _wrap(book.say("note", language), "")
    elsewhere = False
    for section in book.sections(country, language):
        if section.kind == "elsewhere" and not elsewhere:
            elsewhere = True
            top = book.say("sections.elsewhere", language)
            lines += ["", top, "=" * len(top)]
        heading = book.heading(section, language)
        if section.kind == "no_local":  # a sentence, not a heading
            lines += ["", *_wrap(heading, "")]
            continue
        lines += ["", heading, "-" * len(heading)]
        for entry in section.entries:
            view = describe(book, entry, language)
            lines += ["", f"  {view.name}", f"    {view.organisation}"]
            for text in (*view.scope, view.summary):
                lines += _wrap(text, "    ")
            for contact in view.contacts:
                lines += _wrap(f"{contact.label}: {contact.value}", "    ")
                if contact.note:
                    lines += _wrap(contact.note, "      ")
            if view.languages:
                lines += _wrap(view.languages, "    ")
            lines += _wrap(view.trust, "    ")
    return lines
