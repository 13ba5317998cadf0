"""share-guard gui [PATH...]: open the desktop app (the default with no command)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("gui", help="open the desktop app (default when no command is given)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to open")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from share_guard.gui.app import run as run_gui
    except ImportError as exc:
        from share_guard.cli.common import warn

        warn(f"the desktop app needs PySide6 ({exc})")
        return 2
    from share_guard.core.paths import data_dir

    return run_gui([Path(p) for p in args.paths], data_dir(args.data_dir))
