"""share-guard inspect PATH...: what each file gives away."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from share_guard.cli.checks import add_check_options, engine_for, start_workers_early, usage_problem
from share_guard.cli.common import emit_json, name, say, walk, warn
from share_guard.core.report import Category, Report
from share_guard.core.textsafe import display_text

if TYPE_CHECKING:
    from share_guard.core.engine.engine import Engine

JSON_VERSION = 1


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("inspect", help="show what photos and videos give away")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (walked)")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.add_argument("--all", action="store_true", help="also list what is kept on purpose")
    add_check_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    problem = usage_problem(args)
    if problem:
        warn(problem)
        return 2
    engine = engine_for(args)
    try:
        start_workers_early(engine)
        return _inspect(args, engine)
    finally:
        engine.close()


def _inspect(args: argparse.Namespace, engine: Engine) -> int:
    reports: list[Report] = []
    status = 0
    for path, explicit in walk(args.paths):
        report = engine.inspect(path)
        if report.unsupported and not explicit:
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
