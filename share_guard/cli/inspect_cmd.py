"""share-guard inspect PATH...: what each file gives away."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from share_guard.cli.checks import add_check_options, engine_for, start_workers_early, usage_problem
from share_guard.cli.common import JsonFiles, name, say, walk, warn
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
    status = 0
    walked = list(walk(args.paths))
    out = JsonFiles(JSON_VERSION) if args.json else None
    # in batches across the workers; each report is printed (and let go) as it comes
    for (path, explicit), report in zip(walked, engine.inspect_each([p for p, _ in walked]),
                                        strict=True):
        if report.unsupported and not explicit:
            if out is None:
                say(f"{name(path)}: skipped ({display_text(report.error)})")
            continue
        if report.error or report.identifying() or report.problems:
            status = 1
        if out is not None:
            out.add(report.to_json())
        else:
            print_report(report, show_kept=args.all)
    if out is not None:
        out.close()
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
