"""share-guard clean PATH...: write clean copies (after consent)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from share_guard.cli.common import emit_json, name, say, walk, warn
from share_guard.cli.inspect_cmd import add_isolation_flag, inspect_options, start_workers_early
from share_guard.core.export.consent import ConsentAnswer, ConsentHook, ConsentRequest, statement
from share_guard.core.export.pipeline import ExportOptions, ExportResult, export_files
from share_guard.core.export.safeio import remove_stale_temps
from share_guard.core.paths import data_dir
from share_guard.core.sandbox.pool import isolated_export_files
from share_guard.core.textsafe import display_text

CONSENT_HELP = ("state that everyone who can be recognised agreed to it being shared and "
                "that you have the right to share it (needed when not on a terminal)")


def register(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("clean", help="write copies with identifying metadata removed")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (walked)")
    p.add_argument("-o", "--output-dir", metavar="DIR",
                   help="where clean copies go (default: next to each original, name_clean.ext)")
    p.add_argument("--rebuild", action="store_true",
                   help="re-encode from pixels images the lossless cleaner refuses")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--suffix", default="_clean", help="added to output names (default _clean)")
    p.add_argument("--consent", action="store_true", help=CONSENT_HELP)
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    add_isolation_flag(p)
    p.set_defaults(func=run, analyzers=[], transforms=[], gates=[])


def terminal_consent(request: ConsentRequest) -> ConsentAnswer:
    """Ask the person on the terminal; anything but 'y' refuses."""
    say(f"About to write {len(request.items)} clean cop{'y' if len(request.items) == 1 else 'ies'}:")
    for item in request.items:
        if not item.will_remove:
            say(f"  {item.name}: nothing identifying found")
        else:
            say(f"  {item.name} will lose:")
            for line in grouped_removals(item.will_remove):
                say(f"    {line}")
        for w in item.warnings:
            say(f"    warning: {w}")
    say(request.reminder)
    confirmed: list[str] = []
    for key in request.confirmations:
        try:
            reply = input(f"{statement(key)}? [y/N] ")
        except EOFError:
            reply = ""
        if reply.strip().lower() not in ("y", "yes"):
            return ConsentAnswer(False, tuple(confirmed), via="terminal")
        confirmed.append(key)
    return ConsentAnswer(True, tuple(confirmed), via="terminal")


def grouped_removals(will_remove: tuple[str, ...]) -> list[str]:
    """ "Location: GPS position", "Location: GPS altitude" -> "Location: GPS position, GPS
    altitude": one line per kind of detail instead of one 30-item line."""
    groups: dict[str, list[str]] = {}
    for entry in will_remove:
        head, sep, what = entry.partition(": ")
        key, value = (head, what) if sep else ("", entry)
        groups.setdefault(key, [])
        if value not in groups[key]:
            groups[key].append(value)
    return [f"{key}: {', '.join(values)}" if key else ", ".join(values)
            for key, values in groups.items()]


def flag_consent(request: ConsentRequest) -> ConsentAnswer:
    return ConsentAnswer(True, tuple(request.confirmations), via="flag")


def no_consent(request: ConsentRequest) -> ConsentAnswer:  # noqa: ARG001
    warn("no consent: run on a terminal to confirm, or pass --consent to state it")
    return ConsentAnswer(False, via="none")


def choose_consent(args: argparse.Namespace, ask_each_time: bool = False) -> ConsentHook:
    """--consent states consent in advance, unless the protection policy asks each time."""
    if args.consent and not ask_each_time:
        return flag_consent
    if args.consent:
        warn("the protection settings ask for consent each time; --consent is not accepted")
    if sys.stdin.isatty() and not args.json:
        return terminal_consent
    return no_consent_asked_each_time if ask_each_time else no_consent


def no_consent_asked_each_time(request: ConsentRequest) -> ConsentAnswer:  # noqa: ARG001
    # not "or pass --consent": the protection settings just refused it
    warn("no consent: run this on a terminal to confirm (the protection settings ask each time)")
    return ConsentAnswer(False, via="none")


def run(args: argparse.Namespace) -> int:
    start_workers_early(args)
    if any(sep in args.suffix for sep in {"/", os.sep, "\0"}):
        warn("--suffix is added to file names: it cannot hold a folder separator")
        return 2
    folder = data_dir(args.data_dir)
    out_dir = Path(args.output_dir) if args.output_dir else None
    if out_dir is not None and not out_dir.is_dir():
        warn(f"output folder does not exist: {name(out_dir)}")
        return 2
    remove_stale_temps(folder, [out_dir] if out_dir else None)
    paths: list[Path] = []
    skipped: list[str] = []
    from share_guard.core.containers import Source, detect
    from share_guard.core.errors import ShareGuardError

    for path, explicit in walk(args.paths):
        if not explicit:
            try:
                detect(Source(path).head)
            except (ShareGuardError, OSError) as exc:
                skipped.append(f"{name(path)}: skipped ({display_text(exc)})")
                continue
        paths.append(path)
    options = ExportOptions(
        output_dir=out_dir, overwrite=args.overwrite, suffix=args.suffix, rebuild=args.rebuild,
        data_dir=folder, inspect_options=inspect_options(args, thorough=False),
        transforms=[make(args) for make in args.transforms],
        gates=[make(args) for make in args.gates],
    )
    from share_guard.cli.policy_cmd import terminal_parent
    from share_guard.core.family.gates import guarded_export
    from share_guard.core.family.lock import load_state

    # The policy comes from the account's own folder: no flag or variable moves or loosens it.
    state = load_state()
    if state.tampered:
        warn(f"protection settings: {state.problem}; the strictest rules apply")
    interactive = sys.stdin.isatty() and not args.json
    results = guarded_export(paths, options, choose_consent(args, state.policy.ask_consent),
                             ask_parent=terminal_parent if interactive else None, state=state,
                             exporter=export_files if args.no_isolation else isolated_export_files)
    if args.json:
        emit_json({"version": 1, "files": [r.to_json() for r in results]})
    else:
        for line in skipped:
            say(line)
        for r in results:
            print_result(r)
    return 0 if all(r.ok for r in results) else 1


def print_result(r: ExportResult) -> None:
    if r.ok and r.output is not None:
        say(f"{name(r.source)} -> {name(r.output)}")
        removed = grouped_removals(tuple(r.removed))
        if len(removed) > 1:
            say("  removed:")
            for line in removed:
                say(f"    {line}")
        else:
            say(f"  removed: {removed[0] if removed else 'nothing identifying'}")
        if r.kept:
            say(f"  kept: {', '.join(dict.fromkeys(r.kept))}")
        for c in r.changed:
            say(f"  changed: {c}")
    else:
        say(f"{name(r.source)}: {r.status}: {display_text(r.reason, limit=400)}")
