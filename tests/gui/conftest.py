"""Fixtures for driving the real window: redirected settings, test media, a window factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from gui_helpers import FakeDialogs
from PySide6.QtCore import QCoreApplication, QSettings

from share_guard.core.engine.compose import Features, build_engine
from share_guard.gui.service import Service
from share_guard.gui.settings import Settings


@pytest.fixture(autouse=True)
def _qsettings_in_tmp(tmp_path: Path, qapp) -> Iterator[Path]:
    """No test touches the real settings: QSettings write INI files under tmp_path."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName("share_guard_test")
    QCoreApplication.setApplicationName(f"share_guard_test_{tmp_path.name}")
    yield folder


@pytest.fixture
def dialogs(tmp_path: Path) -> FakeDialogs:
    fake = FakeDialogs()
    out = tmp_path / "out"
    out.mkdir()
    fake.folder = out
    return fake


@pytest.fixture
def make_window(qtbot, tmp_path: Path, dialogs: FakeDialogs) -> Iterator[Callable[..., object]]:
    from share_guard.gui.main_window import MainWindow

    made: list[MainWindow] = []

    def make(analyzers: Sequence[object] = (), transforms: Sequence[object] = (),
             isolate: bool = False, content: Sequence[object] = (), **features) -> MainWindow:
        """A window over the engine the app builds (build_engine), with only the checks a
        test asks for (no faces, codes or takedown list unless given)."""
        settings = {"faces": False, "codes": False, "takedown": False, **features}
        engine = build_engine(Features(isolated=isolate, data_dir=tmp_path / "data",
                                       analyzers=tuple(analyzers), content=tuple(content),
                                       **settings))
        service = Service(engine, transforms=list(transforms))
        window = MainWindow(service, Settings(), dialogs)
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        for slow in window.session.service.engine.analyzers():
            release = getattr(slow, "release", None)
            if release is not None:
                release.set()
        assert window.session.shutdown(10_000), "worker threads still running after the test"
        window.session.service.close()
        assert window.session.pool.activeThreadCount() == 0
        assert window.session.side_pool.activeThreadCount() == 0
        for dialog in dialogs.open_dialogs:
            dialog.close()
        window.close()


@pytest.fixture
def window(make_window):
    return make_window()
