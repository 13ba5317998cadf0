"""A photo's picture is decoded once while its pixels are looked at, not once per progress
report: each extra decode of a large photo took a worker and a core from the face search."""

from __future__ import annotations

import time

from busy_analyzer import BusyAnalyzer
from gui_helpers import gps_jpeg, wait_idle

from share_guard.gui.service import Service
from share_guard.gui.session import Session


def test_the_picture_is_decoded_once_while_the_scan_reports_progress(
        qtbot, make_window, tmp_path, monkeypatch):
    requests: list[object] = []
    real_request, real_preview = Session.request_preview, Service.preview

    def counted(self, entry, *args, **kwargs):
        requests.append(entry)
        return real_request(self, entry, *args, **kwargs)

    def slow_preview(self, *args, **kwargs):  # a large photo: its decode takes a while
        time.sleep(0.4)
        return real_preview(self, *args, **kwargs)

    monkeypatch.setattr(Session, "request_preview", counted)
    monkeypatch.setattr(Service, "preview", slow_preview)
    window = make_window(content=[BusyAnalyzer(1.5)])  # a scan that reports progress often
    photo = gps_jpeg(tmp_path / "photo.jpg")
    window.open_paths([photo])
    qtbot.waitUntil(lambda: bool(window.session.entries), timeout=5000)
    window.file_list.select_entry(window.session.entries[0])
    wait_idle(qtbot, window, 1, timeout=30_000)
    qtbot.waitUntil(lambda: window.inspector.preview.view.pixmap is not None, timeout=10_000)
    assert len(requests) == 1, f"{len(requests)} decodes of one photo's picture"
