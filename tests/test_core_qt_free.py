"""The core must import and work with Qt absent (PySide6 blocked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import sys, pkgutil, importlib
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6."):
            raise ImportError("PySide6 is blocked in this test")
sys.meta_path.insert(0, Block())
import share_guard.core as core
names = [m.name for m in pkgutil.walk_packages(core.__path__, "share_guard.core.")]
for name in names:
    importlib.import_module(name)
from share_guard.core.containers import all_handlers
assert all_handlers()
assert not any(m.startswith("PySide6") for m in sys.modules)
print(len(names))
"""


def test_core_imports_without_qt() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 10


def test_no_core_module_mentions_qt() -> None:
    offenders = [p for p in (ROOT / "share_guard" / "core").rglob("*.py")
                 if "PySide6" in p.read_text(encoding="utf-8")]
    assert offenders == []
