"""Family protection in the app: parent prompt, sensitive warning, settings, consent records."""

from __future__ import annotations

import json
import threading

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QDialog, QPushButton, QWidget  # noqa: E402

from share_guard.core.engine.compose import Features, build_engine  # noqa: E402
from share_guard.core.export.consent import ConsentAnswer, ConsentItem, ConsentRequest  # noqa: E402
from share_guard.core.family import lock  # noqa: E402
from share_guard.core.family.lock import load_state, lock_policy  # noqa: E402
from share_guard.core.family.policy import PRESETS  # noqa: E402
from share_guard.core.family.records import ConsentLog, build_record  # noqa: E402
from share_guard.core.progress import CancelToken  # noqa: E402
from share_guard.gui.dialogs.consent_records_dialog import ConsentRecordsDialog  # noqa: E402
from share_guard.gui.dialogs.parent_prompt import ParentPrompt  # noqa: E402
from share_guard.gui.dialogs.policy_dialog import PolicyDialog  # noqa: E402
from share_guard.gui.dialogs.sensitive_warning import SensitiveWarning  # noqa: E402
from share_guard.gui.service import Service  # noqa: E402
from share_guard.gui.workers import ParentBridge  # noqa: E402

PASS = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    monkeypatch.setattr(lock, "SCRYPT_N", 2**10)


# -- "A parent is here" -----------------------------------------------------------------------

def test_parent_prompt_returns_what_was_typed(qtbot):
    prompt = ParentPrompt("A parent needs to agree\nThat passphrase was not right. Try again.")
    qtbot.addWidget(prompt)
    prompt.launch()
    assert not prompt.ok_button.isEnabled()
    assert prompt.note.isVisibleTo(prompt) and "not right" in prompt.note.text()
    qtbot.keyClicks(prompt.field, PASS)
    assert prompt.field.echoMode() == prompt.field.EchoMode.Password
    qtbot.mouseClick(prompt.ok_button, Qt.MouseButton.LeftButton)
    assert prompt.result() == QDialog.DialogCode.Accepted
    assert prompt.passphrase() == PASS


def test_parent_prompt_cancel_gives_nothing_and_forgets_the_text(qtbot):
    prompt = ParentPrompt("A parent needs to agree")
    qtbot.addWidget(prompt)
    prompt.launch()
    qtbot.keyClicks(prompt.field, "half typed")
    qtbot.mouseClick(prompt.cancel_button, Qt.MouseButton.LeftButton)
    assert prompt.passphrase() is None and prompt.field.text() == ""


def test_parent_bridge_carries_the_question_across_threads(qtbot):
    bridge = ParentBridge(CancelToken())
    asked = []
    bridge.requested.connect(lambda message, reply: (asked.append(message), reply(PASS)))
    got = []
    worker = threading.Thread(target=lambda: got.append(bridge.ask("may show nudity")))
    worker.start()
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    worker.join()
    assert got == [PASS] and asked == ["may show nudity"]


def test_parent_bridge_cancelled_export_means_no_parent(qtbot):
    token = CancelToken()
    bridge = ParentBridge(token)
    bridge.requested.connect(lambda message, reply: token.cancel())  # nobody answers
    got = []
    worker = threading.Thread(target=lambda: got.append(bridge.ask("?")))
    worker.start()
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    worker.join()
    assert got == [None]
    with pytest.raises(RuntimeError):
        bridge.ask("not on the GUI thread")


# -- the full-window warning ------------------------------------------------------------------

@pytest.fixture
def window(qtbot):
    w = QWidget()
    qtbot.addWidget(w)
    w.resize(900, 640)
    w.show()
    return w


def test_warning_covers_the_window_and_speaks_calmly(qtbot, window):
    warning = SensitiveWarning(window, mode="gate").launch()
    assert warning.geometry() == window.rect()
    window.resize(1000, 700)
    qtbot.waitUntil(lambda: warning.geometry() == window.rect(), timeout=2000)
    assert warning.heading.text() == "This may show someone without clothes."
    assert "can hurt them and may be illegal, even if it's you" in warning.body.text()
    names = [b.text() for b in warning.findChildren(QPushButton)]
    assert names[:3] == ["Don't share", "Talk to someone you trust", "Get help"]
    assert warning.way_on is not None and warning.way_on.text() == "A parent is here"
    assert warning.dont_share.hasFocus() or warning.dont_share.isDefault()


@pytest.mark.parametrize("mode, way_on", [("gate", "A parent is here"), ("warn", "Share anyway"),
                                          ("block", None)])
def test_way_on_depends_on_the_policy(window, mode, way_on):
    warning = SensitiveWarning(window, mode=mode)
    assert (warning.way_on.text() if warning.way_on else None) == way_on


def test_warning_buttons(qtbot, window):
    warning = SensitiveWarning(window, mode="gate").launch()
    with qtbot.waitSignal(warning.help_requested, timeout=1000):
        qtbot.mouseClick(warning.help, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(warning.talk, Qt.MouseButton.LeftButton)
    assert warning.talk_text.isVisible() and "adult you trust" in warning.talk_text.text()
    assert warning.isVisible()  # neither closes the warning
    with qtbot.waitSignal(warning.chosen, timeout=1000) as sig:
        qtbot.mouseClick(warning.way_on, Qt.MouseButton.LeftButton)
    assert sig.args == ["parent"]


@pytest.mark.parametrize("how", ["button", "escape"])
def test_dont_share_is_the_easy_way_out(qtbot, window, how):
    warning = SensitiveWarning(window, mode="warn").launch()
    with qtbot.waitSignal(warning.chosen, timeout=1000) as sig:
        if how == "button":
            qtbot.mouseClick(warning.dont_share, Qt.MouseButton.LeftButton)
        else:
            qtbot.keyClick(warning, Qt.Key.Key_Escape)
    assert sig.args == ["dont_share"] and warning.choice == "dont_share"


# -- protection settings ----------------------------------------------------------------------

class Asker:
    def __init__(self, *answers):
        self.answers, self.asked = list(answers), []

    def __call__(self, message):
        self.asked.append(message)
        return self.answers.pop(0) if self.answers else None


@pytest.fixture
def service(tmp_path):
    service = Service(build_engine(Features(isolated=False, data_dir=tmp_path / "data")))
    yield service
    service.close()


def _finished(qtbot, dialog, start) -> bool:
    """Start a save/lock/unlock (it runs on a worker thread) and wait for how it ended."""
    with qtbot.waitSignal(dialog.action_done, timeout=10_000) as done:
        assert start() is True
    return done.args[0]


def test_set_up_the_family_preset_with_a_passphrase(qtbot, service):
    dialog = PolicyDialog(service, ask_passphrase=Asker())
    qtbot.addWidget(dialog)
    assert "Not set" in dialog.status.text()
    qtbot.mouseClick(dialog.family_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.new1, PASS)
    qtbot.keyClicks(dialog.new2, PASS)
    assert _finished(qtbot, dialog, lambda: qtbot.mouseClick(
        dialog.lock_button, Qt.MouseButton.LeftButton) or True) is True
    state = load_state()
    assert state.status == "locked" and state.policy == PRESETS["family"]
    assert "Locked" in dialog.status.text() and dialog.new1.text() == ""


def test_mismatched_new_passphrases_lock_nothing(qtbot, service):
    dialog = PolicyDialog(service, ask_passphrase=Asker())
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.new1, PASS)
    qtbot.keyClicks(dialog.new2, PASS + "!")
    assert dialog.lock() is False
    assert load_state().status == "default" and "differ" in dialog.message.text()


def test_locked_policy_cannot_be_changed_in_the_app_without_the_passphrase(qtbot, service):
    lock_policy(PRESETS["family"], PASS)
    asker = Asker(None, "wrong passphrase", PASS)
    dialog = PolicyDialog(service, ask_passphrase=asker)
    qtbot.addWidget(dialog)
    dialog.sensitive.setCurrentIndex(dialog.sensitive.findData("allow"))
    dialog.checks["ask_consent"].setChecked(False)
    assert dialog.save() is False  # cancelled the prompt: nothing started
    assert _finished(qtbot, dialog, dialog.save) is False  # wrong passphrase
    assert "not the parent passphrase" in dialog.message.text()
    assert load_state().policy == PRESETS["family"]
    assert dialog.sensitive.currentData() == "gate"  # the form shows what is really in force
    dialog.sensitive.setCurrentIndex(dialog.sensitive.findData("allow"))
    assert _finished(qtbot, dialog, dialog.save) is True
    assert load_state().policy.sensitive == "allow" and load_state().status == "locked"
    assert len(asker.asked) == 3


def test_tampered_settings_are_shown_and_a_parent_can_unlock(qtbot, service):
    lock_policy(PRESETS["family"], PASS)
    path = load_state().folders.policy_file
    doc = json.loads(path.read_text())
    doc["policy"]["sensitive"] = "allow"
    path.write_text(json.dumps(doc))
    dialog = PolicyDialog(service, ask_passphrase=Asker(PASS))
    qtbot.addWidget(dialog)
    assert "outside share_guard" in dialog.status.text()
    assert dialog.sensitive.currentData() == "block"  # strictest
    assert _finished(qtbot, dialog, dialog.unlock) is True
    assert load_state().status == "unlocked" and load_state().policy.sensitive == "block"


def test_allowed_folders_are_picked_and_saved(qtbot, tmp_path, service):
    dialog = PolicyDialog(service, ask_passphrase=Asker(), choose_folder=lambda: tmp_path)
    qtbot.addWidget(dialog)
    dialog._add_folder()
    dialog._add_folder()  # no duplicates
    assert dialog.folders.count() == 1
    assert _finished(qtbot, dialog, dialog.save) is True
    assert load_state().policy.allowed_output_folders == (str(tmp_path.resolve()),)


def test_passphrase_work_runs_off_the_gui_thread_and_the_dialog_stays_live(qtbot, service,
                                                                           monkeypatch):
    """scrypt (~64 MiB, a fraction of a second) ran on the GUI thread: the window froze."""
    lock_policy(PRESETS["family"], PASS)
    threads, release = [], threading.Event()
    real = service.save_policy

    def slow_save(policy, passphrase):
        threads.append(threading.current_thread() is threading.main_thread())
        release.wait(5)
        return real(policy, passphrase)

    monkeypatch.setattr(service, "save_policy", slow_save)
    dialog = PolicyDialog(service, ask_passphrase=Asker(PASS))
    qtbot.addWidget(dialog)
    assert dialog.save() is True
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert threads == [False] and dialog.busy()
    assert not dialog.save_button.isEnabled() and "Working" in dialog.message.text()
    assert dialog.save() is False  # one at a time
    with qtbot.waitSignal(dialog.action_done, timeout=10_000):
        release.set()
    assert dialog.save_button.isEnabled() and "Saved" in dialog.message.text()


# -- consent records --------------------------------------------------------------------------

def _records(tmp_path, n):
    log = ConsentLog(tmp_path / "data")
    request = ConsentRequest((ConsentItem("secret-name.jpg", "image", ("Location: GPS",),
                                          ("secret-name.jpg: may show nudity",), ("sensitive",)),))
    for _ in range(n):
        log.add(build_record(request, ConsentAnswer(True, request.confirmations, "dialog"), []))
    return log


def test_records_are_listed_without_file_names(qtbot, tmp_path):
    dialog = ConsentRecordsDialog(_records(tmp_path, 3), confirm=lambda q: True)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 3
    assert "Confirmed: Everyone who can be recognised" in dialog.detail.text()
    assert "may show someone without clothes" in dialog.detail.text()
    assert "secret-name" not in dialog.detail.text()


def test_records_can_be_deleted(qtbot, tmp_path):
    answers = [False, True, True]
    log = _records(tmp_path, 3)
    dialog = ConsentRecordsDialog(log, confirm=lambda q: answers.pop(0))
    qtbot.addWidget(dialog)
    dialog.list.item(0).setSelected(True)
    assert dialog.delete_selected() == 0 and len(log.list()) == 3  # said no
    assert dialog.delete_selected() == 1 and len(log.list()) == 2
    assert dialog.list.count() == 2
    assert dialog.delete_all() == 2 and log.list() == []
    assert dialog.empty.isVisibleTo(dialog) and not dialog.clear_button.isEnabled()
