"""The help page and the helplines table in the language in use: the English data texts are
translated by the catalog (contexts "help page" and "helplines"), numbers and addresses kept."""

from __future__ import annotations

from share_guard.core.helplines import describe, load
from share_guard.gui.resources import help_text


def test_help_page_paragraphs_come_from_the_catalog(pseudo_language) -> None:
    english = help_text("en")
    shown = help_text("hi")
    paragraphs = [p for p in shown.split("\n\n") if p.strip()]
    assert len(paragraphs) == len([p for p in english.split("\n\n") if p.strip()])
    assert all(p.startswith("\u27e6") for p in paragraphs), paragraphs[:2]


def test_helpline_entries_speak_the_language_and_keep_their_numbers(pseudo_language) -> None:
    book = load()
    india = next(e for e in book.entries if "IN" in e.countries and e.contacts)
    view = describe(book, india, "hi")
    assert view.summary.startswith("\u27e6")
    assert all(line.startswith("\u27e6") for line in view.scope), view.scope
    assert [c.value for c in view.contacts] == [c.value for c in india.contacts]
    assert any("1930" in c.value for e in book.entries for c in e.contacts)
