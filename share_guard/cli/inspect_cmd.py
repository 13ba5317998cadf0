"""share-guard inspect PATH...: what each file gives away."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from share_guard.cli.checks import add_check_options, engine_for, start_workers_early, usage_problem
from share_guard.cli.common import JsonFiles, name, say, walk, warn
from share_guard.core.i18n import _, ngettext, translated
from share_guard.core.report import Category, Report
from share_guard.core.textsafe import display_text

if TYPE_CHECKING:
    from share_guard.core.engine.engine import Engine
    from share_guard.core.engine.tally import Tally

JSON_VERSION = 1


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("inspect", help=_("show what photos and videos give away"))
    p.add_argument("paths", nargs="+", metavar="PATH", help=_("files or folders (walked)"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output (see README)"))
    p.add_argument("--all", action="store_true", help=_("also list what is kept on purpose"))
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
    for (path, explicit), report in zip(walked, engine.inspect_each([p for p, _given in walked]),
                                        strict=True):
        if report.unsupported and not explicit:
            if out is None:
                say(_("{name}: skipped ({why})").format(
                    name=name(path), why=display_text(translated(report.error))))
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
    from share_guard.core.engine.tally import counts, distinct, things_found

    n = things_found(report)
    if report.error or report.problems or n == 0 or report.takedown_verdict() is not None:
        return display_text(summary(report), limit=300)
    kinds = [c for c in Category if any(counts(f) for f in distinct(report.by_category(c)))]
    return found_line(n, kinds)


def found_line(n: int, kinds: list[Category]) -> str:
    """"3 things found (Location, Which device)"."""
    labels = ", ".join(translated(c.label) for c in kinds)
    return ngettext("{n} thing found ({kinds})", "{n} things found ({kinds})", n).format(
        kinds=labels)


def summary(report: Report) -> str:
    """:meth:`Report.summary` in the language chosen (the report's own is English)."""
    from share_guard.core.report import TakedownVerdict

    if report.error:
        return _("error: {problem}").format(problem=translated(report.error))
    if report.takedown_verdict() is TakedownVerdict.MATCH:
        return _("blocked by takedown list")
    if report.problems:
        return _("cannot be cleaned with confidence: {problem}").format(
            problem=translated(report.problems[0]))
    found = report.identifying()
    if not found:
        return _("nothing found")
    return found_line(len(found), [c for c in Category if any(f.category is c for f in found)])


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
        say(f"  {translated(category.label)}:")
        for f in items:
            say(f"    - {translated(f.name)}: {f.value}  [{f.where}]")
    for f in report.findings:
        if from_name(f) and not f.identifying and not show_kept:  # a wrong extension
            say(f"  ! {display_text(translated(f.explanation), limit=400)}")
    for problem in report.problems:
        say(f"  ! {display_text(translated(problem), limit=400)}")


def summary_line(tally: Tally) -> str:
    """The last line: how many files a clean copy can be made of, how many not, and why."""
    from share_guard.cli.words import refusals

    found, clean = tally.count("found"), tally.count("clean")
    # Translators: files a clean copy can be made of ("3 ready")
    ready = ngettext("{n} ready", "{n} ready", tally.count("ready"))
    if found and clean:
        ready += " ({found}, {clean})".format(
            found=ngettext("{n} with something to take out", "{n} with something to take out",
                           found),
            clean=ngettext("{n} with nothing found", "{n} with nothing found", clean))
    parts = [ready]
    if tally.count("rebuild"):
        parts.append(ngettext("{n} can only be rebuilt from its pixels",
                              "{n} can only be rebuilt from their pixels", tally.count("rebuild")))
    if tally.count("blocked"):
        parts.append(ngettext("{n} can't be cleaned", "{n} can't be cleaned",
                              tally.count("blocked")))
    checked = ngettext("{n} file checked", "{n} files checked", tally.total)
    return f"{checked}: {', '.join(parts)}{refusals(tally)}"
