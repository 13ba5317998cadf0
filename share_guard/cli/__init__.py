"""share-guard: the command line over the same core as the desktop app.

Exit codes: 0 everything clean (nothing found / every file exported),
1 findings, refusals or unreadable files, 2 usage error.
Each subcommand lives in its own module with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType

from share_guard import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

#: the subcommands, in the order help lists them, and the module that adds each (it has
#: ``register(subparsers)`` and adds nothing to the others: what inspect and clean check is
#: composed by the core's build_engine). A command imports only its own module; help and
#: a mistyped command import them all; ``--version`` none
COMMANDS = {"inspect": "inspect_cmd", "clean": "clean_cmd", "takedown": "takedown_cmd",
            "policy": "policy_cmd", "consent": "consent_cmd", "gui": "gui_cmd",
            "install-desktop": "desktop_cmd", "help-lines": "helplines_cmd",
            "language": "language_cmd"}
COMMAND_MODULES = list(dict.fromkeys(COMMANDS.values()))
#: commands that read files in the sandbox: its fork server starts before anything loads
SANDBOXED = ("inspect", "clean")
#: options given before the command that take a value (``--lang hi``)
_VALUED = ("--lang", "--data-dir")


def commands(names: Sequence[str] | None = None) -> list[ModuleType]:
    """The modules of the commands ``names`` (all of them when None)."""
    modules = COMMAND_MODULES if names is None else [COMMANDS[n] for n in names]
    return [importlib.import_module(f"share_guard.cli.{name}") for name in modules]


def chosen_command(args: Sequence[str]) -> str | None:
    """The command ``args`` run, when only ``--lang``/``--data-dir`` (or unique prefixes of
    them, as argparse accepts) come before it; None when help is asked for, when no known
    command is given, or when in doubt (then every command is loaded, as for help)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--" or arg == "-":
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
        option, eq, _value = arg.partition("=")
        full = [o for o in _VALUED if len(option) > 2 and o.startswith(option)]
        if len(full) != 1:
            return None  # -h, --help, --version or a mistake: argparse answers it
        i += 1 if eq else 2
    return None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        from share_guard.core.i18n import _

        self.exit(EXIT_USAGE, _("share-guard: error: {problem}").format(problem=message) + "\n")


def build_parser(args: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser, its help texts in the language chosen (set the language first). Given
    the ``args`` it will parse, it holds only the command they run when that is clear
    (:func:`chosen_command`); otherwise, and without ``args``, every command."""
    from share_guard.cli.argparse_words import translate_argparse
    from share_guard.core.i18n import _

    translate_argparse()
    parser = _Parser(prog="share-guard", description=_(
        "share-guard: the command line over the same core as the desktop app."))
    parser.add_argument("--version", action="version", version=f"share_guard {__version__}")
    parser.add_argument("--data-dir", metavar="DIR",
                        help=_("folder for all state (settings, lists, records); default: "
                               "$SHARE_GUARD_HOME or the user data folder"))
    parser.add_argument("--lang", metavar="CODE",
                        help=_("the language for this run (hi, bn, ur, ta, te, mr, es, pt_BR, ar, "
                               "fr, en); default: the one chosen with 'share-guard language', "
                               "else the system's"))
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    command = chosen_command(args) if args is not None else None
    for module in commands(None if command is None else [command]):
        module.register(subs)
    return parser


def _start_early(args: list[str]) -> None:
    """For inspect and clean: start the sandbox's fork server before the imports below."""
    if chosen_command(args) in SANDBOXED and "--no-isolation" not in args:
        from share_guard.core.sandbox.early import start_fork_server

        start_fork_server()


def early_options(args: list[str]) -> tuple[str | None, str | None]:
    """``--lang`` and ``--data-dir`` given before the subcommand (the language must be known
    before the parser is built: its help texts are translated). Unique prefixes count, as
    argparse accepts them ("--la hi")."""
    found: dict[str, str | None] = {"--lang": None, "--data-dir": None}
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        option, eq, value = args[i].partition("=")
        full = next((o for o in found if len(option) > 2 and o.startswith(option)), None)
        if full is not None and not eq:
            value = args[i + 1] if i + 1 < len(args) else ""
            i += 1
        if full is not None:
            found[full] = value
        i += 1
    return found["--lang"], found["--data-dir"]


def choose_language(args: list[str]) -> str | None:
    """Set the language for this run: ``--lang``, else the remembered choice, else the
    system's. Returns the one-line complaint about an unknown ``--lang`` (None: all well)."""
    from share_guard.core import i18n
    from share_guard.core.paths import data_dir

    lang, folder = early_options(args)
    try:
        remembered_in = data_dir(folder, create=False)
    except (OSError, RuntimeError):  # no home folder to find the data folder in
        remembered_in = None
    try:
        code = i18n.choose(lang, remembered_in)
    except ValueError:
        i18n.set_language(i18n.choose(None, remembered_in))
        return i18n._("no translation for {code}; choose one of: {codes}").format(
            code=i18n.isolate(repr(lang)), codes=", ".join(i18n.LANGUAGES))
    Asked.code, Asked.chosen = code, bool(lang) or i18n.remembered(remembered_in) is not None
    i18n.set_language(code)
    return None


class Asked:
    """The language asked for this run, even where no catalog is installed for it (the
    helplines table has its own texts per language), and whether a person chose it
    (``--lang`` or remembered) rather than the system."""

    code = "en"
    chosen = False


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list in (["--version"], ["-V"]):  # answered without loading any command
        print(f"share_guard {__version__}")
        return EXIT_OK
    _start_early(args_list)
    import gc

    gc.set_threshold(50_000, 20, 20)  # as in the workers (sandbox/worker.py GC_THRESHOLD)
    from share_guard.cli.common import safe_streams
    from share_guard.core.i18n import _

    safe_streams()
    complaint = choose_language(args_list)
    if complaint is not None:
        print(_("share-guard: error: {problem}").format(problem=complaint), file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    if args.command is None:
        args = parser.parse_args([*args_list, "gui"])
    with _data_folder(args.data_dir):
        return _run(args)


@contextlib.contextmanager
def _data_folder(folder: str | None) -> Iterator[None]:
    """``--data-dir`` for everything this call keeps, also what nothing passes the folder
    to: the face search's cache of detections, made in the sandbox's workers (they get this
    process's environment with each task), went to the account's own data folder."""
    from share_guard.core.paths import ENV_HOME

    before = os.environ.get(ENV_HOME)
    if folder:
        os.environ[ENV_HOME] = os.path.abspath(os.path.expanduser(folder))
    try:
        yield
    finally:  # (a caller in the same process, a test, gets its environment back)
        if before is None:
            os.environ.pop(ENV_HOME, None)
        else:
            os.environ[ENV_HOME] = before


def _run(args: argparse.Namespace) -> int:
    from share_guard.core.errors import ShareGuardError
    from share_guard.core.i18n import _, translated
    from share_guard.core.textsafe import display_path, display_text

    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(_("share-guard: interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_FINDINGS
    except ShareGuardError as exc:
        print(f"share-guard: {display_text(translated(str(exc)), limit=400)}", file=sys.stderr)
        return EXIT_FINDINGS
    except OSError as exc:
        # e.g. a --data-dir that is a file, or a full or read-only disk: one line, no traceback
        where = f": {display_path(exc.filename)}" if exc.filename else ""
        print(f"share-guard: {display_text(exc.strerror or exc)}{where}", file=sys.stderr)
        return EXIT_FINDINGS
