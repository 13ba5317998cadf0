"""share-guard consent log|delete|clear: the local record of what was confirmed at each export."""

from __future__ import annotations

import argparse
import sys

from share_guard.cli.common import emit_json, say, warn
from share_guard.core.family.records import ConsentLog, ConsentRecord
from share_guard.core.paths import data_dir


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("consent", help="the local consent records (never sent anywhere)")
    csubs = p.add_subparsers(dest="consent_command", metavar="ACTION", required=True)
    log = csubs.add_parser("log", help="list the records, newest first")
    log.add_argument("--json", action="store_true", help="machine-readable output")
    log.add_argument("-n", "--limit", type=int, metavar="N", help="only the newest N")
    log.set_defaults(func=run_log)
    delete = csubs.add_parser("delete", help="delete some records")
    delete.add_argument("ids", nargs="+", type=int, metavar="ID")
    delete.set_defaults(func=run_delete)
    clear = csubs.add_parser("clear", help="delete every record")
    clear.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
    clear.set_defaults(func=run_clear)


def _log(args: argparse.Namespace) -> ConsentLog:
    return ConsentLog(data_dir(args.data_dir))


def answered(r: ConsentRecord) -> str:
    """How consent was answered, without saying "given" when it was not."""
    if r.outcome == "declined":
        return f"consent not given (asked via {r.via})" if r.via != "none" else \
            "consent not given (nobody answered)"
    return f"consent via {r.via}"


def describe(r: ConsentRecord) -> list[str]:
    lines = [f"#{r.id}  {r.at}  {r.outcome}: {r.exported} of {r.files} file"
             f"{'s' if r.files != 1 else ''} ({answered(r)})"]
    for c in r.confirmed:
        lines.append(f"    confirmed: {c}")
    if r.removed:
        lines.append(f"    removed: {', '.join(r.removed)}")
    for c in r.changed:
        lines.append(f"    changed: {c}")
    for w in r.warnings_shown:
        mark = " (shared anyway)" if w in r.warnings_overridden else ""
        lines.append(f"    warning shown: {w}{mark}")
    if r.parent_approved:
        lines.append("    a parent's passphrase was given")
    for d in r.detail or ():
        lines.append(f"    file: {d.get('source')} -> {d.get('output')} [{d.get('status')}] "
                     f"sha256 {d.get('sha256')}")
    return lines


def run_log(args: argparse.Namespace) -> int:
    records = _log(args).list(args.limit)
    if args.json:
        emit_json({"version": 1, "records": [r.to_json() for r in records]})
        return 0
    if not records:
        say("No consent records.")
    for r in records:
        for line in describe(r):
            say(line)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    count = _log(args).delete(args.ids)
    say(f"Deleted {count} record{'s' if count != 1 else ''}.")
    return 0 if count == len(set(args.ids)) else 1


def run_clear(args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            warn("pass --yes to delete every consent record without a terminal")
            return 2
        if input("Delete every consent record? [y/N] ").strip().lower() not in ("y", "yes"):
            say("Nothing deleted.")
            return 1
    count = _log(args).clear()
    say(f"Deleted {count} record{'s' if count != 1 else ''}.")
    return 0
