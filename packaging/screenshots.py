"""Render the AppStream screenshots from the real window (offscreen Qt, generated photos).

    PYTHONPATH=. QT_QPA_PLATFORM=offscreen python packaging/screenshots.py [OUT_DIR]

Writes ``main-window.png`` (a checked photo: what it gives away, the face found) and
``consent.png`` (the consent questions before a safe copy is written) to OUT_DIR
(default ``resources/screenshots``), which the metainfo file points at. The photos are
made here: NASA's astronaut portrait from scikit-image (public domain) and a street scene
drawn in code, with GPS, a camera serial, an owner name and dates written by piexif.
Settings and data go to a temporary folder; nothing is written anywhere else.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1240, 780  # the window's own default size; AppStream wants 16:9-ish >= 620 wide


def _photo(path: Path, rgb, *, artist: bytes, lat: tuple[int, int, int], lon: tuple[int, int, int],
           model: bytes) -> Path:
    import piexif
    from PIL import Image

    exif = {
        "0th": {piexif.ImageIFD.Make: b"Apple", piexif.ImageIFD.Model: model,
                piexif.ImageIFD.Artist: artist, piexif.ImageIFD.Software: b"17.4.1",
                piexif.ImageIFD.Orientation: 1},
        "Exif": {piexif.ExifIFD.DateTimeOriginal: b"2024:06:14 17:42:09",
                 piexif.ExifIFD.BodySerialNumber: b"F2LXK7QJHG7F",
                 piexif.ExifIFD.LensModel: model + b" back camera 4.2mm f/1.6"},
        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLongitudeRef: b"W",
                piexif.GPSIFD.GPSLatitude: tuple((v, 1) for v in lat),
                piexif.GPSIFD.GPSLongitude: tuple((v, 1) for v in lon)},
    }
    Image.fromarray(rgb).save(path, "JPEG", quality=92, exif=piexif.dump(exif))
    return path


def _street(width: int = 1200, height: int = 800):
    import numpy as np

    y, x = np.mgrid[0:height, 0:width]
    sky = np.stack([150 + 60 * y / height, 185 + 40 * y / height, 235 - 20 * y / height], -1)
    img = sky.astype(np.uint8)
    for i, left in enumerate(range(40, width, 190)):  # houses
        top = 300 + (i * 53) % 120
        img[top:height, left : left + 160] = ((170 + i * 23) % 255, 120 + i * 9, 90 + i * 17)
        for wy in range(top + 30, height - 140, 90):
            for wx in (left + 25, left + 95):
                img[wy : wy + 45, wx : wx + 40] = (235, 225, 170)
    img[height - 110 :] = (95, 95, 100)  # road
    return img


def _wait(app, until, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not until():
        if time.monotonic() > end:
            raise TimeoutError("the window did not settle")
        app.processEvents()
        time.sleep(0.02)


def _settle(app) -> None:
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)


def _over(backdrop, dialog):
    """The dialog centred over the dimmed window, as a desktop shows a modal dialog."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QPainter

    shot = backdrop.copy()
    painter = QPainter(shot)
    painter.fillRect(shot.rect(), QColor(0, 0, 0, 90))
    x = (shot.width() - dialog.width()) // 2
    y = (shot.height() - dialog.height()) // 3
    for grow, alpha in ((6, 25), (3, 45), (1, 80)):
        painter.fillRect(QRect(x - grow, y - grow + 2, dialog.width() + 2 * grow,
                               dialog.height() + 2 * grow), QColor(0, 0, 0, alpha))
    painter.drawPixmap(x, y, dialog)
    painter.end()
    return shot


def main(out: Path) -> int:
    from PySide6.QtCore import QSettings
    from skimage import data

    from share_guard.gui.app import build_service, make_application
    from share_guard.gui.main_window import MainWindow
    from share_guard.gui.settings import Settings

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sg-shots-") as tmp:
        work = Path(tmp)
        os.environ["SHARE_GUARD_HOME"] = str(work / "data")
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "qs"))
        app = make_application([sys.argv[0], "-platform", os.environ["QT_QPA_PLATFORM"]])
        photos = work / "Photos to share"
        photos.mkdir()
        portrait = _photo(photos / "IMG_2041.jpg", data.astronaut(), artist=b"Jane Doe",
                          lat=(40, 44, 54), lon=(73, 59, 8), model=b"iPhone 13")
        _photo(photos / "IMG_2042.jpg", _street(), artist=b"Jane Doe", lat=(40, 44, 49),
               lon=(73, 59, 11), model=b"iPhone 13")
        safe = work / "Safe copies"
        safe.mkdir()
        settings = Settings()
        settings.output_dir = safe
        window = MainWindow(build_service(work / "data"), settings)
        window.resize(WIDTH, HEIGHT)
        window.show()
        window.open_paths([photos])
        _wait(app, lambda: len(window.session.entries) == 2
              and not any(e.busy for e in window.session.entries) and window.actions_settled())
        entry = next(e for e in window.session.entries if e.path == portrait)
        window.file_list.select_entry(entry)
        _wait(app, lambda: window.inspector.entry is entry
              and window.inspector.preview.view.pixmap is not None)
        # the folder line shows a person's folder, not this script's temporary one
        window.export_bar.set_folder(Path("/home/jane/Pictures/Safe copies"))
        _settle(app)
        backdrop = window.grab()
        backdrop.save(str(out / "main-window.png"))

        window.export_selected()
        _wait(app, lambda: any(d.isVisible() for d in window.dialogs.open_dialogs))
        dialog = next(d for d in window.dialogs.open_dialogs if d.isVisible())
        _settle(app)
        _over(backdrop, dialog.grab()).save(str(out / "consent.png"))
        dialog.reject()
        window.session.shutdown(10_000)
        window.close()
    for name in ("main-window.png", "consent.png"):
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "resources" / "screenshots"))
