"""The "If this is happening to you" page: offline, the locale's country first, every entry with
its scope, links opened only by the person's browser, numbers as text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QLocale, QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QLabel

from share_guard.gui.dialogs.help_page import HelpPage, blocks


@pytest.fixture
def forced_locale() -> Iterator[object]:
    before = QLocale()

    def force(name: str) -> None:
        QLocale.setDefault(QLocale(name))

    yield force
    QLocale.setDefault(before)


def page_for(qtbot, forced_locale, name: str) -> HelpPage:
    forced_locale(name)
    page = HelpPage()
    qtbot.addWidget(page)
    page.launch()
    return page


def texts(page: HelpPage) -> str:
    return "\n".join(label.text() for label in page.findChildren(QLabel))


class _Browser(QObject):
    """Stands in for the person's browser: QDesktopServices hands https addresses here."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def test_india_first_with_the_1930_helpline(qtbot, forced_locale):
    page = page_for(qtbot, forced_locale, "hi_IN")
    assert page.country_box.currentData() == "IN"
    assert page.country_box.currentText() == "India"
    assert page.headings[0].text() == "Services for people in India"
    first = page.cards[0]
    assert first.entry.id == "in-cybercrime-portal"
    assert "1930" in first.contact_values and "https://cybercrime.gov.in" in first.contact_values
    assert "For people in India." in first.scope.text()
    assert page.headings[1].text() == "Services for people anywhere"
    assert [c.entry.id for c in page.cards[1:4]] == ["stopncii", "take-it-down", "inhope"]


@pytest.mark.parametrize(("locale", "first", "heading"), [
    ("ur_PK", "pk-drf-helpline", "Services for people in Pakistan"),
    ("bn_BD", "bd-police-cyber-support-women", "Services for people in Bangladesh"),
    ("en_GB", "gb-revenge-porn-helpline", "Services for people in the United Kingdom"),
    ("en_US", "us-cybertipline", "Services for people in the United States"),
    ("en_AU", "au-esafety", "Services for people in Australia"),
])
def test_the_locales_country_comes_first(qtbot, forced_locale, locale, first, heading):
    page = page_for(qtbot, forced_locale, locale)
    assert page.headings[0].text() == heading
    assert page.cards[0].entry.id == first


def test_every_entry_shows_its_scope(qtbot, forced_locale):
    page = page_for(qtbot, forced_locale, "en_GB")
    for card in page.cards:
        scope = card.scope.text()
        assert scope.startswith(("For ", "Only for ")) and "It helps with:" in scope, card.entry.id
        assert any(w in scope for w in ("anywhere", "For people in")), card.entry.id
    inhope = next(c for c in page.cards if c.entry.id == "inhope")
    assert "under 18" in inhope.scope.text()
    esafety = next(c for c in page.cards if c.entry.id == "au-esafety")
    assert "For people in Australia." in esafety.scope.text()


def test_offline_page_keeps_the_help_text_and_plain_labels(qtbot, forced_locale):
    page = page_for(qtbot, forced_locale, "en_GB")
    text = texts(page)
    for needle in ("Keep evidence", "Do not pay", "Talk to someone you trust", "Only the hash is sent",
                   "share_guard never contacts these services itself", "Details checked on 20"):
        assert needle in text, needle
    for label in page.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText and not label.openExternalLinks()


def test_open_hands_the_address_to_the_browser_and_copy_copies_numbers(qtbot, forced_locale):
    page = page_for(qtbot, forced_locale, "en_IN")
    browser = _Browser()
    QDesktopServices.setUrlHandler("https", browser, "open")
    try:
        page.cards[0].open_buttons[0].click()
    finally:
        QDesktopServices.unsetUrlHandler("https")
    assert browser.opened == ["https://cybercrime.gov.in"]
    phone = page.cards[0].contact_values.index("1930")
    page.cards[0].copy_buttons[phone].click()
    assert QGuiApplication.clipboard().text() == "1930"
    assert page.cards[0].copy_buttons[phone].accessibleName() == "Copy 1930"
    # phone numbers are text to copy, never a link to open
    assert len(page.cards[0].open_buttons) == 1


def test_choosing_another_country_reorders(qtbot, forced_locale):
    page = page_for(qtbot, forced_locale, "hi_IN")
    page.country_box.setCurrentIndex(page.country_box.findData("GB"))
    assert page.headings[0].text() == "Services for people in the United Kingdom"
    assert [c.entry.id for c in page.cards[:2]] == ["gb-revenge-porn-helpline", "gb-report-remove"]
    assert "in-cybercrime-portal" in [c.entry.id for c in page.cards]  # listed further down


def test_a_country_without_a_service_says_so(qtbot, forced_locale):
    page = page_for(qtbot, forced_locale, "de_DE")
    assert page.country_box.currentText() == "Somewhere else"
    assert page.headings[0].text().startswith("We do not know of a service just for where you are")
    assert page.cards[0].entry.id == "stopncii"


def test_unverified_details_are_flagged(qtbot, forced_locale):
    page = page_for(qtbot, forced_locale, "bn_BD")
    card = page.cards[0]
    assert "01320000888" in card.contact_values
    shown = "\n".join(label.text() for label in card.findChildren(QLabel))
    assert "We could not check these details" in shown
    assert "For women and girls." in card.scope.text()


def test_help_text_blocks():
    assert blocks("# Title\n\nA line.\n- one\n- two\n") == [
        ("heading", "Title"), ("para", "A line."), ("bullet", "one"), ("bullet", "two")]
