"""Start the desktop app: ``run(paths)`` builds the window and enters the event loop."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from share_guard import APP_ID, __version__
from share_guard.core.engine.compose import Features, build_engine
from share_guard.gui.resources import resource_dir
from share_guard.gui.service import Service
from share_guard.gui.settings import APPLICATION, ORGANIZATION


def build_service(data_dir: Path | None = None) -> Service:
    """The window's engine, composed by the core: every check (faces and codes included,
    the takedown list, the policy's own), every file read in the sandbox."""
    return Service(build_engine(Features(faces=True, codes=True, takedown=True, isolated=True,
                                         data_dir=data_dir)))


def make_application(argv: Sequence[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        app = QApplication(list(argv or sys.argv[:1]))
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    QApplication.setApplicationDisplayName("share_guard")
    QApplication.setDesktopFileName(APP_ID)
    from share_guard.gui.resources import app_icon

    app.setWindowIcon(app_icon())
    # Translations, when someone adds them: share_guard/resources/i18n/share_guard_<locale>.qm
    translator = QTranslator(app)
    if translator.load(QLocale(), "share_guard", "_", resource_dir("i18n")):
        app.installTranslator(translator)
    return app


def run(paths: Sequence[str | Path] = (), data_dir: Path | None = None) -> int:
    # Workers hold the GIL while they parse; hand it back to the GUI thread sooner than the
    # default 5 ms so painting and input stay smooth while a folder is being checked.
    sys.setswitchinterval(0.001)
    app = make_application()
    from share_guard.gui.main_window import MainWindow

    service = build_service(data_dir)
    service.remove_stale_temps()
    window = MainWindow(service)
    window.show()
    window.open_paths(paths)
    try:
        return int(app.exec())
    finally:
        service.close()
