"""share-guard gui [PATH...]: open the desktop app (the default with no command)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from share_guard.core.i18n import _


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("gui", help=_("open the desktop app (default when no command is given)"))
    p.add_argument("paths", nargs="*", metavar="PATH", help=_("files or folders to open"))
    p.set_defaults(func=run)


def no_display() -> bool:
    """True on Linux/BSD with no desktop to show a window on (and no Qt platform chosen):
    Qt would abort with "Reinstalling the application may fix this problem"."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    if no_display():
        from share_guard.cli.common import warn

        warn(_("no desktop display to open the window on (DISPLAY and WAYLAND_DISPLAY are not "
               "set); the command line works without one: share-guard inspect PHOTO.jpg"))
        return 1
    from share_guard.gui.platform_probe import refuse_to_start

    if refuse_to_start():  # a system library Qt's platform plugin needs is missing: say which
        return 1
    try:
        from share_guard.gui.app import run as run_gui
    except ImportError as exc:
        from share_guard.cli.common import warn

        warn(_("the desktop app needs PySide6 ({problem})").format(problem=exc))
        return 2
    from share_guard.core.paths import data_dir

    return run_gui([Path(p) for p in args.paths], data_dir(args.data_dir))
