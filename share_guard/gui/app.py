"""Start the desktop app: ``run(paths)`` builds the window and enters the event loop."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from share_guard import APP_ID, __version__
from share_guard.core.engine.compose import Features, build_engine
from share_guard.gui.service import Service
from share_guard.gui.settings import APPLICATION, ORGANIZATION

#: after the window shows, the sandbox's workers start and load the face model
WARM_UP_MS = 300


def build_service(data_dir: Path | None = None) -> Service:
    """The window's engine, composed by the core: every check (faces and codes included,
    the takedown list, the policy's own), every file read in the sandbox."""
    return Service(build_engine(Features(faces=True, codes=True, takedown=True, isolated=True,
                                         data_dir=data_dir)))


def make_application(argv: Sequence[str] | None = None, data_dir: Path | None = None,
                     language: str | None = None) -> QApplication:
    """The QApplication, its language chosen (``language`` is ``--lang``, else the choice
    remembered in ``data_dir``, else the system's) before any widget is made."""
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
    from share_guard.gui.language import start
    from share_guard.gui.resources import app_icon

    start(app, data_dir, language)
    app.setWindowIcon(app_icon())
    return app


def run(paths: Sequence[str | Path] = (), data_dir: Path | None = None,
        language: str | None = None) -> int:
    """The window on ``data_dir`` (None: ``$SHARE_GUARD_HOME`` or the user data folder, as
    the engine finds it) with ``paths`` open; ``language`` is ``--lang`` when given."""
    # Workers hold the GIL while they parse; hand it back to the GUI thread sooner than the
    # default 5 ms so painting and input stay smooth while a folder is being checked.
    sys.setswitchinterval(0.001)
    if data_dir is None:
        from share_guard.core.paths import data_dir as default_data_dir

        data_dir = default_data_dir()
    app = make_application(data_dir=data_dir, language=language)
    from share_guard.gui.language import font_hint
    from share_guard.gui.main_window import MainWindow

    hint = font_hint()
    if hint:
        print(f"share-guard: {hint}", file=sys.stderr)
    service = build_service(data_dir)
    service.remove_stale_temps()
    window = MainWindow(service)
    window.show()
    window.open_paths(paths)
    # once the window has painted: the workers start and load the face model meanwhile
    QTimer.singleShot(WARM_UP_MS, service.warm_up)
    try:
        return int(app.exec())
    finally:
        service.close()
