"""share-guard: the command line over the same core as the desktop app.

Exit codes: 0 everything clean (nothing found / every file exported),
1 findings, refusals or unreadable files, 2 usage error.
Each subcommand lives in its own module with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from share_guard import __version__
from share_guard.cli import (
    clean_cmd,
    consent_cmd,
    desktop_cmd,
    gui_cmd,
    helplines_cmd,
    inspect_cmd,
    policy_cmd,
    takedown_cmd,
)
from share_guard.cli.common import safe_streams
from share_guard.core.errors import ShareGuardError
from share_guard.core.textsafe import display_path, display_text

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

#: modules that add a subcommand (each has ``register(subparsers)``, and adds nothing to the
#: others: what inspect and clean check is composed by the core's build_engine)
COMMANDS = [inspect_cmd, clean_cmd, takedown_cmd, policy_cmd, consent_cmd, gui_cmd, desktop_cmd,
            helplines_cmd]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"share-guard: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="share-guard", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"share_guard {__version__}")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder for all state (settings, lists, records); default: "
                             "$SHARE_GUARD_HOME or the user data folder")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(subs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    safe_streams()
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        args = parser.parse_args([*args_list, "gui"])
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("share-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_FINDINGS
    except ShareGuardError as exc:
        print(f"share-guard: {display_text(exc, limit=400)}", file=sys.stderr)
        return EXIT_FINDINGS
    except OSError as exc:
        # e.g. a --data-dir that is a file, or a full or read-only disk: one line, no traceback
        where = f": {display_path(exc.filename)}" if exc.filename else ""
        print(f"share-guard: {display_text(exc.strerror or exc)}{where}", file=sys.stderr)
        return EXIT_FINDINGS
