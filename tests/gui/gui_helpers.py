"""Test media made in code, fake file pickers, slow analyzers and small waiting helpers."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import piexif
from PIL import Image

from share_guard.gui.dialogs import DialogService


def gps_jpeg(path: Path, size: tuple[int, int] = (320, 240), color=(90, 140, 200)) -> Path:
    """A JPEG carrying GPS, a name, a camera serial and a date (written with piexif)."""
    exif = {
        "0th": {piexif.ImageIFD.Make: b"Canon", piexif.ImageIFD.Model: b"EOS 5D",
                piexif.ImageIFD.Artist: b"Jane Doe", piexif.ImageIFD.Orientation: 1},
        "Exif": {piexif.ExifIFD.DateTimeOriginal: b"2024:05:01 10:00:00",
                 piexif.ExifIFD.BodySerialNumber: b"SN123456"},
        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N",
                piexif.GPSIFD.GPSLatitude: ((52, 1), (30, 1), (0, 1)),
                piexif.GPSIFD.GPSLongitudeRef: b"E",
                piexif.GPSIFD.GPSLongitude: ((13, 1), (24, 1), (0, 1))},
    }
    Image.new("RGB", size, color).save(path, "JPEG", quality=90, exif=piexif.dump(exif))
    return path


def odd_marker_jpeg(path: Path) -> Path:
    """A GPS JPEG with a stray restart marker after SOI: decodable, but the lossless
    cleaner refuses it (fail closed), so only "rebuild from pixels" can make a copy."""
    gps_jpeg(path)
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"\xff\xd0" + data[2:])
    return path


def plain_jpeg(path: Path) -> Path:
    Image.new("RGB", (64, 48), (200, 100, 50)).save(path, "JPEG", quality=90)
    return path


def corrupt_jpeg(path: Path) -> Path:
    """Starts like a JPEG, then a segment with an impossible length: cannot be read."""
    path.write_bytes(b"\xff\xd8\xff\x00\x00\x00garbage" * 3)
    return path


def truncated_jpeg(path: Path) -> Path:
    """A JPEG cut off in the middle of its header: read, but not understood with confidence."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 50)).save(buf, "JPEG", quality=90,
                                                  exif=piexif.dump({"0th": {piexif.ImageIFD.Make: b"X"}}))
    path.write_bytes(buf.getvalue()[:60])
    return path


class FakeDialogs(DialogService):
    """The real dialogs, except the native file pickers, which answer from the test."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[Path] = []
        self.folder: Path | None = None
        self.folder_asked = 0

    def open_files(self, parent, start=None):  # type: ignore[override]
        return list(self.files)

    def choose_folder(self, parent, start=None):  # type: ignore[override]
        self.folder_asked += 1
        return self.folder


class SlowAnalyzer:
    """An analyzer that holds the inspection until released (or cancelled)."""

    name = "slow test analyzer"

    def __init__(self, only: str = "") -> None:
        self.only = only  # hold only files whose name contains this
        self.started = threading.Event()
        self.release = threading.Event()

    def analyze(self, src, report, progress, cancel):
        if self.only not in src.path.name:
            return []
        progress(0.5, "slow step")
        self.started.set()
        while not self.release.wait(0.01):
            if cancel is not None:
                cancel.check()
        return []


class SlowTransform:
    """A pixel transform that writes half a file, then waits until the export is cancelled."""

    name = "slow test transform"

    def __init__(self) -> None:
        self.started = threading.Event()

    def covers(self, report):
        from share_guard.core.export.pipeline import Cover

        return Cover()  # covers nothing in the picture

    def apply(self, src, report, out, progress, cancel):
        out.write(src.read_all()[: src.size // 2])
        out.flush()
        self.started.set()
        while cancel is not None and not cancel.cancelled:
            threading.Event().wait(0.01)
        if cancel is not None:
            cancel.check()
        return []


def wait_idle(qtbot, window, count: int | None = None, timeout: int = 10_000) -> None:
    """Wait until ``count`` files are listed and none is busy."""
    def ready() -> None:
        entries = window.session.entries
        assert entries
        if count is not None:
            assert len(entries) == count
        assert not any(e.busy for e in entries)
        assert window.actions_settled()

    qtbot.waitUntil(ready, timeout=timeout)


def consent_dialog(window):
    from share_guard.gui.dialogs.consent_dialog import ConsentDialog

    return next((d for d in window.findChildren(ConsentDialog) if d.isVisible()), None)
