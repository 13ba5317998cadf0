"""What a run leaves on the computer: only what it was asked to keep, in its data folder.

A photo's faces are looked for with ``--data-dir`` given and the account's folders moved to
an empty one: afterwards nothing is in the account's home (onnxruntime's telemetry wrote a
device ID and a queue of events about each model run under ~/.cache/Microsoft, and the
face search's cache of detections went to the account's data folder instead of the one
given), and the detections cache is in the data folder given.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("isolation", [[], ["--no-isolation"]])
def test_a_face_search_leaves_nothing_outside_the_data_folder(tmp_path: Path,
                                                             isolation: list[str]) -> None:
    home, folder = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    photo = tmp_path / "person.jpg"
    canvas = np.full((480, 640, 3), 200, np.uint8)
    canvas[40:440, 120:520] = np.asarray(Image.fromarray(data.astronaut()).resize((400, 400)))
    Image.fromarray(canvas).save(photo, quality=90)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "ORT_")) and k != "SHARE_GUARD_HOME"}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "share_guard", "--data-dir", str(folder), "inspect", "--faces",
         *isolation, str(photo)], capture_output=True, text=True, env=env, timeout=180,
        check=False)
    assert "Face" in proc.stdout, proc.stdout + proc.stderr
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == []
    assert list((folder / "cache" / "detections").glob("*.json"))
