"""Strict tooling is part of the suite: ruff on everything, mypy (typed defs) on the core."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> list[str]:
    exe = Path(sys.executable).with_name(name)
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not installed (pip install -e '.[dev]')")
    return [found]


def test_ruff_is_clean() -> None:
    proc = subprocess.run([*_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_mypy_core_is_clean(tmp_path: Path) -> None:
    proc = subprocess.run([*_tool("mypy"), "--cache-dir", str(tmp_path), "share_guard/core"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
