"""The app's language: chosen at start, changed from the Settings menu, fonts checked.

At start (before any widget exists) :func:`start` picks the language the same way the
command line does (``--lang``, else the choice remembered in the data folder, else the
system's), installs Qt's translations of its own words and mirrors the window for Urdu and
Arabic. The menu remembers a new choice in the data folder (the file ``share-guard
language`` writes) and offers to restart: widgets are built in one language, so the new
one shows from the next start; a restart reopens the files that were listed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QProcess, Qt
from PySide6.QtGui import QActionGroup, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QToolBar, QWidget

from share_guard.core.i18n import (
    LANGUAGES,
    SCRIPTS,
    _,
    choose,
    is_rtl,
    language,
    remember,
    remembered,
    set_language,
)
from share_guard.gui import qt_texts
from share_guard.gui.widgets.common import Banner

SYSTEM = "system"  # the menu's "Follow the system" entry


def start(app: QCoreApplication, data_dir: Path | None, explicit: str | None = None) -> str:
    """Choose and use the language (``explicit`` is ``--lang``); returns its code."""
    try:
        code = set_language(choose(explicit, data_dir))
    except ValueError:  # a --lang we do not ship: the command line has said so already
        code = set_language(choose(None, data_dir))
    qt_texts.install(app, code)
    if isinstance(app, QGuiApplication):
        app.setLayoutDirection(Qt.LayoutDirection.RightToLeft if is_rtl(code)
                               else Qt.LayoutDirection.LeftToRight)
    return code


# -- fonts ----------------------------------------------------------------------------------

def families(script: str) -> list[str]:
    """The installed font families that can write ``script`` ("Devanagari", "Arabic"...)."""
    system = getattr(QFontDatabase.WritingSystem, script, None)
    return list(QFontDatabase.families(system)) if system is not None else []


def font_hint(code: str | None = None,
              lookup: Callable[[str], Sequence[str]] | None = None) -> str:
    """One line naming the font package when the language's script has no font ("" when it
    has one). In English on purpose: without the font, a translated line would be boxes."""
    code = code or language()
    script = SCRIPTS.get(code)
    if script is None or (lookup or families)(script):
        return ""
    return (f"No {script} font is installed, so text in this language may show as boxes: "
            f"install fonts-noto-core (Debian, Ubuntu) or "
            f"google-noto-sans-{script.lower()}-fonts (Fedora), then start share_guard again.")


def show_font_hint(window: QMainWindow, text: str | None = None) -> Banner | None:
    """The font hint as a strip under the toolbar (None when no font is missing)."""
    text = font_hint() if text is None else text
    if not text:
        return None
    bar = QToolBar(window)
    bar.setObjectName("font_hint_bar")
    bar.setMovable(False)
    bar.setFloatable(False)
    banner = Banner(text, "warn", bar)
    banner.setObjectName("font_hint")
    bar.addWidget(banner)
    window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return banner


# -- the menu -------------------------------------------------------------------------------

def restart_command(data_dir: Path, paths: Sequence[Path]) -> tuple[str, list[str]]:
    """The program and arguments that start the app again on the same data folder with
    ``paths`` open (the bundle's program is itself; else this Python runs the package). A
    ``--lang`` given at the first start is left out: the choice just made must win."""
    opened = ["--", *(str(p) for p in paths)] if paths else []
    if getattr(sys, "frozen", False):
        gui_named = Path(sys.executable).stem.lower() == "share-guard-gui"
        command = [] if gui_named else ["gui"]
        return sys.executable, ["--data-dir", str(data_dir), *command, *opened]
    return sys.executable, ["-m", "share_guard", "--data-dir", str(data_dir), "gui", *opened]


class LanguageMenu(QMenu):
    """"Language": follow the system, or one of the shipped languages by its own name."""

    def __init__(self, data_dir: Path, listed: Callable[[], Sequence[Path]],
                 parent: QWidget | None = None,
                 starter: Callable[[str, list[str]], bool] | None = None,
                 busy: Callable[[], bool] = lambda: False) -> None:
        super().__init__(_("Language"), parent)
        self.setObjectName("language_menu")
        self.data_dir = data_dir
        self.listed = listed
        self.busy = busy  # True while clean copies are being saved (a restart would stop it)
        self.starter = starter or (lambda program, args: bool(
            QProcess.startDetached(program, args)[0]))
        self.prompt: QMessageBox | None = None
        group = QActionGroup(self)
        group.setExclusive(True)
        chosen = remembered(data_dir) or SYSTEM
        self.choices = {}
        for code, name in ((SYSTEM, _("Follow the system")), *LANGUAGES.items()):
            action = self.addAction(name)
            action.setCheckable(True)
            action.setChecked(code == chosen)
            action.setData(code)
            group.addAction(action)
            self.choices[code] = action
            if code == SYSTEM:
                self.addSeparator()
        group.triggered.connect(lambda action: self.choose(str(action.data())))

    def choose(self, code: str) -> QMessageBox:
        """Remember ``code`` (or follow the system again) and offer to restart."""
        remember(self.data_dir, None if code == SYSTEM else code)
        self.choices[code].setChecked(True)
        box = QMessageBox(self.parentWidget())
        box.setObjectName("language_restart")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(_("Language"))
        box.setText(_("share_guard will use this language from the next start.")
                    if code != SYSTEM else
                    _("share_guard will follow the system's language from the next start."))
        if self.listed():
            box.setInformativeText(_("A restart opens the files in the list again; areas you "
                                     "drew to cover are not kept."))
        self.restart_button = box.addButton(_("Restart now"), QMessageBox.ButtonRole.AcceptRole)
        self.later_button = box.addButton(_("Later"), QMessageBox.ButtonRole.RejectRole)
        self.restart_button.clicked.connect(self.restart)
        self.prompt = box
        box.open()
        return box

    def restart(self) -> bool:
        """Start the app again with the listed files, then quit this one (a start that fails
        leaves this window open and says so)."""
        if self.busy():
            self._say(_("Clean copies are being saved. Restart once they are done."))
            return False
        program, args = restart_command(self.data_dir, list(self.listed()))
        if not self.starter(program, args):
            self._say(_("share_guard could not start again. Close it and open it yourself to "
                        "use the new language."))
            return False
        window = self.parentWidget()
        if window is not None:
            window.window().close()
        QCoreApplication.quit()
        return True

    def _say(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, _("Language"), text,
                          QMessageBox.StandardButton.Ok, self.parentWidget())
        box.setObjectName("language_restart_failed")
        self.prompt = box
        box.open()
