"""share-guard: the command line over the same core as the desktop app.

Exit codes: 0 everything clean (nothing found / every file exported),
1 findings, refusals or unreadable files, 2 usage error.
Each subcommand lives in its own module with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from share_guard import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

#: modules that add a subcommand (each has ``register(subparsers)``, and adds nothing to the
#: others: what inspect and clean check is composed by the core's build_engine); imported
#: when the parser is built, so ``--version`` loads none of them
COMMAND_MODULES = ["inspect_cmd", "clean_cmd", "takedown_cmd", "policy_cmd", "consent_cmd",
                   "gui_cmd", "desktop_cmd", "helplines_cmd"]
#: commands that read files in the sandbox: its fork server starts before anything loads
SANDBOXED = ("inspect", "clean")


def commands() -> list[ModuleType]:
    return [importlib.import_module(f"share_guard.cli.{name}") for name in COMMAND_MODULES]


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
    for module in commands():
        module.register(subs)
    return parser


def _start_early(args: list[str]) -> None:
    """For inspect and clean: start the sandbox's fork server before the imports below."""
    words = [a for a in args if not a.startswith("-")]
    if words and words[0] in SANDBOXED and "--no-isolation" not in args:
        from share_guard.core.sandbox.early import start_fork_server

        start_fork_server()


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list in (["--version"], ["-V"]):  # answered without loading any command
        print(f"share_guard {__version__}")
        return EXIT_OK
    _start_early(args_list)
    from share_guard.cli.common import safe_streams
    from share_guard.core.errors import ShareGuardError
    from share_guard.core.textsafe import display_path, display_text

    safe_streams()
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
