"""The window's frame: the help entry fits at 1024 px, the sensitive screen hides the picture,
About names every dependency and model with its licence, the settings speak plainly."""

from __future__ import annotations

import re
from pathlib import Path

from gui_helpers import gps_jpeg, wait_idle
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractButton, QLabel, QToolButton

from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.export.consent import ConsentAnswer, ConsentItem, ConsentRequest
from share_guard.core.family.records import ConsentLog, build_record
from share_guard.gui.dialogs.about_dialog import AboutDialog
from share_guard.gui.dialogs.consent_records_dialog import ConsentRecordsDialog
from share_guard.gui.dialogs.policy_dialog import PolicyDialog
from share_guard.gui.dialogs.sensitive_warning import SensitiveWarning
from share_guard.gui.service import Service

ROOT = Path(__file__).resolve().parents[2]


def test_the_help_entry_is_always_visible(qtbot, window, tmp_path):
    window.open_paths([gps_jpeg(tmp_path / "a.jpg")])
    wait_idle(qtbot, window, 1)
    for width, height in ((1024, 640), (820, 540), (1440, 900)):
        window.resize(width, height)
        qtbot.waitUntil(lambda w=width: window.width() == w, timeout=2000)
        help_button = window.help_button()
        assert help_button is not None
        qtbot.waitUntil(help_button.isVisible, timeout=2000)
        assert window.toolbar.rect().contains(help_button.geometry()), width
        chevron = window.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        if width >= 1024:  # everything fits: nothing hides behind the overflow chevron
            assert chevron is None or not chevron.isVisible(), width


def test_the_sensitive_screen_is_opaque(qtbot, window, tmp_path):
    window.open_paths([gps_jpeg(tmp_path / "red.jpg", size=(640, 480), color=(255, 0, 0))])
    wait_idle(qtbot, window, 1)
    view = window.inspector.preview.view
    qtbot.waitUntil(lambda: view.pixmap is not None, timeout=5000)
    centre = view.mapTo(window, view.picture_rect().center().toPoint())
    before = QColor(window.grab().toImage().pixel(centre))
    assert before.red() > 200 and before.green() < 60  # the red photo shows
    warning = SensitiveWarning(window, mode="gate").launch()
    assert warning.autoFillBackground()
    shot = window.grab().toImage()
    background = warning.palette().color(QPalette.ColorRole.Window)
    for point in (QPoint(5, 5), QPoint(window.width() - 5, window.height() - 5)):
        seen = QColor(shot.pixel(point))
        assert abs(seen.red() - background.red()) <= 2, point  # its own, opaque colour
        assert abs(seen.green() - background.green()) <= 2, point
    area = view.picture_rect().toRect().translated(view.mapTo(window, QPoint(0, 0)))
    red = [(x, y) for x in range(area.left(), area.right(), 7) for y in range(area.top(),
           area.bottom(), 7) if QColor(shot.pixel(x, y)).red() > 200
           and QColor(shot.pixel(x, y)).green() < 60]
    assert red == []  # not a trace of the picture behind it


def _readme_components() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| dependency |"):]
    rows = []
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append((cells[0].replace("`", ""), cells[3]))
    return rows


def test_about_lists_every_dependency_and_model_with_its_licence(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert dialog.tabs.tabText(1) == "Third-party licences"
    assert dialog.licences.rows == _readme_components()
    names = " ".join(name for name, _licence in dialog.licences.rows)
    for model in ("CenterFace", "open_nsfw"):  # the models shipped, not only the code
        assert model in names
    text = " ".join(lab.text() for lab in dialog.licences.findChildren(QLabel))
    assert "MIT licence" in text and "LGPL-3.0" in text


def test_protection_settings_speak_plainly_with_one_save(qtbot, tmp_path):
    service = Service(build_engine(Features(isolated=False, data_dir=tmp_path / "data")))
    try:
        dialog = PolicyDialog(service)
        qtbot.addWidget(dialog)
        words = [w.text() for w in dialog.findChildren(QAbstractButton)] + \
            [w.text() for w in dialog.findChildren(QLabel)]
        assert not [w for w in words if re.search(r"--\w|flag\b", w)], words
        saves = [w for w in dialog.findChildren(QAbstractButton) if "Save" in w.text()]
        assert [b.text() for b in saves] == ["Save"]
        assert dialog.checks["neutral_names"].text().startswith("Name clean copies")
    finally:
        service.close()


def test_a_declined_consent_record_says_it_was_not_given(qtbot, tmp_path):
    log = ConsentLog(tmp_path / "data")
    request = ConsentRequest((ConsentItem("a.jpg", "image", ("Location: GPS",)),))
    log.add(build_record(request, ConsentAnswer(False, (), "dialog"), []))
    dialog = ConsentRecordsDialog(log, confirm=lambda q: True)
    qtbot.addWidget(dialog)
    assert "Consent not given (asked in the app)" in dialog.detail.text()
    assert "Consent given" not in dialog.detail.text()
