"""share-guard clean PATH...: write clean copies (after consent)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from share_guard.cli.checks import add_check_options, engine_for, start_workers_early, usage_problem
from share_guard.cli.common import JsonFiles, is_yes, name, say, walk, warn
from share_guard.core.engine.engine import Engine
from share_guard.core.engine.tally import Tally
from share_guard.core.export.consent import (
    ConsentAnswer,
    ConsentChannel,
    ConsentHook,
    ConsentRequest,
    statement,
)
from share_guard.core.export.pipeline import ExportOptions, ExportResult, Transform
from share_guard.core.export.safeio import remove_stale_temps
from share_guard.core.family.lock import PolicyState
from share_guard.core.i18n import N_, _, isolate, ngettext, translated
from share_guard.core.paths import data_dir
from share_guard.core.report import Report
from share_guard.core.textsafe import display_text

CONSENT_HELP = N_("state that everyone who can be recognised agreed to it being shared and "
                  "that you have the right to share it (needed when not on a terminal)")
STYLES = ("solid", "noisy")


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("clean", help=_("write copies with identifying metadata removed"))
    p.add_argument("paths", nargs="+", metavar="PATH", help=_("files or folders (walked)"))
    p.add_argument("-o", "--output-dir", metavar="DIR",
                   help=_("where clean copies go, made if missing (default: next to each "
                          "original, name_clean.ext)"))
    p.add_argument("--rebuild", action="store_true",
                   help=_("re-encode from pixels images the lossless cleaner refuses"))
    p.add_argument("--overwrite", action="store_true",
                   help=_("replace an existing copy (default: name the new one "
                          "name_clean-2.ext...)"))
    p.add_argument("--suffix", default="_clean", help=_("added to output names (default _clean)"))
    p.add_argument("--neutral-name", action="store_true",
                   help=_("name copies photo_clean.jpg / video_clean.mp4: a name like "
                          "IMG_20240312_142210.jpg tells the date and the device (the family "
                          "preset always does this)"))
    p.add_argument("--remove-sound", action="store_true",
                   help=_("take the sound out of videos (voices identify people); the video "
                          "itself is not re-encoded"))
    p.add_argument("--consent", action="store_true", help=translated(CONSENT_HELP))
    p.add_argument("--json", action="store_true", help=_("machine-readable output (see README)"))
    add_check_options(p)
    p.add_argument("--cover-faces", "--redact-faces", dest="redact_faces", action="store_true",
                   help=_("cover found faces in the pixels (re-encodes the picture once)"))
    p.add_argument("--cover-codes", "--redact-codes", dest="redact_codes", action="store_true",
                   help=_("cover found QR codes and barcodes in the pixels"))
    p.add_argument("--cover-style", "--redact-style", dest="redact_style", choices=STYLES,
                   default="solid",
                   help=_("solid fill (default) or coarse noise; never a reversible blur"))
    p.add_argument("--cover-possible", "--redact-possible", dest="redact_possible",
                   action="store_true",
                   help=_("also cover possible faces (low scores, not selected by default)"))
    p.set_defaults(func=run)


def terminal_consent(request: ConsentRequest) -> ConsentAnswer:
    """Ask the person on the terminal, after saying what each copy loses, what it covers
    and what it leaves as it is; anything but yes refuses."""
    for line in describe_request(request):
        say(line)
    confirmed: list[str] = []
    for key in request.confirmations:
        try:
            reply = input(_("{statement}? [y/N] ").format(statement=translated(statement(key))))
        except EOFError:
            reply = ""
        if not is_yes(reply):
            return ConsentAnswer(False, tuple(confirmed), via=ConsentChannel.TERMINAL)
        confirmed.append(key)
    return ConsentAnswer(True, tuple(confirmed), via=ConsentChannel.TERMINAL)


def describe_request(request: ConsentRequest) -> list[str]:
    """What the terminal shows before the questions."""
    lines = [ngettext("About to write {n} clean copy:", "About to write {n} clean copies:",
                      len(request.items))]
    for item in request.items:
        file = isolate(item.name)
        if not item.will_remove:
            lines.append("  " + _("{name}: nothing identifying found in the metadata").format(
                name=file))
        else:
            lines.append("  " + _("{name} will lose:").format(name=file))
            lines += [f"    {line}" for line in grouped_removals(item.will_remove)]
        picture = ([_("covered: {what}").format(what=listed(item.will_cover))]
                   if item.will_cover else []) + \
            ([_("NOT covered: {what}").format(what=listed(item.will_not_cover))]
             if item.will_not_cover else [])
        if picture:
            lines.append("  " + _("{name} in the picture: {what}").format(
                name=file, what="; ".join(picture)))
        if item.will_keep:
            lines.append("  " + _("{name} keeps: {what}").format(
                name=file, what=listed(item.will_keep, "; ")))
        lines += ["    " + _("warning: {what}").format(what=translated(w)) for w in item.warnings]
    if request.reminder_applies:  # for pictures of people, not every landscape
        lines.append(translated(request.reminder))
    return lines


def listed(texts: tuple[str, ...] | list[str], sep: str = ", ") -> str:
    """Core texts (a list of things), each in the language chosen."""
    return sep.join(translated(t) for t in texts)



def grouped_removals(will_remove: tuple[str, ...]) -> list[str]:
    """ "Location: GPS position", "Location: GPS altitude" -> "Location: GPS position, GPS
    altitude": one line per kind of detail instead of one 30-item line."""
    groups: dict[str, list[str]] = {}
    for entry in will_remove:
        head, sep, what = entry.partition(": ")
        key, value = (translated(head), translated(what)) if sep else ("", translated(entry))
        groups.setdefault(key, [])
        if value not in groups[key]:
            groups[key].append(value)
    return [f"{key}: {', '.join(values)}" if key else ", ".join(values)
            for key, values in groups.items()]


def flag_consent(request: ConsentRequest) -> ConsentAnswer:
    return ConsentAnswer(True, tuple(request.confirmations), via=ConsentChannel.FLAG)


def no_consent(request: ConsentRequest) -> ConsentAnswer:  # noqa: ARG001
    warn(_("no consent: run on a terminal to confirm, or pass --consent to state it"))
    return ConsentAnswer(False, via=ConsentChannel.NONE)


def no_consent_asked_each_time(request: ConsentRequest) -> ConsentAnswer:  # noqa: ARG001
    # not "or pass --consent": the protection settings just refused it
    warn(_("no consent: run this on a terminal to confirm (the protection settings ask each "
           "time)"))
    return ConsentAnswer(False, via=ConsentChannel.NONE)


def choose_consent(args: argparse.Namespace, ask_each_time: bool = False) -> ConsentHook:
    """--consent states consent in advance, unless the protection policy asks each time."""
    if args.consent and not ask_each_time:
        return flag_consent
    if args.consent:
        warn(_("the protection settings ask for consent each time; --consent is not accepted"))
    if sys.stdin.isatty() and not args.json:
        return terminal_consent
    return no_consent_asked_each_time if ask_each_time else no_consent


def transforms(args: argparse.Namespace) -> list[Transform]:
    """--cover-* (one cover for every file) and --remove-sound, in that order: the cover
    finds the faces it already found in the original, then the sound goes."""
    made: list[Transform] = []
    if args.redact_faces or args.redact_codes:
        from share_guard.core.redaction.transform import RedactTransform

        made.append(RedactTransform(faces=args.redact_faces, codes=args.redact_codes,
                                    style=args.redact_style, include_possible=args.redact_possible))
    if args.remove_sound:
        from share_guard.core.export.sound import RemoveSound

        made.append(RemoveSound())
    return made


def run(args: argparse.Namespace) -> int:
    if any(sep in args.suffix for sep in {"/", os.sep, "\0"}):
        warn(_("--suffix is added to file names: it cannot hold a folder separator"))
        return 2
    problem = usage_problem(args)
    if problem:
        warn(problem)
        return 2
    folder = data_dir(args.data_dir)
    out_dir = Path(args.output_dir) if args.output_dir else None
    if out_dir is not None and (out_dir.exists() or out_dir.is_symlink()) and not out_dir.is_dir():
        warn(_("-o names a file, not a folder: {name}").format(name=name(out_dir)))
        return 2
    if out_dir is not None and not out_dir.is_dir():
        out_dir.mkdir(parents=True)  # (an error from the disk is one line, from main)
        if not args.json:
            say(_("made the folder {name}").format(name=name(out_dir)))
    remove_stale_temps(folder, [out_dir] if out_dir else None)
    engine = engine_for(args, folder)
    try:
        start_workers_early(engine)
        return _clean(args, engine, ExportOptions(
            output_dir=out_dir, overwrite=args.overwrite, suffix=args.suffix,
            rebuild=args.rebuild, data_dir=folder, transforms=transforms(args),
            neutral_name=args.neutral_name))
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
            skipped.append(_("{name}: skipped ({why})").format(
                name=name(report.path), why=display_text(translated(report.error))))
            return True
        return False

    # The policy comes from the account's own folder: no flag or variable moves or loosens it.
    state = engine.policy_state()
    if state.tampered:
        warn(_("protection settings: {problem}; the strictest rules apply").format(
            problem=translated(state.problem)))
    interactive = sys.stdin.isatty() and not args.json
    reports: list[Report] | None = None
    paths = [path for path, _given in walked]
    if interactive and state.policy.sensitive != "allow":
        # the calm warning comes before anything is asked, so these reports are made first
        reports = engine.inspect_many(paths, thorough=False)
        if not _calm_go_ahead(engine, [r for r in reports if not r.unsupported], state):
            say(_("Nothing was shared."))
            return 1
    out = JsonFiles(1) if args.json else None
    tally = Tally()  # counted as the results come (none is held)

    def show(r: ExportResult) -> None:
        """Each result as soon as it is known (a big folder holds nothing until the end)."""
        tally.add_result(r)
        if out is not None:
            out.add(r.to_json())
            return
        while skipped:
            say(skipped.pop(0))
        print_result(r)

    outcome = engine.export(paths, options, choose_consent(args, state.policy.ask_consent),
                            ask_parent=terminal_parent if interactive else None, skip=skip,
                            on_result=show, keep_reports=False, reports=reports)
    if out is not None:
        out.close()
    else:
        for line in skipped:
            say(line)
        say(summary_line(tally))
    return 0 if outcome.ok else 1


def _calm_go_ahead(engine: Engine, reports: list[Report], state: PolicyState) -> bool:
    """The app's calm warning, on the terminal, when a photo may show nudity and the policy
    checks for it: False unless the person chose the way on ("A parent is here", whose
    passphrase the export then asks for, or "Share anyway")."""
    from share_guard.cli.sensitive_prompt import calm_warning
    from share_guard.core.export.consent import ConsentFlag
    from share_guard.core.family.sensitive_words import PARENT, SHARE_ANYWAY

    mode = state.policy.sensitive
    flagged = [r for r in reports if ConsentFlag.SENSITIVE in engine.assess(r, state=state).flags]
    if not flagged or mode == "allow":
        return True
    return calm_warning(mode, len(flagged)) in (PARENT, SHARE_ANYWAY)


def summary_line(tally: Tally) -> str:
    """The last line: how many copies were written, how many files were not, and why."""
    from share_guard.cli.words import refusals

    parts = [ngettext("{n} clean copy written", "{n} clean copies written",
                      tally.count("cleaned"))]
    if tally.count("refused"):
        parts.append(ngettext("{n} file refused", "{n} files refused", tally.count("refused")))
    if tally.count("error"):
        parts.append(ngettext("{n} file could not be read or written",
                              "{n} files could not be read or written", tally.count("error")))
    if tally.count("cancelled"):
        parts.append(ngettext("{n} file not written (stopped)", "{n} files not written (stopped)",
                              tally.count("cancelled")))
    return f"{', '.join(parts)}{refusals(tally)}"


def print_result(r: ExportResult) -> None:
    if r.ok and r.output is not None:
        say(f"{name(r.source)} -> {name(r.output)}")
        renamed = _renamed(r)
        if renamed:
            say("  " + _("named {name}").format(name=renamed))
        removed = grouped_removals(tuple(r.removed))
        if len(removed) > 1:
            say("  " + _("removed:"))
            for line in removed:
                say(f"    {line}")
        else:
            say("  " + _("removed: {what}").format(
                what=removed[0] if removed else _("nothing identifying")))
        if r.kept:
            say("  " + _("kept: {what}").format(what=listed(list(dict.fromkeys(r.kept)))))
        for c in r.changed:
            say("  " + _("changed: {what}").format(what=translated(c)))
    else:
        say(f"{name(r.source)}: {status_word(r.status.value)}: "
            f"{display_text(translated(r.reason), limit=400)}")


#: the words for an export's status (the JSON keeps the English value)
STATUS_WORDS = {"cleaned": N_("cleaned"), "refused": N_("refused"), "error": N_("error"),
                "cancelled": N_("cancelled")}


def status_word(status: str) -> str:
    return translated(STATUS_WORDS[status]) if status in STATUS_WORDS else status


def _renamed(r: ExportResult) -> str:
    """Why the copy's extension differs from the original's ("" when it does not)."""
    if r.before is None or r.output is None:
        return ""
    from share_guard.core.metadata.filename import from_name

    wrong = next((f for f in r.before.findings if from_name(f) and "extension" in f.detail), None)
    if wrong is None or r.output.suffix.lower() == r.source.suffix.lower():
        return ""
    return _("{suffix}: the original's name says {said}, but it is {kind}").format(
        suffix=r.output.suffix, said=r.source.suffix, kind=wrong.value.rsplit("holds ", 1)[-1])
