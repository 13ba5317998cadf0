"""share-guard clean PATH...: write clean copies (after consent)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from share_guard.cli.checks import add_check_options, engine_for, start_workers_early, usage_problem
from share_guard.cli.common import JsonFiles, name, say, walk, warn
from share_guard.core.engine.engine import Engine
from share_guard.core.export.consent import (
    ConsentAnswer,
    ConsentChannel,
    ConsentHook,
    ConsentRequest,
    statement,
)
from share_guard.core.export.pipeline import ExportOptions, ExportResult, Transform
from share_guard.core.export.safeio import remove_stale_temps
from share_guard.core.paths import data_dir
from share_guard.core.report import Report
from share_guard.core.textsafe import display_text

CONSENT_HELP = ("state that everyone who can be recognised agreed to it being shared and "
                "that you have the right to share it (needed when not on a terminal)")
STYLES = ("solid", "noisy")


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("clean", help="write copies with identifying metadata removed")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (walked)")
    p.add_argument("-o", "--output-dir", metavar="DIR",
                   help="where clean copies go (default: next to each original, name_clean.ext)")
    p.add_argument("--rebuild", action="store_true",
                   help="re-encode from pixels images the lossless cleaner refuses")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing copy (default: name the new one name_clean-2.ext...)")
    p.add_argument("--suffix", default="_clean", help="added to output names (default _clean)")
    p.add_argument("--consent", action="store_true", help=CONSENT_HELP)
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    add_check_options(p)
    p.add_argument("--redact-faces", action="store_true",
                   help="cover found faces in the pixels (re-encodes the picture once)")
    p.add_argument("--redact-codes", action="store_true",
                   help="cover found QR codes and barcodes in the pixels")
    p.add_argument("--redact-style", choices=STYLES, default="solid",
                   help="solid fill (default) or coarse noise; never a reversible blur")
    p.add_argument("--redact-possible", action="store_true",
                   help="also cover possible faces (low scores, not selected by default)")
    p.set_defaults(func=run)


def terminal_consent(request: ConsentRequest) -> ConsentAnswer:
    """Ask the person on the terminal, after saying what each copy loses, what it covers
    and what it leaves as it is; anything but 'y' refuses."""
    for line in describe_request(request):
        say(line)
    confirmed: list[str] = []
    for key in request.confirmations:
        try:
            reply = input(f"{statement(key)}? [y/N] ")
        except EOFError:
            reply = ""
        if reply.strip().lower() not in ("y", "yes"):
            return ConsentAnswer(False, tuple(confirmed), via=ConsentChannel.TERMINAL)
        confirmed.append(key)
    return ConsentAnswer(True, tuple(confirmed), via=ConsentChannel.TERMINAL)


def describe_request(request: ConsentRequest) -> list[str]:
    """What the terminal shows before the questions."""
    n = len(request.items)
    lines = [f"About to write {n} clean cop{'y' if n == 1 else 'ies'}:"]
    for item in request.items:
        if not item.will_remove:
            lines.append(f"  {item.name}: nothing identifying found in the metadata")
        else:
            lines.append(f"  {item.name} will lose:")
            lines += [f"    {line}" for line in grouped_removals(item.will_remove)]
        picture = ([f"covered: {', '.join(item.will_cover)}"] if item.will_cover else []) + \
            ([f"NOT covered: {', '.join(item.will_not_cover)}"] if item.will_not_cover else [])
        if picture:
            lines.append(f"  {item.name} in the picture: {'; '.join(picture)}")
        lines += [f"    warning: {w}" for w in item.warnings]
    lines.append(request.reminder)
    return lines


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
    return ConsentAnswer(True, tuple(request.confirmations), via=ConsentChannel.FLAG)


def no_consent(request: ConsentRequest) -> ConsentAnswer:  # noqa: ARG001
    warn("no consent: run on a terminal to confirm, or pass --consent to state it")
    return ConsentAnswer(False, via=ConsentChannel.NONE)


def no_consent_asked_each_time(request: ConsentRequest) -> ConsentAnswer:  # noqa: ARG001
    # not "or pass --consent": the protection settings just refused it
    warn("no consent: run this on a terminal to confirm (the protection settings ask each time)")
    return ConsentAnswer(False, via=ConsentChannel.NONE)


def choose_consent(args: argparse.Namespace, ask_each_time: bool = False) -> ConsentHook:
    """--consent states consent in advance, unless the protection policy asks each time."""
    if args.consent and not ask_each_time:
        return flag_consent
    if args.consent:
        warn("the protection settings ask for consent each time; --consent is not accepted")
    if sys.stdin.isatty() and not args.json:
        return terminal_consent
    return no_consent_asked_each_time if ask_each_time else no_consent


def redaction(args: argparse.Namespace) -> list[Transform]:
    """--redact-*: one redaction for every file (none when nothing is to be covered)."""
    if not (args.redact_faces or args.redact_codes):
        return []
    from share_guard.core.redaction.transform import RedactTransform

    return [RedactTransform(faces=args.redact_faces, codes=args.redact_codes,
                            style=args.redact_style, include_possible=args.redact_possible)]


def run(args: argparse.Namespace) -> int:
    if any(sep in args.suffix for sep in {"/", os.sep, "\0"}):
        warn("--suffix is added to file names: it cannot hold a folder separator")
        return 2
    problem = usage_problem(args)
    if problem:
        warn(problem)
        return 2
    folder = data_dir(args.data_dir)
    out_dir = Path(args.output_dir) if args.output_dir else None
    if out_dir is not None and not out_dir.is_dir():
        warn(f"output folder does not exist: {name(out_dir)}")
        return 2
    remove_stale_temps(folder, [out_dir] if out_dir else None)
    engine = engine_for(args, folder)
    try:
        start_workers_early(engine)
        return _clean(args, engine, ExportOptions(
            output_dir=out_dir, overwrite=args.overwrite, suffix=args.suffix,
            rebuild=args.rebuild, data_dir=folder, transforms=redaction(args)))
    finally:
        engine.close()


def _clean(args: argparse.Namespace, engine: Engine, options: ExportOptions) -> int:
    from share_guard.cli.policy_cmd import terminal_parent

    walked = list(walk(args.paths))
    explicit = {path for path, given in walked if given}
    skipped: list[str] = []

    def skip(report: Report) -> bool:
        """A walked file that is not a photo or video is left out (said in plain output)."""
        if report.unsupported and report.path not in explicit:
            skipped.append(f"{name(report.path)}: skipped ({display_text(report.error)})")
            return True
        return False

    # The policy comes from the account's own folder: no flag or variable moves or loosens it.
    state = engine.policy_state()
    if state.tampered:
        warn(f"protection settings: {state.problem}; the strictest rules apply")
    interactive = sys.stdin.isatty() and not args.json
    out = JsonFiles(1) if args.json else None

    def show(r: ExportResult) -> None:
        """Each result as soon as it is known (a big folder holds nothing until the end)."""
        if out is not None:
            out.add(r.to_json())
            return
        while skipped:
            say(skipped.pop(0))
        print_result(r)

    outcome = engine.export([path for path, _given in walked], options,
                            choose_consent(args, state.policy.ask_consent),
                            ask_parent=terminal_parent if interactive else None, skip=skip,
                            on_result=show, keep_reports=False)
    if out is not None:
        out.close()
    else:
        for line in skipped:
            say(line)
    return 0 if outcome.ok else 1


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
