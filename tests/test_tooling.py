"""Strict tooling is part of the suite: ruff on everything, mypy --strict on the whole
package (GUI and CLI included), and the layers (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import os
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


def test_mypy_strict_is_clean_on_the_whole_package(tmp_path: Path) -> None:
    proc = subprocess.run([*_tool("mypy"), "--strict", "--cache-dir", str(tmp_path), "share_guard"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_import_contracts_are_kept() -> None:
    """The core never imports a front end or Qt; containers and metadata readers never
    import analysis, family, export, sandbox, takedown or the engine."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this tree's share_guard, not an install
    proc = subprocess.run([*_tool("lint-imports"), "--no-cache"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "0 broken" in proc.stdout
