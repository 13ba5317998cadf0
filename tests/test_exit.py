"""A command that ends at once leaves nothing starting behind it: no traceback at exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_traceback_at_exit_in_30_runs(tmp_path: Path) -> None:
    """An empty folder: the command ends while the sandbox is still starting (it printed a
    multiprocessing FileNotFoundError traceback most of the time)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    noisy = []
    for i in range(30):
        args = ["clean", "--consent"] if i % 2 else ["inspect", "--json"]
        proc = subprocess.run([sys.executable, "-m", "share_guard", *args, str(empty)],
                              capture_output=True, text=True, env=env, timeout=60, check=False)
        if proc.stderr.strip():
            noisy.append(proc.stderr)
    assert noisy == [], noisy[0]
