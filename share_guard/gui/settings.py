"""Persisted preferences (QSettings). Tests redirect QSettings to a temp folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "share_guard"
APPLICATION = "share_guard"


class Settings:
    """Typed access to the few things the window remembers."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._s = qsettings or QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope,
                                         ORGANIZATION, APPLICATION)

    @property
    def output_dir(self) -> Path | None:
        value = self._s.value("export/output_dir", "", str)
        return Path(str(value)) if value else None

    @output_dir.setter
    def output_dir(self, folder: Path | None) -> None:
        self._s.setValue("export/output_dir", str(folder) if folder else "")
        self._s.sync()

    @property
    def neutral_names(self) -> bool:
        """Name clean copies photo_clean.jpg / video_clean.mp4 (the original's name may tell
        the date and the device)."""
        return bool(self._s.value("export/neutral_names", False, bool))

    @neutral_names.setter
    def neutral_names(self, on: bool) -> None:
        self._s.setValue("export/neutral_names", bool(on))
        self._s.sync()

    @property
    def show_regions(self) -> bool:
        return bool(self._s.value("view/show_regions", True, bool))

    @show_regions.setter
    def show_regions(self, on: bool) -> None:
        self._s.setValue("view/show_regions", bool(on))

    def geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_geometry(self, data: QByteArray) -> None:
        self._s.setValue("window/geometry", data)
        self._s.sync()

    def splitter(self) -> QByteArray | None:
        value = self._s.value("window/splitter")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_splitter(self, data: QByteArray) -> None:
        self._s.setValue("window/splitter", data)
