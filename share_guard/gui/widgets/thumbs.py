"""Small pictures for lists and dialogs: a file's thumbnail as a rounded tile, or a neutral
placeholder with a file-type icon."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QStyle

from share_guard.core.report import FileKind

_placeholders: dict[tuple[str, int, int], QPixmap] = {}


def placeholder(kind: str | None, size: int, style: QStyle) -> QPixmap:
    """A neutral tile with a file-type icon, for files without a picture (drawn once)."""
    key = (kind or "", size, id(style))
    if key not in _placeholders:
        _placeholders[key] = _draw_placeholder(kind, size, style)
    return _placeholders[key]


def _draw_placeholder(kind: str | None, size: int, style: QStyle) -> QPixmap:
    icon = (QStyle.StandardPixmap.SP_MediaPlay if kind == FileKind.VIDEO
            else QStyle.StandardPixmap.SP_FileIcon)
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    color = style.standardPalette().mid().color()
    color.setAlpha(70)
    painter.setBrush(color)
    painter.drawRoundedRect(0, 0, size, size, size / 7, size / 7)
    inner = size // 2
    painter.drawPixmap((size - inner) // 2, (size - inner) // 2, style.standardIcon(icon).pixmap(inner))
    painter.end()
    return pixmap


def thumb_pixmap(image: QImage, size: int) -> QPixmap:
    """Fill a square tile with the picture (centre crop), rounded corners."""
    scaled = QPixmap.fromImage(image).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation)
    tile = QPixmap(size, size)
    tile.fill(Qt.GlobalColor.transparent)
    painter = QPainter(tile)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(scaled)
    painter.setBrushOrigin(-(scaled.width() - size) // 2, -(scaled.height() - size) // 2)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(0, 0, size, size, size / 7, size / 7)
    painter.end()
    return tile
