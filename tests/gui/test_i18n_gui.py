"""The window in another language: every text a person reads comes from the catalog (here a
pseudo-translated one, "⟦TEXT⟧"), Qt's own buttons too; Urdu mirrors the window; the
language menu remembers a choice and restarts with the files reopened; a missing font is
named; screenshots render."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from gui_helpers import consent_dialog, gps_jpeg, wait_idle
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QWidget,
)

from share_guard.core import i18n
from share_guard.core.report import Category
from share_guard.gui import language, qt_texts

ROOT = Path(__file__).resolve().parents[2]
OPEN = "\u27e6"
#: what a screen may show untranslated: data (names of files and formats, numbers, the
#: app's name, languages named in themselves)
DATA = re.compile(r"^[\s\d.,:%()+\-–—…/\u2068\u2069]*$")


def _pseudo(text: str) -> str:
    from i18n_fixtures import pseudo

    return pseudo(text)


def mark_core(*texts: str) -> None:
    """Add the core's English texts the catalog lacks (the core's own marking lands on its
    own branch), so the test checks that the window passes them through translated()."""
    catalog = i18n._current._catalog  # type: ignore[attr-defined]
    for text in texts:
        if text:
            catalog.setdefault(text, _pseudo(text))
    i18n.translated.cache_clear()
    i18n._templates.cache_clear()


def english_left(root: QWidget, allowed: set[str]) -> list[str]:
    """Visible texts that are neither translated nor data."""
    found: list[str] = []

    def check(text: str) -> None:
        text = text.replace("&", "").strip()
        if not text or text.startswith(OPEN) or DATA.match(text) or text in allowed:
            return
        if any(word in text for word in allowed if len(word) > 3):  # a file name alone
            rest = text
            for word in allowed:
                rest = rest.replace(word, "")
            if DATA.match(rest):
                return
        found.append(text)

    for label in root.findChildren(QLabel):
        if label.isVisibleTo(root):
            check(label.text())
    for button in root.findChildren(QAbstractButton):
        if button.isVisibleTo(root):
            check(button.text())
    for box in root.findChildren(QComboBox):
        if box.isVisibleTo(root):
            for i in range(box.count()):
                check(box.itemText(i))
    return found


@pytest.fixture
def qt_bridge(qapp, pseudo_language):
    """Qt's standard texts answered from the (pseudo) catalog, as the app does at start."""
    qt_texts.install(qapp, pseudo_language)
    yield
    qt_texts.install(qapp, "en")


@pytest.fixture
def urdu(qapp, tmp_path_factory, monkeypatch):
    """Urdu with a pseudo catalog, started as the app starts (the window mirrors)."""
    from i18n_fixtures import pseudo_locale

    folder = pseudo_locale(tmp_path_factory.mktemp("ur"), code="ur")
    monkeypatch.setattr(i18n, "locale_dir", lambda: folder)
    assert language.start(qapp, None, "ur_PK.UTF-8") == "ur"
    yield "ur"
    i18n.set_language("en")
    language.start(qapp, None, "en")
    assert qapp.layoutDirection() == Qt.LayoutDirection.LeftToRight


def _open_gps(qtbot, window, dialogs, tmp_path):
    dialogs.files = [gps_jpeg(tmp_path / "holiday.jpg")]
    window.open_action.trigger()
    wait_idle(qtbot, window, 1)
    return window.session.entries[0]


def test_nothing_in_the_app_escapes_extraction():
    sys.path.insert(0, str(ROOT / "packaging"))
    import i18n as workflow

    assert [p for p in workflow.unextractable() if "share_guard/gui/" in p] == []


def test_toolbar_menus_and_empty_window_are_translated(pseudo_language, make_window):
    window = make_window()
    actions = [window.open_action, window.export_action, window.export_all_action,
               window.remove_action, window.recheck_action, window.help_action,
               window.about_action, window.next_action, window.prev_action]
    for action in actions:
        assert action.text().startswith(OPEN), action.text()
        assert action.toolTip().startswith(OPEN), action.toolTip()
    menu_texts = [a.text() for a in window.settings_menu.actions() if not a.isSeparator()]
    assert all(t.startswith(OPEN) for t in menu_texts), menu_texts
    assert window.settings_button.text().startswith(OPEN)
    left = english_left(window, {"share_guard"})
    assert left == [], left


def test_findings_of_a_gps_photo_are_translated(qtbot, pseudo_language, make_window, dialogs,
                                                tmp_path):
    window = make_window()
    entry = _open_gps(qtbot, window, dialogs, tmp_path)
    report = entry.report
    mark_core(*(c.label for c in Category),
              *(f.name for f in report.findings), *(f.explanation for f in report.findings))
    window.inspector.findings.set_report(report)
    sections = window.inspector.findings.sections
    assert sections, "no findings shown"
    location = sections[0]
    assert location.title.text() == _pseudo("Location")
    assert location.blurb.text().startswith(OPEN)
    for section in sections:
        for row in section.rows:
            text = row.text.text()
            # "⟦NAME⟧: value — ⟦WHY IT MATTERS⟧": the name and explanation translated
            assert text.startswith(OPEN), text
            assert text.rstrip().endswith("\u27e7"), text
    status = window.file_list.status_text(entry)
    assert status.startswith(OPEN) and "6" in status
    reason = window.file_list.reason_text(entry)
    assert reason.startswith(OPEN), reason


def test_consent_dialog_is_translated(qtbot, qt_bridge, make_window, dialogs, tmp_path):
    from share_guard.core.export.consent import CONFIRMATIONS, REMINDER

    window = make_window()
    entry = _open_gps(qtbot, window, dialogs, tmp_path)
    mark_core(*(c.label for c in Category), *(f.name for f in entry.report.findings),
              *CONFIRMATIONS.values(), REMINDER)
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    assert dialog.windowTitle().startswith(OPEN)
    assert all(b.text().startswith(OPEN) for b in dialog.findChildren(QCheckBox))
    assert dialog.confirm_button.text().startswith(OPEN)
    assert dialog.cancel_button.text().startswith(OPEN)
    left = english_left(dialog, {"holiday.jpg"})
    assert left == [], left
    dialog.reject()


def test_qt_standard_buttons_come_from_our_catalog(qtbot, qt_bridge):
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel
                           | QDialogButtonBox.StandardButton.Close)
    qtbot.addWidget(box)
    texts = [b.text() for b in box.buttons()]
    assert sorted(texts) == sorted([_pseudo("OK"), _pseudo("Cancel"), _pseudo("Close")])
    # other Qt texts are left to Qt (not answered from our catalog)
    assert QCoreApplication.translate("QSomethingElse", "OK") == "OK"


def test_qt_ships_its_own_words_for_some_languages_only():
    assert qt_texts.has_qt_translation("fr") and qt_texts.has_qt_translation("pt_BR")
    assert not qt_texts.has_qt_translation("hi")


def test_qt_own_french_is_loaded_where_qt_ships_it(qtbot, qapp):
    try:
        installed = qt_texts.install(qapp, "fr")
        assert len(installed) == 2  # our bridge, and Qt's own qtbase_fr.qm over it
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        qtbot.addWidget(box)
        assert box.buttons()[0].text().replace("&", "") == "Annuler"
    finally:
        qt_texts.install(qapp, "en")


def test_english_installs_no_translator(qapp):
    assert qt_texts.install(qapp, "en") == []
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
    assert box.buttons()[0].text().replace("&", "") == "OK"
    box.deleteLater()


def test_urdu_mirrors_the_window_and_the_consent_dialog(qtbot, urdu, make_window, dialogs,
                                                         tmp_path):
    window = make_window()
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.open_action.text().startswith(OPEN)
    entry = _open_gps(qtbot, window, dialogs, tmp_path)
    # a file name inside a sentence is isolated, so it reads the right way round
    assert i18n.isolate("holiday.jpg") == "\u2068holiday.jpg\u2069"
    assert window.file_list.view.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.inspector.findings.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert entry.report is not None
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    assert dialog.layoutDirection() == Qt.LayoutDirection.RightToLeft
    dialog.reject()
    window.dialogs.show_help(window)
    from share_guard.gui.dialogs.help_page import HelpPage

    page = next(d for d in window.dialogs.open_dialogs if isinstance(d, HelpPage))
    assert page.layoutDirection() == Qt.LayoutDirection.RightToLeft


def test_start_uses_the_remembered_language(qapp, tmp_path, pseudo_language):
    i18n.remember(tmp_path, "hi")
    try:
        assert language.start(qapp, tmp_path) == "hi"
        assert qapp.layoutDirection() == Qt.LayoutDirection.LeftToRight
        assert qapp.findChildren(qt_texts.CatalogTranslator)
    finally:
        qt_texts.install(qapp, "en")


def test_language_menu_remembers_and_offers_a_restart(qtbot, make_window, dialogs, tmp_path,
                                                      monkeypatch):
    window = make_window()
    _open_gps(qtbot, window, dialogs, tmp_path)
    menu = window.language_menu
    assert isinstance(menu, QMenu) and menu.menuAction() in window.settings_menu.actions()
    names = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert names[0] == "Follow the system" and "हिन्दी" in names and "اردو" in names
    assert menu.choices[language.SYSTEM].isChecked()
    data = window.session.service.data_dir()

    menu.choices["ta"].trigger()
    assert i18n.remembered(data) == "ta"
    assert menu.choices["ta"].isChecked()
    prompt = menu.prompt
    assert prompt is not None and prompt.isVisible()
    assert "next start" in prompt.text()
    assert "areas you drew" in prompt.informativeText()  # what a restart does not keep
    assert menu.restart_button.text() == "Restart now"

    started: list[tuple[str, list[str]]] = []
    quits: list[bool] = []
    menu.starter = lambda program, args: started.append((program, args)) or True
    monkeypatch.setattr(QCoreApplication, "quit", lambda: quits.append(True))
    qtbot.mouseClick(menu.restart_button, Qt.MouseButton.LeftButton)
    assert quits == [True]
    program, args = started[0]
    assert program == sys.executable
    assert args[:5] == ["-m", "share_guard", "--data-dir", str(data), "gui"]
    assert args[5:] == ["--", str(tmp_path / "holiday.jpg")]  # the listed file is reopened

    menu.choose(language.SYSTEM)
    assert i18n.remembered(data) is None
    menu.prompt.close()


def test_a_failed_restart_keeps_the_window(qtbot, make_window, monkeypatch):
    window = make_window()
    menu = window.language_menu
    menu.choose("fr")
    menu.starter = lambda program, args: False
    monkeypatch.setattr(QCoreApplication, "quit", lambda: pytest.fail("quit after a failure"))
    assert menu.restart() is False
    assert window.isVisible()
    assert menu.prompt is not None and menu.prompt.objectName() == "language_restart_failed"
    menu.prompt.close()


def test_no_restart_while_copies_are_being_saved(qtbot, make_window, monkeypatch):
    window = make_window()
    menu = window.language_menu
    menu.choose("es")
    menu.busy = lambda: True
    menu.starter = lambda program, args: pytest.fail("restarted while saving")
    assert menu.restart() is False
    assert "being saved" in menu.prompt.text()
    menu.prompt.close()


def test_restart_command_without_files_opens_an_empty_window(tmp_path):
    program, args = language.restart_command(tmp_path, [])
    assert args == ["-m", "share_guard", "--data-dir", str(tmp_path), "gui"]


def test_a_missing_font_is_named_once(pseudo_language, make_window, monkeypatch):
    monkeypatch.setattr(language, "families", lambda script: [])
    hint = language.font_hint()
    assert "Devanagari" in hint and "fonts-noto-core" in hint
    assert "google-noto-sans-devanagari-fonts" in hint
    window = make_window()
    assert window.font_hint is not None and window.font_hint.isVisibleTo(window)
    assert window.font_hint.label.text() == hint


def test_no_font_hint_when_the_font_is_there(pseudo_language, make_window, monkeypatch):
    monkeypatch.setattr(language, "families", lambda script: ["Noto Sans Devanagari"])
    assert language.font_hint() == ""
    assert make_window().font_hint is None
    assert language.font_hint("en", lambda script: []) == ""  # Latin needs no check


def test_the_fonts_this_machine_has_are_found(qapp):
    # fonts-noto-core is installed here (CI installs it too): every script we ship has one
    missing = {s for s in set(i18n.SCRIPTS.values()) if not language.families(s)}
    assert missing == set(), f"no font for {missing}: apt-get install fonts-noto-core"


@pytest.mark.parametrize("lang", ["hi", "ur"])
def test_screenshots_in_another_language(qtbot, request, lang, make_window, dialogs, tmp_path,
                                         monkeypatch):
    """The window with a checked photo, saved as PNGs (offscreen): the pseudo language's
    texts, and Urdu mirrored."""
    request.getfixturevalue("pseudo_language" if lang == "hi" else "urdu")
    window = make_window()
    window.resize(1240, 780)
    _open_gps(qtbot, window, dialogs, tmp_path)
    qtbot.wait(50)
    # SHARE_GUARD_SHOTS=folder keeps them (to look at, or for the issue); else a temp folder
    shots = Path(os.environ.get("SHARE_GUARD_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / f"window_{lang}.png"
    assert window.grab().save(str(path))
    image = window.grab().toImage()
    assert (image.width(), image.height()) == (window.width(), window.height())
    assert path.stat().st_size > 10_000
    mirrored = window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert mirrored is (lang == "ur")
    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    assert (dialog.layoutDirection() == Qt.LayoutDirection.RightToLeft) is mirrored
    qtbot.wait(50)
    assert dialog.grab().save(str(shots / f"consent_{lang}.png"))
    dialog.reject()
    if mirrored:  # the file list is on the right, the inspector on the left
        assert window.file_list.mapTo(window, window.file_list.rect().topLeft()).x() > \
            window.inspector.mapTo(window, window.inspector.rect().topLeft()).x()
    assert QApplication.instance() is not None


def test_the_english_check_sees_english(make_window):
    """The helper the tests above rely on does find English (so an empty list means it)."""
    left = english_left(make_window(), {"share_guard"})
    assert any("Drop photos or videos" in t for t in left), left
