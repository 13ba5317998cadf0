"""share-guard inspect PATH...: what each file gives away."""

from __future__ import annotations

import argparse

from share_guard.cli.common import emit_json, name, say, walk
from share_guard.core.inspect import InspectOptions, inspect
from share_guard.core.report import Category, Report
from share_guard.core.sandbox.pool import UNSAFE, isolated_inspect
from share_guard.core.textsafe import display_text

JSON_VERSION = 1


def register(subs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subs.add_parser("inspect", help="show what photos and videos give away")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (walked)")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.add_argument("--all", action="store_true", help="also list what is kept on purpose")
    add_isolation_flag(p)
    p.set_defaults(func=run, analyzers=[])


def add_isolation_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-isolation", action="store_true",
                   help="parse files in this process instead of a limited worker (debugging)")


def inspect_options(args: argparse.Namespace, thorough: bool = True) -> InspectOptions:
    """Analyzers other subcommand modules registered on ``args.analyzers`` (faces, lists...)."""
    return InspectOptions(analyzers=[make(args) for make in args.analyzers], thorough=thorough)


def run(args: argparse.Namespace) -> int:
    start_workers_early(args)
    options = inspect_options(args)
    check = inspect if args.no_isolation else isolated_inspect
    reports: list[Report] = []
    status = 0
    for path, explicit in walk(args.paths):
        report = check(path, options)
        if report.error and not explicit and report.format is None and UNSAFE not in report.error:
            if not args.json:
                say(f"{name(path)}: skipped ({display_text(report.error)})")
            continue
        reports.append(report)
        if report.error or report.identifying() or report.problems:
            status = 1
        if not args.json:
            print_report(report, show_kept=args.all)
    if args.json:
        emit_json({"version": JSON_VERSION, "files": [r.to_json() for r in reports]})
    return status


def print_report(report: Report, show_kept: bool = False) -> None:
    say(f"{name(report.path)}: {display_text(report.summary(), limit=400)}")
    if report.error:
        return
    for category in Category:
        items = [f for f in report.by_category(category) if f.identifying or show_kept]
        if not items:
            continue
        say(f"  {category.label}:")
        for f in items:
            say(f"    - {f.name}: {f.value}  [{f.where}]")
    for problem in report.problems:
        say(f"  ! {display_text(problem, limit=400)}")


def start_workers_early(args: argparse.Namespace) -> None:
    """Start the isolated workers in the background while this process finishes its own
    imports and walks the folders, so the first file does not wait for them."""
    if getattr(args, "no_isolation", False):
        return
    import threading

    from share_guard.core.sandbox.pool import default_pool

    threading.Thread(target=default_pool().warm, args=(2,), daemon=True,
                     name="sg-warm").start()
