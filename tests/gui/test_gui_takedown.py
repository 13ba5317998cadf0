"""A file on the local takedown list is shown as blocked and cannot be exported."""

from __future__ import annotations

import piexif
from gui_helpers import wait_idle
from PIL import Image
from skimage import data as skdata

from share_guard.core.takedown.hashfile import entries_for_file
from share_guard.core.takedown.store import TakedownStore, default_path
from share_guard.gui.app import build_service
from share_guard.gui.main_window import MainWindow


def test_listed_photo_is_blocked_in_the_window(qtbot, tmp_path, dialogs):
    from share_guard.gui.settings import Settings

    data = tmp_path / "data"
    data.mkdir()
    gps = piexif.dump({"GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N",
                               piexif.GPSIFD.GPSLatitude: ((52, 1), (30, 1), (0, 1))}})
    listed, other = tmp_path / "listed.jpg", tmp_path / "other.jpg"
    Image.fromarray(skdata.coffee()).save(listed, "JPEG", quality=90, exif=gps)
    Image.fromarray(skdata.chelsea()).save(other, "JPEG", quality=90, exif=gps)
    store = TakedownStore(default_path(data))
    store.add(entries_for_file(listed, label="reported image", source="family"))
    store.close()
    # the same picture, smaller and re-encoded under another name, is still a match
    with Image.open(listed) as img:
        img.resize((300, 200)).save(tmp_path / "copy.jpg", "JPEG", quality=60)

    window = MainWindow(build_service(data), Settings(), dialogs)
    qtbot.addWidget(window)
    window.show()
    window.open_paths([listed, tmp_path / "copy.jpg", other])
    wait_idle(qtbot, window, 3, timeout=60_000)
    badges = {e.path.name: window.file_list.status_text(e) for e in window.session.entries}
    assert badges["listed.jpg"] == "On the takedown list"
    assert badges["copy.jpg"] == "On the takedown list"
    assert badges["other.jpg"] != "On the takedown list"
    # one finding per listed item, however many of its hashes matched
    listed_entry = next(e for e in window.session.entries if e.path.name == "listed.jpg")
    window.file_list.select_entry(listed_entry)
    section = next(s for s in window.inspector.findings.sections if s.group.key == "takedown")
    assert len(section.rows) == 1 and section.count.text() == "1"
    # nothing offers to save a blocked file on its own
    for name, allowed in (("listed.jpg", False), ("other.jpg", True)):
        row = next(i for i, e in enumerate(window.session.entries) if e.path.name == name)
        window.file_list.set_current_row(row)
        qtbot.waitUntil(window.actions_settled)
        assert window.inspector.export_button.isEnabled() is allowed
        assert window.export_action.isEnabled() is allowed
    assert window.session.shutdown(10_000)
