"""Render the window's main states from the real widgets (offscreen Qt, generated photos).

    PYTHONPATH=. QT_QPA_PLATFORM=offscreen python packaging/screenshots.py [OUT_DIR]

With OUT_DIR, every state (:data:`STATES`: the list with a folder, findings, the people
panel, consent, the clean copy, help, protection settings, the sensitive-content screen)
is written at 1024x640 and 1440x900 as ``STATE-WxH.png``. Without it, the states the
AppStream metainfo shows (:data:`METAINFO`) are written at 1440x900 to
``resources/screenshots/STATE.png``. Every shot is also checked for clipped text
(:func:`clipped`); the test suite renders them all the same way (tests/gui/test_screenshots.py).

The photos are made here: NASA's astronaut portrait from scikit-image (public domain) and
street scenes drawn in code, with GPS, a camera serial, an owner name and dates written by
piexif, named as phones name them. Settings, data and the protection policy go to a
temporary folder; nothing is written anywhere else.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
SIZES = ((1024, 640), (1440, 900))
STATES = ("list", "findings", "people", "consent", "result", "help", "settings", "sensitive")
METAINFO = ("people", "list", "consent", "result", "sensitive")


@dataclass
class Shot:
    state: str
    size: tuple[int, int]
    path: Path
    clipped: list[str] = field(default_factory=list)


# -- what a shot must not show: text cut off ----------------------------------------------------

def clipped(root: Any) -> list[str]:
    """Visible text in ``root`` that does not fit its widget: a one-line label wider than
    itself, a wrapped label shorter than its text, a button or check box narrower than its
    text. Labels that elide on purpose (ElidedLabel: file names, folders) are allowed."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QTabBar

    from share_guard.gui.widgets.common import ElidedLabel

    found: list[str] = [f"cut by what holds it: {text!r}" for text in _cut_by_parents(root)]
    for label in root.findChildren(QLabel):
        if not label.isVisibleTo(root) or not label.text() or isinstance(label, ElidedLabel):
            continue
        if label.pixmap() is not None and not label.pixmap().isNull():
            continue
        room = label.contentsRect()
        if label.wordWrap():
            if label.heightForWidth(room.width()) > room.height() + 2:
                found.append(f"label cut at the bottom: {label.text()[:60]!r}")
        else:
            fm = label.fontMetrics()
            wide = max(fm.horizontalAdvance(line) for line in label.text().splitlines())
            if wide > room.width() + 1:
                found.append(f"label cut ({wide} > {room.width()} px): {label.text()[:60]!r}")
    for button in root.findChildren(QAbstractButton):
        if not button.isVisibleTo(root) or not button.text() or type(button).__name__ == \
                "QAbstractButton":
            continue
        if button.sizeHint().width() > button.width() + 1:
            found.append(f"button cut ({button.sizeHint().width()} > {button.width()} px): "
                         f"{button.text()[:60]!r}")
    for bar in root.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.isVisibleTo(root) and bar.tabSizeHint(i).width() > bar.tabRect(i).width() + 1:
                found.append(f"tab cut: {bar.tabText(i)!r}")
    return found


def _cut_by_parents(root: Any) -> list[str]:
    """Text widgets that run past the right edge of a widget holding them (a panel wider
    than its scroll area's view, a row of buttons wider than its panel)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QAbstractButton, QLabel

    cut: list[str] = []
    for widget in [*root.findChildren(QLabel), *root.findChildren(QAbstractButton)]:
        if not widget.isVisibleTo(root) or not widget.text() or widget.width() <= 1:
            continue
        ancestor = widget.parentWidget()
        while ancestor is not None:
            right = widget.mapTo(ancestor, QPoint(widget.width(), 0)).x()
            if right > ancestor.width() + 1:
                cut.append(widget.text()[:60])
                break
            if ancestor is root:
                break
            ancestor = ancestor.parentWidget()
    return cut


# -- the photos ------------------------------------------------------------------------------

def _photo(path: Path, rgb: Any, *, artist: bytes, lat: tuple[int, int, int],
           lon: tuple[int, int, int], model: bytes, make: bytes = b"Apple") -> Path:
    import piexif
    from PIL import Image

    exif = {
        "0th": {piexif.ImageIFD.Make: make, piexif.ImageIFD.Model: model,
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


def _street(width: int = 1200, height: int = 800, shift: int = 0) -> Any:
    import numpy as np

    y, _x = np.mgrid[0:height, 0:width]
    sky = np.stack([150 + 60 * y / height, 185 + 40 * y / height, 235 - 20 * y / height], -1)
    img = sky.astype(np.uint8)
    for i, left in enumerate(range(40, width, 190)):  # houses
        top = 300 + ((i + shift) * 53) % 120
        img[top:height, left : left + 160] = (((i + shift) * 23 + 170) % 255, 120 + i * 9,
                                             90 + i * 17)
        for wy in range(top + 30, height - 140, 90):
            for wx in (left + 25, left + 95):
                img[wy : wy + 45, wx : wx + 40] = (235, 225, 170)
    img[height - 110 :] = (95, 95, 100)  # road
    return img


def make_folder(work: Path) -> tuple[Path, Path, Path]:
    """A folder as phones and chat apps name their files: (folder, the portrait, a street
    photo); one file in it is broken."""
    from skimage import data

    photos = work / "Photos to share"
    photos.mkdir(parents=True)
    portrait = _photo(photos / "IMG_20240614_174209.jpg", data.astronaut(), artist=b"Jane Doe",
                      lat=(40, 44, 54), lon=(73, 59, 8), model=b"SM-S911B", make=b"samsung")
    street = _photo(photos / "PXL_20240614_174512345.jpg", _street(), artist=b"Jane Doe",
                    lat=(40, 44, 49), lon=(73, 59, 11), model=b"Pixel 8", make=b"Google")
    for n in range(1, 6):
        _photo(photos / f"WhatsApp Image 2024-06-1{n} at 09.1{n}.2{n}.jpeg", _street(shift=n),
               artist=b"", lat=(40, 44, 40 + n), lon=(73, 59, n), model=b"iPhone 13")
    (photos / "DSC_0042.JPG").write_bytes(b"\xff\xd8\xff\xe1\xff\xff" + bytes(40))
    return photos, portrait, street


# -- the window --------------------------------------------------------------------------------

def _wait(app: Any, until: Callable[[], bool], timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while not until():
        if time.monotonic() > end:
            raise TimeoutError("the window did not settle")
        app.processEvents()
        time.sleep(0.02)


def _settle(app: Any) -> None:
    for _ in range(15):
        app.processEvents()
        time.sleep(0.02)


def _over(backdrop: Any, dialog: Any) -> Any:
    """The dialog centred over the dimmed window, as a desktop shows a modal dialog."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QPainter

    shot = backdrop.copy()
    painter = QPainter(shot)
    painter.fillRect(shot.rect(), QColor(0, 0, 0, 90))
    x = max(0, (shot.width() - dialog.width()) // 2)
    y = max(0, (shot.height() - dialog.height()) // 3)
    for grow, alpha in ((6, 25), (3, 45), (1, 80)):
        painter.fillRect(QRect(x - grow, y - grow + 2, dialog.width() + 2 * grow,
                               dialog.height() + 2 * grow), QColor(0, 0, 0, alpha))
    painter.drawPixmap(x, y, dialog)
    painter.end()
    return shot


class Renderer:
    """Drives one window through the states and saves each one."""

    def __init__(self, app: Any, window: Any, portrait: Path, street: Path, out: Path) -> None:
        self.app, self.window, self.out = app, window, out
        self.portrait, self.street = portrait, street
        self.shots: list[Shot] = []

    def entry(self, path: Path) -> Any:
        return next(e for e in self.window.session.entries if e.path == path)

    def show(self, path: Path) -> None:
        w = self.window
        entry = self.entry(path)
        w.file_list.select_entry(entry)
        _wait(self.app, lambda: w.inspector.entry is entry
              and w.inspector.preview.view.pixmap is not None)
        _settle(self.app)

    def save(self, state: str, size: tuple[int, int], picture: Any, root: Any,
             name: str | None = None) -> None:
        path = self.out / (name or f"{state}-{size[0]}x{size[1]}.png")
        picture.save(str(path))
        self.shots.append(Shot(state, size, path, clipped(root)))

    def dialog_state(self, state: str, size: tuple[int, int], open_it: Callable[[], Any],
                     name: str | None) -> Any:
        backdrop = self.window.grab()
        dialog = open_it()
        _wait(self.app, dialog.isVisible)
        _settle(self.app)
        self.save(state, size, _over(backdrop, dialog.grab()), dialog, name)
        return dialog

    def render(self, size: tuple[int, int], states: Sequence[str], named: bool) -> None:
        w, app = self.window, self.app
        w.resize(*size)
        _settle(app)
        for state in states:
            name = f"{state}.png" if named else None
            if state == "list":
                chat = next(e.path for e in w.session.entries if e.path.name.startswith("Whats"))
                self.show(chat)
                self.save(state, size, w.grab(), w, name)
            elif state == "findings":
                self.show(self.street)
                self.save(state, size, w.grab(), w, name)
            elif state == "people":
                self.show(self.portrait)
                self.save(state, size, w.grab(), w, name)
            elif state == "consent":
                self.show(self.portrait)
                dialog = self.dialog_state(state, size, lambda: (
                    w.export_selected(), _wait(app, lambda: bool(self._open_consent())),
                    self._open_consent())[2], name)
                dialog.reject()
                _wait(app, lambda: w.session.export_run is None)
            elif state == "result":
                self._export(self.street)
                self.save(state, size, w.grab(), w, name)
            elif state == "help":
                self.dialog_state(state, size, lambda: w.dialogs.show_help(w), name).close()
            elif state == "settings":
                self.dialog_state(state, size, w.family.show_policy, name).close()
            elif state == "sensitive":
                self.show(self.portrait)
                warning = w.dialogs.show_sensitive_warning(w, "gate", 1)
                _settle(app)
                self.save(state, size, w.grab(), warning, name)
                warning.hide()
                warning.deleteLater()

    def _open_consent(self) -> Any:
        from share_guard.gui.dialogs.consent_dialog import ConsentDialog

        return next((d for d in self.window.findChildren(ConsentDialog) if d.isVisible()), None)

    def _export(self, path: Path) -> None:
        from PySide6.QtWidgets import QCheckBox

        w = self.window
        self.show(path)
        w.export_selected()
        _wait(self.app, lambda: self._open_consent() is not None)
        dialog = self._open_consent()
        for box in dialog.findChildren(QCheckBox):
            box.setChecked(True)
        dialog.confirm_button.click()
        _wait(self.app, lambda: w.session.export_run is None and self.entry(path).result)
        _wait(self.app, lambda: w.inspector.showing_copy
              and w.inspector.preview.view.pixmap is not None)
        _settle(self.app)


def render(out: Path, work: Path, sizes: Sequence[tuple[int, int]] = SIZES,
           states: Sequence[str] = STATES, named: bool = False) -> list[Shot]:
    """Render ``states`` at ``sizes`` into ``out`` (``work``: a scratch folder for photos,
    settings and data). Needs a QApplication's settings redirected by the caller."""
    from share_guard.gui.app import build_service, make_application
    from share_guard.gui.main_window import MainWindow
    from share_guard.gui.settings import Settings

    out.mkdir(parents=True, exist_ok=True)
    app = make_application([sys.argv[0]])
    photos, portrait, street = make_folder(work)
    copies = work / "Clean copies"
    copies.mkdir()
    settings = Settings()
    settings.output_dir = copies
    window = MainWindow(build_service(work / "data"), settings)
    try:
        window.show()
        window.open_paths([photos])
        _wait(app, lambda: len(window.session.entries) == 8
              and not any(e.busy for e in window.session.entries) and window.actions_settled())
        # the folder line shows a person's folder, not this script's temporary one
        window.export_bar.set_folder(Path("/home/jane/Pictures/Clean copies"))
        renderer = Renderer(app, window, portrait, street, out)
        for size in sizes:
            renderer.render(size, states, named)
        return renderer.shots
    finally:
        window.session.shutdown(10_000)
        window.session.service.close()
        window.close()


def main(argv: Sequence[str]) -> int:
    from PySide6.QtCore import QSettings

    from share_guard.core.family import lock

    everything = bool(argv)
    out = Path(argv[0]) if argv else ROOT / "resources" / "screenshots"
    with tempfile.TemporaryDirectory(prefix="sg-shots-") as tmp:
        work = Path(tmp)
        os.environ["SHARE_GUARD_HOME"] = str(work / "data")
        account = lock.AccountFolders(work / "account" / "data", work / "account" / "config")
        lock.account_folders = lambda: account  # type: ignore[assignment] - this run only
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "qs"))
        shots = render(out, work, SIZES if everything else ((1440, 900),),
                       STATES if everything else METAINFO, named=not everything)
    problems = 0
    for shot in shots:
        print(shot.path)
        for line in shot.clipped:
            problems += 1
            print(f"  clipped: {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
