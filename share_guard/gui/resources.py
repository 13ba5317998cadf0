"""Files the window needs at run time, read from the installed package.

They live in ``share_guard/resources/`` (package data, see pyproject) and are
read with importlib.resources so they work from a wheel too. The helplines table is read by
the core (``share_guard.core.helplines``), which the command line shares.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

from PySide6.QtGui import QIcon, QPixmap

from share_guard import APP_ID

ICON = f"icons/{APP_ID}.svg"


def _res() -> Traversable:
    return resources.files("share_guard") / "resources"


def resource_dir(name: str) -> str:
    """A folder of package data as a path string ("" when not on the file system)."""
    folder = _res() / name
    return str(folder) if isinstance(folder, os.PathLike) else ""


def read_text(name: str) -> str:
    return (_res() / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def icon_bytes() -> bytes:
    return (_res() / ICON).read_bytes()


def icon_pixmap(size: int) -> QPixmap:
    """The app icon drawn at ``size`` pixels (rendered from the SVG, not scaled)."""
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(icon_bytes()))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        icon.addPixmap(icon_pixmap(size))
    return icon


def help_text(language: str = "en") -> str:
    """The offline help page for ``language``: its own file where one is shipped, else the
    English page translated paragraph by paragraph by the catalog (context "help page",
    extracted by packaging/i18n.py) when ``language`` is the one in use, else English."""
    from share_guard.core.i18n import data_text, paragraphs
    from share_guard.core.i18n import language as in_use

    for name in (f"help/help.{language}.txt", "help/help.en.txt"):
        try:
            text = read_text(name)
        except (FileNotFoundError, OSError):
            continue
        if name.endswith(".en.txt") and language.split("_")[0] == in_use().split("_")[0]:
            return "\n\n".join(data_text("help page", p) for p in paragraphs(text)) + "\n"
        return text
    return ""


@dataclass(frozen=True)
class Component:
    name: str
    use: str
    licence: str


def licences() -> tuple[str, tuple[Component, ...]]:
    """share_guard's own licence and every dependency and model it ships with, with its
    licence (README's "What gets installed" table; a test keeps the two equal)."""
    data = json.loads(read_text("licences.json"))
    found = tuple(Component(c["name"].replace("`", ""), c["use"].replace("`", ""), c["licence"])
                  for c in data["components"])
    return data["app"]["licence"], found
