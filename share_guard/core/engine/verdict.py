"""The verdict on a report: may a clean copy of the file be made, and what will consent say.

:func:`assess` is the one place the export rules live: the CLI, the app's buttons and
banners and the export itself all read its :class:`Assessment`. It is pure (no file is
read), so a front end may call it as often as it redraws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from share_guard.core.export.consent import ConsentFlag, ConsentItem
from share_guard.core.export.pipeline import Cover, Transform
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.filename import from_name, name_findings
from share_guard.core.report import Category, FileKind, Region, Report, crowd_area, labelled
from share_guard.core.textsafe import display_path, display_text

if TYPE_CHECKING:
    from share_guard.core.family.gates import Gate

#: the label of a detection too weak to pre-select (analysis.faces and .tracks label the
#: others "face")
POSSIBLE_FACE = "possible face"


class Verdict(StrEnum):
    READY = "ready"  # a clean copy can be made (after consent, and a parent where asked)
    NEEDS_REBUILD = "needs rebuild"  # only re-encoding from pixels can make one
    BLOCKED = "blocked"  # no copy will be made


class Blocker(StrEnum):
    """What stands in the way, for front ends to choose their words (never parsed)."""

    UNREADABLE = "unreadable"  # the file could not be read at all
    TAKEDOWN = "takedown"  # a confirmed takedown-list match
    POLICY = "policy"  # a rule of the protection policy
    NOT_UNDERSTOOD = "not understood"  # the container was not parsed with confidence
    CHECK_FAILED = "check failed"  # a check (takedown list, nudity...) could not run
    DESTINATION = "destination"  # the copy cannot go where it would go


@dataclass(frozen=True)
class Mentions:
    """What consent must mention about one file."""

    will_remove: tuple[str, ...] = ()  # "Location: GPS position", ...
    will_cover: tuple[str, ...] = ()  # "2 faces", "1 readable code", ...
    will_not_cover: tuple[str, ...] = ()  # found in the picture and left as it is
    warnings: tuple[str, ...] = ()  # "people can be recognised and will not be covered"
    flags: tuple[ConsentFlag, ...] = ()
    #: what the copy still gives away besides the picture: "When: Date in the file name"
    will_keep: tuple[str, ...] = ()
    people: bool = False  # someone can be recognised in the picture (covered or not)


@dataclass(frozen=True)
class Assessment:
    """The verdict on one report, why, and what consent must mention about the file."""

    verdict: Verdict
    reason: str = ""  # why not ready: one line, display-safe
    blocker: Blocker | None = None  # what stands in the way (for a front end's wording)
    #: a parent must agree before it is exported: the gate's words (verdict stays READY)
    parent: str = ""
    #: checks the gates need that have not run on this report (the export runs them first)
    pending: tuple[str, ...] = ()
    mentions: Mentions = Mentions()

    @property
    def ready(self) -> bool:
        return self.verdict is Verdict.READY

    @property
    def blocked(self) -> bool:
        return self.verdict is Verdict.BLOCKED

    @property
    def flags(self) -> tuple[ConsentFlag, ...]:
        return self.mentions.flags

    def consent_item(self, report: Report) -> ConsentItem:
        kind = report.kind.value if report.kind is not None else "file"
        m = self.mentions
        return ConsentItem(display_path(report.path.name), kind, m.will_remove, m.warnings,
                           m.flags, m.will_cover, m.will_not_cover, m.will_keep, m.people)


def assess(report: Report, gates: Sequence[Gate], *, dest: Path | None = None,
           transforms: Sequence[Transform] = ()) -> Assessment:
    """Judge ``report`` by ``gates`` (in order) for a copy at ``dest`` (None: not chosen yet)
    made with ``transforms``. A refusal a parent may lift leaves the verdict READY with
    ``parent`` set; gates whose evidence is missing are listed in ``pending``."""
    facts = mentions(report, transforms, dest)
    if report.error:
        return Assessment(Verdict.BLOCKED, display_text(report.error, limit=300),
                          Blocker.UNREADABLE, mentions=facts)
    parent = ""
    pending: list[str] = []
    for gate in gates:
        missing = [e.check for e in gate.needs if e.check not in report.checked]
        if missing:
            pending.extend(m for m in missing if m not in pending)
            continue
        refusal = gate.judge(report, dest)
        if refusal is None:
            continue
        if refusal.parent_may_allow:
            parent = parent or refusal.reason
            continue
        return Assessment(Verdict.BLOCKED, display_text(refusal.reason, limit=300), gate.blocker,
                          mentions=facts)
    if report.problems:
        problem = display_text(report.problems[0], limit=240)
        if report.failed_checks:
            # a check that did not run (an unreadable takedown list) is not a container
            # problem: rebuilding would skip it, so it is refused and not offered
            return Assessment(Verdict.BLOCKED, message(N_("not cleaned: {problem}"),
                                                       problem=problem),
                              Blocker.CHECK_FAILED, mentions=facts)
        if report.kind is FileKind.IMAGE and report.properties.get("rebuildable") is False:
            # a rebuild would fail too (a truncated JPEG): not offered (the decoder's own
            # words are in the report's properties, for --json)
            return Assessment(Verdict.BLOCKED, message(
                N_("not cleaned: {problem}; its pixels cannot be decoded either, so it cannot "
                   "be rebuilt from them"), problem=problem),
                              Blocker.NOT_UNDERSTOOD, mentions=facts)
        if report.kind is FileKind.IMAGE:
            return Assessment(Verdict.NEEDS_REBUILD,
                              message(N_("not cleaned: {problem} (try rebuild from pixels)"),
                                      problem=problem),
                              Blocker.NOT_UNDERSTOOD, parent, tuple(pending), facts)
        return Assessment(Verdict.BLOCKED, message(N_("not cleaned: {problem}"), problem=problem),
                          Blocker.NOT_UNDERSTOOD, mentions=facts)
    return Assessment(Verdict.READY, parent=parent, pending=tuple(pending), mentions=facts)


def mentions(report: Report, transforms: Sequence[Transform] = (),
             dest: Path | None = None) -> Mentions:
    """What the copy of ``report``'s file made with ``transforms`` (named ``dest``, when
    chosen) loses, covers and leaves."""
    name = display_path(report.path.name)
    covers = [t.covers(report) for t in transforms]
    gone, kept = _name_facts(report, dest)
    removed = tuple(sorted({labelled(f) for f in report.leaks()}
                           | set(gone) | {r for c in covers for r in c.removes}))
    covered = frozenset(r for c in covers for r in c.regions)
    faces, possible, codes, unlocated = _regions(report)
    crowd = [r for r in faces if crowd_area(r)]
    faces = [r for r in faces if not crowd_area(r)]
    will_cover = [_count(len([r for r in faces if r in covered]), *_FACES),
                  _count(len([r for r in crowd if r in covered]), *_CROWD),
                  _count(len([r for r in possible if r in covered]), *_POSSIBLE_FACES),
                  _count(len([r for r in codes if r in covered]), *_CODES),
                  _count(sum(c.drawn for c in covers), *_DRAWN)]
    if any(c.outside for c in covers):
        will_cover.append(N_("everything outside the chosen area"))
    faces_left = len([r for r in faces if r not in covered]) + unlocated
    will_not_cover = [_count(faces_left, *_FACES),
                      _count(len([r for r in codes if r not in covered]), *_CODES)]
    warnings: list[str] = []
    flags: list[ConsentFlag] = []
    if faces_left:
        flags.append(ConsentFlag.FACES_UNCOVERED)
        warnings.append(message(N_("{name}: people can be recognised and will not be covered"),
                                name=name))
    for flag, category in ((ConsentFlag.TAKEDOWN, Category.TAKEDOWN),
                           (ConsentFlag.SENSITIVE, Category.SENSITIVE)):
        for f in report.by_category(category):
            flags.append(flag)
            warnings.append(message(N_("{name}: {why}"), name=name, why=f.explanation))
    return Mentions(removed, tuple(w for w in will_cover if w),
                    tuple(w for w in will_not_cover if w), tuple(warnings),
                    tuple(dict.fromkeys(flags)), kept, bool(faces) or unlocated > 0)


def _name_facts(report: Report, dest: Path | None) -> tuple[list[str], tuple[str, ...]]:
    """What the original's name gives away that the copy's name ``dest`` drops, and what it
    keeps (all of it while no name is chosen)."""
    named = [f for f in report.identifying() if from_name(f)]
    if not named:
        return [], ()
    left = {(f.category, f.name) for f in name_findings(dest, report.kind)} if dest else None
    gone = [labelled(f) for f in named
            if left is not None and (f.category, f.name) not in left]
    # (not "name (value)": names hold brackets of their own, "By-line (author)", and a front
    # end finds a template again by its fixed words)
    kept = tuple(message(N_("{category}: {name} — {value}"), category=f.category.label,
                         name=f.name, value=f.value) for f in named
                 if left is None or (f.category, f.name) in left)
    return gone, kept


def _regions(report: Report) -> tuple[list[Region], list[Region], list[Region], int]:
    """(recognisable faces, possible faces, readable codes, people found without a box)."""
    faces: list[Region] = []
    possible: list[Region] = []
    codes: list[Region] = []
    unlocated = 0
    for f in report.findings:
        if f.category is Category.PEOPLE:
            if f.identifying and not f.regions:
                unlocated += 1
            for r in f.regions:
                sure = f.identifying and r.label != POSSIBLE_FACE
                (faces if sure else possible).append(r)
        elif f.category is Category.CODES:
            codes.extend(f.regions)
    return faces, possible, codes, unlocated


#: counted things, one and many: the core writes English (the consent record keeps it); a
#: front end translates each line with translated(). Faces and possible faces are not marked
#: here: the window counts them with ngettext, and translated() takes the language's plural
#: form from that entry (one msgid cannot be both counted and not)
_FACES = ("{n} face", "{n} faces")
_POSSIBLE_FACES = ("{n} possible face", "{n} possible faces")
_CROWD = (N_("{n} more area in the crowd"), N_("{n} more areas in the crowd"))
_CODES = (N_("{n} readable code"), N_("{n} readable codes"))
_DRAWN = (N_("{n} area drawn by hand"), N_("{n} areas drawn by hand"))


def _count(n: int, one: str, many: str) -> str:
    return "" if n <= 0 else message(one if n == 1 else many, n=n)


__all__ = ["Assessment", "Blocker", "Cover", "Mentions", "Verdict", "assess", "mentions"]
