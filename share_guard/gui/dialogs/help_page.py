"""The offline "If this is happening to you" page: what to do now, and who can help, for the
country the person is in first.

The helplines, their order and every sentence about them come from the core
(:mod:`share_guard.core.helplines`, the same table as ``share-guard help-lines``); this page
only lays them out. Nothing here goes online: a web address opens in the person's own browser
(QDesktopServices) only when they press "Open", and phone numbers are text to read or copy.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.helplines import (
    Book,
    ContactView,
    Helpline,
    country_from_locale,
    describe,
    language_from_locale,
    load,
)
from share_guard.core.i18n import _, language, pgettext, translated
from share_guard.gui.resources import help_text
from share_guard.gui.widgets.common import muted, plain_label, set_font


def blocks(text: str) -> list[tuple[str, str]]:
    """Split the help file into ("heading" | "para" | "bullet", text) blocks."""
    out: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("# "):
            out.append(("heading", line[2:].strip()))
        elif line.startswith("- "):
            out.append(("bullet", line[2:].strip()))
        else:
            out.append(("para", line))
    return out


def open_address(url: str) -> bool:
    """Hand an https address to the person's browser; the app itself opens no connection."""
    if not url.startswith("https://"):  # the table is checked; this is a last guard
        return False
    return bool(QDesktopServices.openUrl(QUrl(url)))


def _copy(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


class HelplineCard(QFrame):
    """One service: its name, who it is for, what it does, and how to reach it."""

    def __init__(self, book: Book, entry: Helpline, language: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.setFrameShape(QFrame.Shape.StyledPanel)
        view = describe(book, entry, language, bidi_isolate=True)
        self.setAccessibleName(view.name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(4)
        name = plain_label(view.name, self, wrap=True, selectable=True)
        set_font(name, scale=1.1, bold=True)
        layout.addWidget(name)
        organisation = plain_label(view.organisation, self, wrap=True)
        muted(organisation)
        layout.addWidget(organisation)
        self.scope = plain_label("\n".join(map(translated, view.scope)), self, wrap=True)
        layout.addWidget(self.scope)
        layout.addWidget(plain_label(view.summary, self, wrap=True))
        self.copy_buttons: list[QToolButton] = []
        self.open_buttons: list[QToolButton] = []
        self.contact_values: list[str] = []
        grid = QGridLayout()
        grid.setContentsMargins(0, 6, 0, 2)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        row = 0
        for contact in view.contacts:
            row = self._add_contact(grid, row, contact)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        for text in (view.languages, view.trust):
            if text:
                label = plain_label(text, self, wrap=True)
                if view.verified or text != view.trust:
                    muted(label)
                layout.addWidget(label)

    def _add_contact(self, grid: QGridLayout, row: int, contact: ContactView) -> int:
        grid.addWidget(plain_label(translated(contact.label), self), row, 0)
        value = plain_label(contact.value, self, wrap=True, selectable=True)
        grid.addWidget(value, row, 1)
        self.contact_values.append(contact.value)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        if contact.kind == "web":
            opener = QToolButton(self)
            opener.setText(_("Open"))
            opener.setToolTip(_("Open this address in your web browser"))
            opener.setAccessibleName(_("Open {address} in your web browser").format(address=contact.value))
            opener.clicked.connect(lambda _=False, url=contact.value: open_address(url))
            self.open_buttons.append(opener)
            buttons.addWidget(opener)
        copier = QToolButton(self)
        copier.setText(_("Copy"))
        copier.setToolTip(_("Copy to the clipboard"))
        copier.setAccessibleName(pgettext("help page", "Copy {address}").format(address=contact.value))
        copier.clicked.connect(lambda _=False, text=contact.value: _copy(text))
        self.copy_buttons.append(copier)
        buttons.addWidget(copier)
        grid.addLayout(buttons, row, 2)
        row += 1
        if contact.note:
            note = plain_label(contact.note, self, wrap=True)
            muted(note)
            grid.addWidget(note, row, 1, 1, 2)
            row += 1
        return row


class HelpPage(QDialog):
    """A non-modal window with the help text and the helplines, the person's country first."""

    def __init__(self, parent: QWidget | None = None, *, locale: QLocale | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("If this is happening to you"))
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        self.resize(760, min(800, int(screen.height() * 0.9)) if screen is not None else 800)
        name = (locale or QLocale()).name()
        # the app's language (chosen at start or in the menu); a locale given wins (tests)
        self.language = language_from_locale(name if locale is not None else language())
        self.book = load()
        self.cards: list[HelplineCard] = []
        self.headings: list[QLabel] = []
        body = QWidget()
        content = QVBoxLayout(body)
        content.setContentsMargins(24, 20, 24, 20)
        content.setSpacing(8)
        self._add_help_text(content, body)

        content.addSpacing(10)
        title = plain_label(_("Who can help"), body)
        set_font(title, scale=1.15, bold=True)
        content.addWidget(title)
        note = plain_label(self.book.say("note", self.language), body, wrap=True)
        muted(note)
        content.addWidget(note)
        chooser = QHBoxLayout()
        chooser.addWidget(plain_label(_("Show first the services for:"), body))
        self.country_box = QComboBox(body)
        self.country_box.setAccessibleName(_("Country"))
        chooser.addWidget(self.country_box, 1)
        content.addLayout(chooser)
        self.listing = QVBoxLayout()
        self.listing.setSpacing(8)
        content.addLayout(self.listing)
        content.addStretch(1)
        self._fill_countries(country_from_locale(name))
        self.country_box.currentIndexChanged.connect(lambda _i: self.show_country(self.country()))
        self.show_country(self.country())

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(12, 0, 12, 12)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)

    def _add_help_text(self, content: QVBoxLayout, body: QWidget) -> None:
        for kind, text in blocks(help_text(self.language)):
            label = plain_label(text if kind != "bullet" else f"\u2022  {text}", body, wrap=True,
                                selectable=True)
            if kind == "heading":
                set_font(label, scale=1.3 if not content.count() else 1.15, bold=True)
                if content.count():
                    content.addSpacing(8)
            content.addWidget(label)

    def _fill_countries(self, here: str | None) -> None:
        """Every country in the table by name, and "Somewhere else"; the locale's selected."""
        codes = sorted({c for e in self.book.entries for c in e.countries if not e.international},
                       key=lambda c: self.book.country_name(c, self.language).casefold())
        for code in codes:
            self.country_box.addItem(self.book.country_name(code, self.language), code)
        # not listed: keep the locale's code so the page can say it knows of nothing there
        elsewhere = here if here and here not in codes else ""
        self.country_box.addItem(_("Somewhere else"), elsewhere)
        index = self.country_box.findData(here) if here else -1
        self.country_box.setCurrentIndex(index if index >= 0 else self.country_box.count() - 1)

    def country(self) -> str:
        return str(self.country_box.currentData() or "")

    def show_country(self, country: str) -> None:
        """Lay out the sections for ``country`` ("" for none): its services first."""
        while self.listing.count():
            item = self.listing.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.cards, self.headings = [], []
        parent = self.listing.parentWidget()
        elsewhere = False
        for section in self.book.sections(country or None, self.language):
            if section.kind == "elsewhere" and not elsewhere:
                elsewhere = True
                self._heading(self.book.say("sections.elsewhere", self.language), 1.15, parent)
            scale = 1.0 if section.kind == "elsewhere" else 1.15
            heading = self._heading(self.book.heading(section, self.language), scale, parent)
            if section.kind == "no_local":
                heading.setWordWrap(True)
                set_font(heading)
            for entry in section.entries:
                card = HelplineCard(self.book, entry, self.language, parent)
                self.cards.append(card)
                self.listing.addWidget(card)

    def _heading(self, text: str, scale: float, parent: QWidget | None) -> QLabel:
        label = plain_label(text, parent, wrap=True)
        set_font(label, scale=scale, bold=True)
        self.headings.append(label)
        self.listing.addWidget(label)
        return label

    def launch(self) -> HelpPage:
        self.show()
        self.raise_()
        return self
