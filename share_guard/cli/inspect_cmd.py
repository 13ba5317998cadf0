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
    from share_guard.core.engine.tally import Tally

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
    from share_guard.core.engine.tally import Tally

    status = 0
    tally = Tally()  # counted as the reports come (none is held)
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
            tally.add_verdict(report, engine.assess(report))
    if out is not None:
        out.close()
    else:
        say(summary_line(tally))
    return status


def headline(report: Report) -> str:
    """One line per file; its count is the app's (3 people are 3 things, a takedown item
    matched by several hashes is one)."""
    from share_guard.cli.words import told
    from share_guard.core.engine.tally import counts, distinct, things_found

    n = things_found(report)
    if report.error or report.problems or n == 0 or report.takedown_verdict() is not None:
        return display_text(report.summary(), limit=400)
    kinds = [c.label for c in Category if any(counts(f) for f in distinct(report.by_category(c)))]
    return f"{told(n, 'thing found', 'things found')} ({', '.join(kinds)})"


def print_report(report: Report, show_kept: bool = False) -> None:
    from share_guard.core.engine.tally import distinct
    from share_guard.core.metadata.filename import from_name

    say(f"{name(report.path)}: {headline(report)}")
    if report.error:
        return
    for category in Category:
        items = [f for f in distinct(report.by_category(category)) if f.identifying or show_kept]
        if not items:
            continue
        say(f"  {category.label}:")
        for f in items:
            say(f"    - {f.name}: {f.value}  [{f.where}]")
    for f in report.findings:
        if from_name(f) and not f.identifying and not show_kept:  # a wrong extension
            say(f"  ! {display_text(f.explanation, limit=400)}")
    for problem in report.problems:
        say(f"  ! {display_text(problem, limit=400)}")


def summary_line(tally: Tally) -> str:
    """The last line: how many files a clean copy can be made of, how many not, and why."""
    from share_guard.cli.words import refusals, told

    ready = told(tally.count("ready"), "ready", "ready")
    inside = [text for n, text in (
        (tally.count("found"), f"{tally.count('found')} with something to take out"),
        (tally.count("clean"), f"{tally.count('clean')} with nothing found")) if n]
    if len(inside) == 2:
        ready += f" ({', '.join(inside)})"
    parts = [told(tally.total, "file checked", "files checked"), ready]
    if tally.count("rebuild"):
        parts.append(told(tally.count("rebuild"), "can only be rebuilt from its pixels",
                          "can only be rebuilt from their pixels"))
    if tally.count("blocked"):
        parts.append(f"{tally.count('blocked')} can't be cleaned")
    return f"{': '.join(parts[:1])}: {', '.join(parts[1:])}{refusals(tally)}"
