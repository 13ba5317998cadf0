"""share-guard takedown add|import|export|list|remove|check: the local takedown list.

Only hashes are stored (in the data folder's ``takedown.sqlite3``), never the
media. ``inspect`` and ``clean`` check the list too: their engine has it (core.engine.compose).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from share_guard.cli.common import emit_json, name, say, walk, warn
from share_guard.core.errors import ShareGuardError
from share_guard.core.hashing.values import HashType
from share_guard.core.i18n import N_, _, isolate, ngettext, translated
from share_guard.core.textsafe import display_text

if TYPE_CHECKING:
    from share_guard.core.sandbox.base import Runner
    from share_guard.core.takedown import Entry, Match, NewEntry, TakedownStore

# The list machinery (numpy, SQLite, the index) is imported inside the handlers: `inspect` and
# `clean` start without it when no takedown list exists.
DEFAULT_LIST = "default"  # == share_guard.core.takedown.store.DEFAULT_LIST (a test checks)

EXIT_OK, EXIT_FOUND = 0, 1
NOT_PROOF = N_("a hash match is strong evidence, not proof: compare with the entry before acting")


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("takedown", help=_("manage and check the local takedown list (hashes only)"))
    tsubs = p.add_subparsers(dest="takedown_command", metavar="ACTION", required=True)

    a = tsubs.add_parser("add", help=_("hash files and add the hashes (the files are not kept)"))
    a.add_argument("paths", nargs="+", metavar="FILE")
    a.add_argument("--label", required=True, help=_("what this is, shown when something matches"))
    a.add_argument("--source", default="", help=_("who asked for it / where it came from"))
    a.add_argument("--list", default=DEFAULT_LIST, dest="list_name", help=_("list name"))
    _isolation_flag(a)
    a.set_defaults(func=run_add)

    i = tsubs.add_parser("import", help=_("import a list file (share_guard, ThreatExchange, "
                                          "CSV, vPDQ or plain hex)"))
    i.add_argument("file", metavar="FILE")
    i.add_argument("--list", dest="list_name", help=_("list to import into"))
    i.add_argument("--type", dest="hash_type", choices=[t.value for t in HashType],
                   help=_("hash type of a plain hex list (needed for 64-digit hashes)"))
    i.add_argument("--label", default="", help=_("label for entries that have none"))
    i.add_argument("--source", help=_("source for entries (default: the file name)"))
    _passphrase_flag(i)
    i.set_defaults(func=run_import)

    e = tsubs.add_parser("export", help=_("write a list to a share_guard list file"))
    e.add_argument("out", metavar="FILE", help=_("new file to write (never overwritten)"))
    e.add_argument("--list", default=DEFAULT_LIST, dest="list_name", help=_("list name"))
    e.set_defaults(func=run_export)

    ls = tsubs.add_parser("list", help=_("show lists and entries"))
    ls.add_argument("--list", dest="list_name", help=_("only this list"))
    ls.add_argument("--all", action="store_true", help=_("include withdrawn entries"))
    ls.add_argument("--json", action="store_true", help=_("machine-readable output"))
    ls.set_defaults(func=run_list)

    r = tsubs.add_parser("remove", help=_("withdraw entries (kept as tombstones for export)"))
    r.add_argument("ids", nargs="*", type=int, metavar="ID", help=_("entry ids (see 'list')"))
    r.add_argument("--item", action="append", default=[],
                   help=_("withdraw every hash of one added file (item id from 'list')"))
    _passphrase_flag(r)
    r.set_defaults(func=run_remove)

    c = tsubs.add_parser("check", help=_("check files against the list"))
    c.add_argument("paths", nargs="+", metavar="PATH", help=_("files or folders (walked)"))
    c.add_argument("--json", action="store_true", help=_("machine-readable output"))
    _isolation_flag(c)
    c.set_defaults(func=run_check)


def _isolation_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-isolation", action="store_true",
                   help=_("hash files in this process instead of a limited worker (debugging)"))


def _runner(args: argparse.Namespace) -> Runner:
    """Where the files are read (hashing decodes them): the sandbox unless --no-isolation."""
    from pathlib import Path

    from share_guard.core.engine.compose import Features, build_engine

    folder = Path(args.data_dir) if args.data_dir else None
    return build_engine(Features(isolated=not args.no_isolation, data_dir=folder)).runner


def _passphrase_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--passphrase-stdin", action="store_true",
                   help=_("while the protection settings are locked: read the parent "
                          "passphrase from standard input"))


def _parent_refusal(args: argparse.Namespace, what: str) -> str:
    """Withdrawing entries loosens the list, so under a parent's lock (docs/family.md) it needs
    the parent passphrase: a list file can carry withdrawals, so importing one does too."""
    from share_guard.cli.policy_cmd import parent_refusal

    return parent_refusal(args.passphrase_stdin, what)


def _store(args: argparse.Namespace) -> TakedownStore:
    from share_guard.core.takedown.store import TakedownStore, default_path

    return TakedownStore(default_path(args.data_dir))


def _guard(fn: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(fn(args))
        except ShareGuardError as exc:
            warn(translated(str(exc)))
            return EXIT_FOUND
    run.__doc__ = fn.__doc__
    return run


@_guard
def run_add(args: argparse.Namespace) -> int:
    from functools import partial

    from share_guard.core.takedown.hashfile import entries_for_file

    hash_file = partial(entries_for_file, label=args.label, source=args.source)
    runner = _runner(args)
    try:
        return _add(args, runner, hash_file)
    finally:
        runner.close()


def _add(args: argparse.Namespace, runner: Runner,
         hash_file: Callable[[Path], list[NewEntry]]) -> int:
    status = EXIT_OK
    with _store(args) as store:
        for path, _explicit in walk(args.paths):
            try:
                entries = runner.call(hash_file, path)
                ids = store.add(entries, args.list_name)
            except (ShareGuardError, OSError) as exc:
                warn(_("{name}: not added: {problem}").format(
                    name=name(path), problem=display_text(translated(str(exc)))))
                status = EXIT_FOUND
                continue
            kinds = ", ".join(sorted({e.type.value for e in entries}))
            say(ngettext("{name}: added {n} hash ({kinds}) to list '{list}' as item {item}; "
                         "the file itself was not copied",
                         "{name}: added {n} hashes ({kinds}) to list '{list}' as item {item}; "
                         "the file itself was not copied", len(set(ids))).format(
                name=name(path), kinds=kinds, list=isolate(args.list_name),
                item=isolate(entries[0].item)))
    return status


@_guard
def run_import(args: argparse.Namespace) -> int:
    from share_guard.core.takedown.exchange import import_file

    kind = HashType(args.hash_type) if args.hash_type else None
    refused = _parent_refusal(args, _(
        "The protection settings are locked: importing a takedown list needs the parent "
        "passphrase."))
    if refused:
        warn(refused)
        return EXIT_FOUND
    with _store(args) as store:
        result = import_file(store, args.file, list_name=args.list_name, hash_type=kind,
                             label=args.label, source=args.source)
    fields = {"withdrawn": result.withdrawn, "list": isolate(display_text(result.list_name)),
              "format": result.format, "sequence": result.sequence}
    if result.sequence is not None:
        said = ngettext("imported {n} entry ({withdrawn} withdrawn) into list '{list}' from a "
                        "{format} file, sequence {sequence}",
                        "imported {n} entries ({withdrawn} withdrawn) into list '{list}' from a "
                        "{format} file, sequence {sequence}", result.added)
    else:
        said = ngettext("imported {n} entry ({withdrawn} withdrawn) into list '{list}' from a "
                        "{format} file",
                        "imported {n} entries ({withdrawn} withdrawn) into list '{list}' from a "
                        "{format} file", result.added)
    say(said.format(**fields))
    return EXIT_OK


@_guard
def run_export(args: argparse.Namespace) -> int:
    from share_guard.core.takedown.exchange import export_list

    with _store(args) as store:
        n = export_list(store, args.list_name, Path(args.out))
    say(ngettext("wrote {n} entry of list '{list}' to {name}",
                 "wrote {n} entries of list '{list}' to {name}", n).format(
        list=isolate(args.list_name), name=name(Path(args.out))))
    return EXIT_OK


def _entry_json(e: Entry) -> dict[str, Any]:
    return {"id": e.id, "list": e.list, "item": e.item, "type": e.type.value, "value": e.value,
            "quality": e.quality, "label": e.label, "source": e.source, "added": e.added,
            "status": e.status}


@_guard
def run_list(args: argparse.Namespace) -> int:
    with _store(args) as store:
        infos = [i for i in store.lists() if args.list_name in (None, i.name)]
        if args.list_name and not infos:
            store.list_info(args.list_name)  # raises a clear "no such list"
        entries = list(store.entries(args.list_name, include_withdrawn=args.all))
    if args.json:
        emit_json({
            "version": 1,
            "lists": [{"name": i.name, "list_id": i.uid, "publisher": i.publisher,
                       "sequence": i.sequence, "active": i.active, "withdrawn": i.withdrawn}
                      for i in infos],
            "entries": [_entry_json(e) for e in entries],
        })
        return EXIT_OK
    for i in infos:
        # names and publishers come from imported list files: untrusted text
        fields = {"list": isolate(display_text(i.name)), "active": i.active,
                  "withdrawn": i.withdrawn, "sequence": i.sequence,
                  "publisher": isolate(display_text(i.publisher))}
        say((_("list '{list}': {active} active, {withdrawn} withdrawn, sequence {sequence}, "
               "from {publisher}") if i.publisher else
             _("list '{list}': {active} active, {withdrawn} withdrawn, sequence {sequence}"))
            .format(**fields))
    for e in entries:
        value = display_text(e.value if len(e.value) <= 20 else e.value[:16] + "...")
        q = f" q{e.quality}" if e.quality is not None else ""
        gone = " " + _("[withdrawn]") if not e.active else ""
        say(f"  {e.id:>6}  {e.type.value:<6} {value:<19}{q:<5} {e.label!r} "
            f"source={e.source!r} added={display_text(e.added)} item={display_text(e.item)}{gone}")
    return EXIT_OK


@_guard
def run_remove(args: argparse.Namespace) -> int:
    if not args.ids and not args.item:
        warn(_("say which entries to withdraw: entry ids or --item"))
        return 2
    refused = _parent_refusal(args, _(
        "The protection settings are locked: withdrawing takedown entries needs the parent "
        "passphrase."))
    if refused:
        warn(refused)
        return EXIT_FOUND
    with _store(args) as store:
        n = store.withdraw(ids=args.ids, items=args.item)
    say(ngettext("withdrew {n} entry (kept as a tombstone so exports tell others to drop it "
                 "too)", "withdrew {n} entries (kept as tombstones so exports tell others to "
                 "drop them too)", n))
    return EXIT_OK if n else EXIT_FOUND


def _match_json(m: Match) -> dict[str, Any]:
    return {"match": m.strength, "hash_type": m.hash_type.value, "distance": m.distance,
            "how": m.how, "entry": _entry_json(m.entry)}


def _one_per_item(matches: list[Match]) -> list[Match]:
    """One line per list item: a photo added once is several hashes, and a match on each is
    one match (the closest is shown)."""
    best: dict[tuple[str, str], Match] = {}
    for m in matches:
        key = (m.entry.list, m.entry.item)
        if key not in best or (m.is_match, -m.distance) > (best[key].is_match, -best[key].distance):
            best[key] = m
    return list(best.values())


def check_summary(results: list[tuple[Path, list[Match], str | None]]) -> str:
    """The last line of ``takedown check``: files checked, matched, possibly matched, unread."""
    matched = [p for p, ms, _ in results if any(m.is_match for m in ms)]
    possible = [p for p, ms, _ in results if ms and p not in matched]
    failed = [(p, err) for p, _, err in results if err]
    clear = len(results) - len(matched) - len(possible) - len(failed)
    checked = ngettext("{n} file checked", "{n} files checked", len(results))
    # Translators: files checked against the takedown list: how many matched, possibly, not
    found = _("{matched} on the list, {possible} possibly, {clear} not").format(
        matched=len(matched), possible=len(possible), clear=clear)
    text = f"{checked}: {found}"
    if failed:
        shown = "; ".join(f"{isolate(display_text(p.name))}: "
                          f"{display_text(translated(err), limit=120)}" for p, err in failed[:3])
        text += ", " + ngettext("{n} could not be checked", "{n} could not be checked",
                                len(failed)) + f": {shown}"
    return text


@_guard
def run_check(args: argparse.Namespace) -> int:
    from share_guard.core.takedown.analyzer import check_file_at
    from share_guard.core.takedown.store import default_path

    path_db = default_path(args.data_dir)
    results: list[tuple[Path, list[Match], str | None]] = []
    runner = _runner(args) if path_db.exists() else None  # no list: nothing to read
    try:
        for path, _explicit in walk(args.paths):
            try:
                found = runner.call(check_file_at, str(path_db), path) if runner else []
                results.append((path, found, None))
            except (ShareGuardError, OSError) as exc:
                results.append((path, [], str(exc)))
    finally:
        if runner is not None:
            runner.close()
    if args.json:
        emit_json({"version": 1, "note": NOT_PROOF, "files": [
            {"path": str(p), "error": display_text(err) if err else None,
             "matches": [_match_json(m) for m in ms]}
            for p, ms, err in results
        ]})
    else:
        for p, ms, err in results:
            if err:
                say(_("{name}: could not be checked: {problem}").format(
                    name=name(p), problem=display_text(translated(err))))
            elif not ms:
                say(_("{name}: no match on the takedown list").format(name=name(p)))
            for m in _one_per_item(ms):
                e = m.entry
                line = _("{name}: MATCHES entry {id} {label} (list '{list}', {type} distance "
                         "{distance}, {how}; source {source}, added {added})") if m.is_match \
                    else _("{name}: possibly matches entry {id} {label} (list '{list}', {type} "
                           "distance {distance}, {how}; source {source}, added {added})")
                say(line.format(name=name(p), id=e.id, label=repr(e.label),
                                list=isolate(display_text(e.list)), type=m.hash_type.value,
                                distance=m.distance, how=translated(m.how), source=repr(e.source),
                                added=display_text(e.added)))
        if any(ms for _, ms, _ in results):
            say(_("note: {what}").format(what=translated(NOT_PROOF)))
        say(check_summary(results))
    return EXIT_FOUND if any(ms or err for _, ms, err in results) else EXIT_OK
