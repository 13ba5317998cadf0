"""About: what the app does, where it runs, and what it cannot promise."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from share_guard import __version__
from share_guard.core.i18n import _, isolate, pgettext
from share_guard.gui.resources import icon_pixmap, licences
from share_guard.gui.widgets.common import muted, plain_label, set_font


class LicencesPage(QScrollArea):
    """Every dependency and model share_guard ships with, what it is for, and its licence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        own, components = licences()
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(12, 12, 12, 12)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        intro = plain_label(_("share_guard is free software under the {licence} licence. It is "
                              "built on these, each under its own licence:").format(licence=own),
                            body, wrap=True)
        grid.addWidget(intro, 0, 0, 1, 2)
        self.rows: list[tuple[str, str]] = []
        for row, c in enumerate(components, 1):
            name = plain_label(c.name, body, wrap=True, selectable=True)
            set_font(name, bold=True)
            use = plain_label(c.use, body, wrap=True)
            muted(use)
            licence = plain_label(c.licence, body, wrap=True, selectable=True)
            cell = QVBoxLayout()
            cell.setSpacing(1)
            cell.addWidget(name)
            cell.addWidget(use)
            grid.addLayout(cell, row, 0)
            grid.addWidget(licence, row, 1, Qt.AlignmentFlag.AlignTop)
            self.rows.append((c.name, c.licence))
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(len(components) + 1, 1)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setWidget(body)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("About share_guard"))
        self.setMinimumWidth(560)
        self.resize(640, 560)
        icon = QLabel(self)
        icon.setPixmap(icon_pixmap(80))
        name = plain_label("share_guard", self)
        set_font(name, scale=1.6, bold=True)
        version = plain_label(pgettext("about", "Version {version}").format(
            version=isolate(__version__)), self)
        muted(version)
        head_text = QVBoxLayout()
        head_text.addWidget(name)
        head_text.addWidget(version)
        head = QHBoxLayout()
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addSpacing(10)
        head.addLayout(head_text, 1)
        head.setAlignment(head_text, Qt.AlignmentFlag.AlignVCenter)

        sections = [
            (_("Everything runs on this computer"), _(
                "share_guard checks photos and videos here, on this computer. Nothing is uploaded, "
                "nothing is sent anywhere, and it never connects to the internet.")),
            (_("What it does"), _(
                "It shows what a file gives away (where and when it was taken, names, the device, "
                "hidden pictures and other data) and saves a copy without it. Removing these details "
                "does not re-encode the picture.")),
            (_("What it cannot promise"), _(
                "It can miss a face or other things that identify someone in the picture itself. "
                "\"Nothing found\" is not a guarantee that a file is safe to share: look at the "
                "picture, the background and any reflections before you share it.")),
        ]
        about = QWidget(self)
        about_layout = QVBoxLayout(about)
        about_layout.setContentsMargins(12, 12, 12, 12)
        about_layout.setSpacing(8)
        self.texts = []
        for title, body in sections:
            t = plain_label(title, about)
            set_font(t, bold=True)
            b = plain_label(body, about, wrap=True)
            self.texts.append(body)
            about_layout.addSpacing(6)
            about_layout.addWidget(t)
            about_layout.addWidget(b)
        about_layout.addStretch(1)
        self.licences = LicencesPage(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(about, _("About"))
        self.tabs.addTab(self.licences, _("Third-party licences"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addSpacing(8)
        layout.addWidget(buttons)

    def launch(self) -> AboutDialog:
        self.open()
        return self
