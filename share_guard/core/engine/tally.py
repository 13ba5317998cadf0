"""Counts for a batch, the same in every front end: the app's summary line under the file
list and the last line of ``clean FOLDER``, ``inspect FOLDER`` and ``takedown check``.

Plain numbers and the first reasons (each front end puts them in its own words, the app
through its translations), so "57 ready, 1 can't be cleaned" means the same thing in the
window and on the terminal. What counts as a thing found is here too
(:func:`things_found`): the badge, the findings' groups and the people panel agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from share_guard.core.engine.verdict import POSSIBLE_FACE, Assessment, Verdict
from share_guard.core.export.pipeline import ExportResult, ExportStatus
from share_guard.core.metadata.filename import from_name
from share_guard.core.report import Category, Finding, Report, crowd_area
from share_guard.core.textsafe import display_path

__all__ = ["Reason", "Standing", "Tally", "counts", "distinct", "from_name", "result_tally",
           "standing", "things_found", "verdict_tally"]


class Standing(StrEnum):
    """Where one checked file stands before export (the list's filter uses these)."""

    CLEAN = "clean"  # nothing identifying found: a copy changes nothing a person would miss
    ATTENTION = "attention"  # something was found: a clean copy takes it out, or asks first
    BLOCKED = "blocked"  # no clean copy can be made as it is (blocked, or rebuild only)


def standing(report: Report, assessment: Assessment | None) -> Standing:
    if report.error or (assessment is not None and not assessment.ready):
        return Standing.BLOCKED
    return Standing.ATTENTION if things_found(report) else Standing.CLEAN


def counts(finding: Finding) -> int:
    """How many things one finding is: faces and codes count their boxes (3 people are 3
    things), possible faces count none (they are offers, not findings), the rest one."""
    if not finding.identifying:
        return 0
    if finding.category in (Category.PEOPLE, Category.CODES) and finding.regions:
        # possible faces and crowd areas are covered or offered, not counted as people
        return sum(1 for r in finding.regions if r.label != POSSIBLE_FACE and not crowd_area(r))
    return 1


def things_found(report: Report) -> int:
    """Identifying things found in ``report``; a takedown-list item counts once however many
    of its hashes matched."""
    return sum(counts(f) for f in distinct(report.findings))


def _item(f: Finding) -> tuple[object, ...]:
    d = f.detail
    return (d.get("list"), d.get("label"), d.get("source"), d.get("added"))


def distinct(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` with one takedown finding per list item (the strongest of its hashes:
    a photo added once is stored as several hashes, and a match on each is one match)."""
    out: list[Finding] = []
    best: dict[tuple[object, ...], int] = {}
    for f in findings:
        if f.category is not Category.TAKEDOWN:
            out.append(f)
            continue
        key = _item(f)
        if key not in best:
            best[key] = len(out)
            out.append(f)
        elif (f.severity or 0) > (out[best[key]].severity or 0):
            out[best[key]] = f
    return out


@dataclass(frozen=True)
class Reason:
    name: str  # display-safe file name
    reason: str  # one line, display-safe


@dataclass
class Tally:
    """How many files are where, and why the first few that are not ready are not."""

    total: int = 0
    by: dict[str, int] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)
    unlisted: int = 0  # files with a reason beyond the first few

    def count(self, key: str) -> int:
        return self.by.get(key, 0)

    def _add(self, key: str, path: Path | None = None, reason: str = "") -> None:
        self.total += 1
        self.by[key] = self.by.get(key, 0) + 1
        if reason and path is not None:
            if len(self.reasons) < 3:
                self.reasons.append(Reason(display_path(path.name), reason))
            else:
                self.unlisted += 1


    def add_verdict(self, report: Report, assessment: Assessment) -> None:
        """Before export: ``ready``, ``rebuild`` (only a rebuild from pixels can make one)
        and ``blocked``; among the ready, ``found`` (something to take out) and ``clean``."""
        if assessment.verdict is Verdict.READY:
            self._add("ready")
            key = "found" if things_found(report) else "clean"
            self.by[key] = self.by.get(key, 0) + 1
        elif assessment.verdict is Verdict.NEEDS_REBUILD:
            self._add("rebuild", report.path, assessment.reason)
        else:
            self._add("blocked", report.path, assessment.reason)

    def add_result(self, r: ExportResult) -> None:
        """After export: ``cleaned``, ``refused``, ``error`` and ``cancelled``, with reasons."""
        reason = "" if r.status in (ExportStatus.CLEANED, ExportStatus.CANCELLED) else r.reason
        self._add(r.status.value, r.source, reason)


def verdict_tally(pairs: Iterable[tuple[Report, Assessment]]) -> Tally:
    """A batch's files before export (see :meth:`Tally.add_verdict`)."""
    tally = Tally()
    for report, assessment in pairs:
        tally.add_verdict(report, assessment)
    return tally


def result_tally(results: Iterable[ExportResult]) -> Tally:
    """A batch's results (see :meth:`Tally.add_result`); a batch that streams its results
    adds each as it comes."""
    tally = Tally()
    for r in results:
        tally.add_result(r)
    return tally
