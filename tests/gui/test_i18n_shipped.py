"""The shipped catalogs, as a person meets them (issue 16's bar): with LANG=hi_IN.UTF-8 the
window's toolbar, a GPS photo's findings and the consent dialog are in Hindi, and so is
``share-guard inspect``; with LANG=ur_PK.UTF-8 the window is mirrored. Expected words are read
from the catalogs themselves, never written here."""

from __future__ import annotations

import gettext
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gui_helpers import consent_dialog, gps_jpeg, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel

from share_guard.core import i18n
from share_guard.gui import language

ROOT = Path(__file__).resolve().parents[2]


def catalog(code: str) -> gettext.GNUTranslations:
    with (i18n.locale_dir() / code / "LC_MESSAGES" / "share_guard.mo").open("rb") as f:
        return gettext.GNUTranslations(f)


@pytest.fixture
def started(qapp):
    """The app started as it starts for a person with LANG set (no remembered choice)."""
    def start(lang: str) -> str:
        return language.start(qapp, None, lang)

    yield start
    language.start(qapp, None, "en")
    i18n.set_language("en")


def test_inspect_prints_its_findings_in_hindi(tmp_path: Path) -> None:
    hi = catalog("hi")
    photo = gps_jpeg(tmp_path / "holiday.jpg")
    env = {**os.environ, "LANG": "hi_IN.UTF-8", "LC_ALL": "", "LANGUAGE": "",
           "SHARE_GUARD_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-m", "share_guard", "inspect", "--no-faces",
                          str(photo)], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120).stdout
    for english in ("Location", "GPS position"):
        assert hi.gettext(english) != english
        assert hi.gettext(english) in out, out
        assert f"{english}:" not in out, out


def test_the_window_findings_and_consent_are_in_hindi(qtbot, started, make_window, dialogs,
                                                      tmp_path: Path) -> None:
    hi = catalog("hi")
    assert started("hi_IN.UTF-8") == "hi"
    window = make_window()
    assert window.open_action.text().replace("&", "") == hi.gettext("Open…").replace("&", "")
    assert window.layoutDirection() == Qt.LayoutDirection.LeftToRight
    dialogs.files = [gps_jpeg(tmp_path / "holiday.jpg")]
    window.open_action.trigger()
    wait_idle(qtbot, window, 1)
    words = " ".join(lab.text() for lab in window.inspector.findChildren(QLabel))
    assert hi.gettext("GPS position") in words, words[:400]
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    texts = " ".join([w.text() for w in dialog.findChildren(QLabel)]
                     + [w.text() for w in dialog.findChildren(QAbstractButton)])
    assert hi.gettext("GPS position") in texts, texts[:400]
    assert hi.gettext("Cancel") in texts, texts[:400]
    dialog.reject()


def test_the_window_is_mirrored_in_urdu(qtbot, started, make_window) -> None:
    ur = catalog("ur")
    assert started("ur_PK.UTF-8") == "ur"
    window = make_window()
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.open_action.text().replace("&", "") == ur.gettext("Open…").replace("&", "")
