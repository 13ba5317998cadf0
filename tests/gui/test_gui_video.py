"""A video: a frame for the thumbnail and preview, a scrubber, and a clean copy."""

from __future__ import annotations

import pytest
from gui_helpers import consent_dialog, wait_idle
from PySide6.QtWidgets import QCheckBox

from share_guard.core.inspect import inspect

av = pytest.importorskip("av")
frames = pytest.importorskip("share_guard.core.media.frames")
from tests.video_fixtures import make_video  # noqa: E402


def test_video_preview_scrubber_and_export(qtbot, window, dialogs, tmp_path):
    clip = make_video(tmp_path / "clip.mkv", frames=30, rate=10, size=(96, 64), acodec=None,
                      metadata={"title": "Our trip", "comment": "made by Jane"})
    original = clip.read_bytes()
    window.open_paths([clip])
    wait_idle(qtbot, window, 1)
    entry = window.session.entries[0]
    assert entry.report.kind == "video" and entry.report.leaks()
    assert entry.thumbnail is not None and entry.thumbnail.width() == 96

    panel = window.inspector.preview
    qtbot.waitUntil(lambda: panel.view.pixmap is not None, timeout=5000)
    assert panel.view.full_size == (96, 64)
    assert panel.slider.isVisibleTo(panel)
    first = panel._time
    with qtbot.waitSignal(window.session.preview_ready, timeout=5000):
        panel.slider.setValue(800)
    assert panel._time is not None and panel._time > first + 1.0
    assert panel.time_label.text() == "0:02 / 0:03"

    window.export_action.trigger()
    qtbot.waitUntil(lambda: consent_dialog(window) is not None, timeout=5000)
    dialog = consent_dialog(window)
    for box in dialog.findChildren(QCheckBox):
        box.click()
    with qtbot.waitSignal(window.session.export_finished, timeout=10_000):
        dialog.confirm_button.click()
    assert entry.result.ok, entry.result.reason
    assert not inspect(entry.result.output).leaks()
    assert clip.read_bytes() == original
