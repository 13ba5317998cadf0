"""Entry points besides ``share-guard`` itself: the windowed launcher and the bundles'.

* ``share-guard-gui [--data-dir DIR] [PATH...]`` (``[project.gui-scripts]``): opens the
  window; on Windows it has no console window. "Open with" passes the files as PATHs.
* :func:`bundle_main`: what the PyInstaller bundle runs. One program, two names: called
  ``share-guard-gui`` it opens the window, otherwise it is the command line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

GUI_NAME = "share-guard-gui"


def gui_main(argv: Sequence[str] | None = None) -> int:
    from share_guard.cli import choose_language
    from share_guard.cli.argparse_words import translate_argparse
    from share_guard.core.i18n import _

    given = list(sys.argv[1:] if argv is None else argv)
    choose_language(given)  # its help in the language (an unknown --lang: the parser says so)
    translate_argparse()
    parser = argparse.ArgumentParser(prog=GUI_NAME, description=_("Open the share_guard window."))
    parser.add_argument("--data-dir", metavar="DIR",
                        help=_("folder for all state (see share-guard -h)"))
    parser.add_argument("--lang", metavar="CODE", help=_("the language (see share-guard -h)"))
    parser.add_argument("paths", nargs="*", metavar="PATH", help=_("files or folders to open"))
    args = parser.parse_args(given)
    from share_guard.cli import main

    data = ["--data-dir", args.data_dir] if args.data_dir else []
    lang = ["--lang", args.lang] if args.lang else []
    return main([*data, *lang, "gui", "--", *args.paths])


def bundle_main(argv: Sequence[str] | None = None, executable: str | None = None) -> int:
    """The bundle's program: the window when started as ``share-guard-gui``, else the CLI."""
    name = Path(executable or sys.executable).stem.lower()
    if name == GUI_NAME:
        return gui_main(argv)
    from share_guard.cli import main

    return main(argv)
