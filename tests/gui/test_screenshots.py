"""Screenshots as tests: every main state renders at 1024x640 and 1440x900 with no text cut
off (packaging/screenshots.py, the script that makes the metainfo's images), and the
metainfo shows images the script makes."""

from __future__ import annotations

import importlib.util
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from share_guard.gui.widgets.common import ElidedLabel

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "packaging" / "screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["screenshots"] = module  # (its dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


def test_the_clipping_check_sees_cut_text(qtbot):
    shots = _script()
    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    fine = QLabel("fits")
    cut = QLabel("a label far too long for the few pixels it was given")
    elided = ElidedLabel("IMG_20240312_142210_a_very_long_name.jpg")
    layout.addWidget(fine)
    layout.addWidget(cut)
    layout.addWidget(elided)
    scroll = QScrollArea()
    wide = QPushButton("a button in a panel wider than its view")
    scroll.setWidget(wide)
    wide.setFixedWidth(400)
    layout.addWidget(scroll)
    root.resize(120, 200)
    root.show()
    cut.setFixedWidth(60)
    problems = shots.clipped(root)
    assert any("a label far too long" in p for p in problems)
    assert any("a button in a panel" in p for p in problems)
    assert not any("fits" in p or "IMG_2024" in p for p in problems)  # elided on purpose


def test_every_state_renders_without_cut_text(qtbot, tmp_path):
    shots = _script()
    made = shots.render(tmp_path / "shots", tmp_path / "work")
    assert {(s.state, s.size) for s in made} == {(state, size) for state in shots.STATES
                                                for size in shots.SIZES}
    for shot in made:
        head = shot.path.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", head[16:24]) == shot.size, shot.path.name
        assert shot.clipped == [], (shot.path.name, shot.clipped)


def test_the_metainfo_shows_the_scripts_images():
    shots = _script()
    root = ET.parse(ROOT / "resources" / "io.github.shareguard.ShareGuard.metainfo.xml").getroot()
    names = [img.text.rsplit("/", 1)[1] for img in root.iter("image")]
    assert names == [f"{state}.png" for state in shots.METAINFO]
    assert sorted(p.name for p in (ROOT / "resources" / "screenshots").glob("*.png")) == \
        sorted(names)
