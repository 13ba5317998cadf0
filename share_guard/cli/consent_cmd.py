"""share-guard consent log|delete|clear: the local record of what was confirmed at each export."""

from __future__ import annotations

import argparse
import sys

from share_guard.cli.common import emit_json, is_yes, say, warn
from share_guard.core.family.records import ConsentLog, ConsentRecord
from share_guard.core.i18n import N_, _, ngettext, translated
from share_guard.core.paths import data_dir


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("consent", help=_("the local consent records (never sent anywhere)"))
    csubs = p.add_subparsers(dest="consent_command", metavar="ACTION", required=True)
    log = csubs.add_parser("log", help=_("list the records, newest first"))
    log.add_argument("--json", action="store_true", help=_("machine-readable output"))
    log.add_argument("-n", "--limit", type=int, metavar="N", help=_("only the newest N"))
    log.set_defaults(func=run_log)
    delete = csubs.add_parser("delete", help=_("delete some records"))
    delete.add_argument("ids", nargs="+", type=int, metavar="ID")
    delete.set_defaults(func=run_delete)
    clear = csubs.add_parser("clear", help=_("delete every record"))
    clear.add_argument("--yes", action="store_true", help=_("do not ask (needed without a terminal)"))
    clear.set_defaults(func=run_clear)


def _log(args: argparse.Namespace) -> ConsentLog:
    return ConsentLog(data_dir(args.data_dir))


def answered(r: ConsentRecord) -> str:
    """How consent was answered, without saying "given" when it was not."""
    if r.outcome == "declined":
        return _("consent not given (asked via {via})").format(via=_word(r.via)) \
            if r.via != "none" else _("consent not given (nobody answered)")
    return _("consent via {via}").format(via=_word(r.via))


#: the words for the stored values of a record (the record and its JSON keep the English)
WORDS = {
    # Translators: how consent was answered: on the terminal
    "terminal": N_("terminal"),
    # Translators: how consent was answered: with the --consent option
    "flag": N_("flag"),
    # Translators: how consent was answered: in the app's dialog
    "dialog": N_("dialog"),
    # Translators: a consent record's outcome: the copies were made
    "exported": N_("exported"),
    # Translators: a consent record's outcome: consent was not given
    "declined": N_("declined"),
    # Translators: a consent record's outcome: consent was given but no copy could be made
    "failed": N_("failed"),
}


def _word(value: str) -> str:
    return translated(WORDS[value]) if value in WORDS else value


def describe(r: ConsentRecord) -> list[str]:
    # Translators: a consent record: "3 of 4 files" were exported
    files = ngettext("{exported} of {n} file", "{exported} of {n} files", r.files).format(
        exported=r.exported)
    lines = [f"#{r.id}  {r.at}  {_word(r.outcome)}: {files} ({answered(r)})"]
    for c in r.confirmed:
        lines.append("    " + _("confirmed: {what}").format(what=translated(c)))
    if r.removed:
        lines.append("    " + _("removed: {what}").format(
            what=", ".join(translated(x) for x in r.removed)))
    for c in r.changed:
        lines.append("    " + _("changed: {what}").format(what=translated(c)))
    for w in r.warnings_shown:
        line = _("warning shown: {what} (shared anyway)") if w in r.warnings_overridden \
            else _("warning shown: {what}")
        lines.append("    " + line.format(what=translated(w)))
    if r.parent_approved:
        lines.append("    " + _("a parent's passphrase was given"))
    for d in r.detail or ():
        lines.append("    " + _("file: {source} -> {output} [{status}] sha256 {sha256}").format(
            source=d.get("source"), output=d.get("output"), status=d.get("status"),
            sha256=d.get("sha256")))
    return lines


def run_log(args: argparse.Namespace) -> int:
    records = _log(args).list(args.limit)
    if args.json:
        emit_json({"version": 1, "records": [r.to_json() for r in records]})
        return 0
    if not records:
        say(_("No consent records."))
    for r in records:
        for line in describe(r):
            say(line)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    count = _log(args).delete(args.ids)
    say(ngettext("Deleted {n} record.", "Deleted {n} records.", count))
    return 0 if count == len(set(args.ids)) else 1


def run_clear(args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            warn(_("pass --yes to delete every consent record without a terminal"))
            return 2
        if not is_yes(input(_("Delete every consent record? [y/N] "))):
            say(_("Nothing deleted."))
            return 1
    count = _log(args).clear()
    say(ngettext("Deleted {n} record.", "Deleted {n} records.", count))
    return 0
