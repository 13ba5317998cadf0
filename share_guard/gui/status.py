"""What to call a file's state in the list: a short badge text and its tone, a reason line.

Plain functions over the session's :class:`Entry`, so the words are tested without a
widget. The words are chosen by the core's verdict (``Verdict``, ``Blocker``) and its
counts (``core.engine.tally``), never by a reason's text. Tones map to accent colours that
read on light and dark.
"""

from __future__ import annotations

from collections.abc import Sequence

from share_guard.core.engine.tally import Standing, counts, distinct, standing, things_found
from share_guard.core.engine.verdict import Assessment, Blocker, Verdict
from share_guard.core.export.pipeline import ExportStatus
from share_guard.core.i18n import _, isolate, ngettext, pgettext, translated
from share_guard.core.report import Category, Report
from share_guard.core.textsafe import display_path
from share_guard.gui.entry import Entry, RowState

BUSY, OK, WARN, DANGER, MUTED = "busy", "ok", "warn", "danger", "muted"

#: accent colours (r, g, b) chosen to read on both light and dark palettes
TONE_RGB = {
    BUSY: (59, 130, 246),
    OK: (34, 160, 90),
    WARN: (217, 140, 4),
    DANGER: (220, 60, 60),
    MUTED: (128, 128, 128),
}
#: order of the status column when sorted (most urgent first)
RANK = {DANGER: 0, WARN: 1, BUSY: 2, MUTED: 3, OK: 4}


def badge(entry: Entry) -> tuple[str, str]:
    """(text, tone) for the list's status column and the inspector's badge."""
    if entry.state is RowState.WAITING:
        return _("Waiting…"), MUTED
    if entry.state is RowState.CHECKING:
        return _("Checking…"), BUSY
    if entry.state is RowState.SCANNING:
        return _("Looking for faces…"), BUSY
    if entry.state is RowState.EXPORTING:
        return _("Saving…"), BUSY
    if entry.state is RowState.CANCELLED:
        return _("Stopped"), MUTED
    if entry.state is RowState.FAILED or entry.report is None:
        return _("Could not be checked"), DANGER
    if entry.result is not None:
        if entry.result.ok:
            return _("Clean copy saved"), OK
        if entry.result.status is ExportStatus.CANCELLED:
            return _("Not saved (stopped)"), MUTED
        return _("Not saved"), DANGER
    return report_badge(entry.report, entry.assessment)


def report_badge(report: Report, assessment: Assessment | None = None) -> tuple[str, str]:
    if report.error:
        if report.format is None:
            return _("Not supported"), MUTED
        return _("Can't be read"), DANGER
    blocker = assessment.blocker if assessment is not None else None
    if blocker is Blocker.TAKEDOWN:
        return _("On the takedown list"), DANGER
    if blocker is Blocker.POLICY and assessment is not None and assessment.blocked:
        return _("Blocked by your settings"), DANGER
    if assessment is not None and assessment.verdict is Verdict.NEEDS_REBUILD:
        return _("Needs a rebuild"), WARN
    if report.problems or (assessment is not None and assessment.blocked):
        return _("Can't be cleaned"), WARN
    count = things_found(report)
    if count == 0:
        return _("Nothing found"), OK
    return ngettext("{n} thing found", "{n} things found", count), WARN


def found_kinds(report: Report) -> str:
    """"Location, Who, When": what was found, in the findings' group words."""
    kinds = [c.label for c in Category if any(counts(f) for f in distinct(report.by_category(c)))]
    # Translators: what goes between the items of a list ("Location, When")
    return _(", ").join(translated(k) for k in kinds)


def detail_line(entry: Entry) -> str:
    """The reason column: the step while busy, why not, where the copy went, what was found."""
    if entry.state in (RowState.CHECKING, RowState.SCANNING, RowState.EXPORTING):
        return entry.step
    if entry.state is RowState.FAILED:
        return entry.message
    if entry.result is not None and not entry.result.ok:
        return entry.result.reason
    if entry.result is not None and entry.result.output is not None:
        return _("Saved as %1").replace("%1", display_path(entry.result.output.name))
    if entry.note:
        return entry.note
    report = entry.report
    if report is None:
        return ""
    if report.error:
        return translated(report.error)
    if entry.assessment is not None and not entry.assessment.ready:
        return translated(entry.assessment.reason)
    if report.problems:
        return translated(report.problems[0])
    return found_kinds(report)


def standing_of(entry: Entry) -> Standing | None:
    """Where a checked file stands for the list's filter (None while it is busy)."""
    if entry.busy or entry.report is None:
        return Standing.BLOCKED if entry.state is RowState.FAILED else None
    return standing(entry.report, entry.assessment)


def summarise(will_remove: Sequence[str], limit: int = 6) -> list[str]:
    """One line per kind: ("Which device: Camera make", "Which device: Camera model") ->
    ["Which device: Camera make, Camera model"]. Items without a kind stay as they are."""
    kinds: dict[str, list[str]] = {}
    for item in will_remove:  # English from the core: grouped first, then translated
        kind, sep, what = item.partition(": ")
        key, value = (translated(kind), translated(what)) if sep else (translated(item), "")
        kinds.setdefault(key, [])
        if value and value not in kinds[key]:
            kinds[key].append(value)
    lines = []
    for kind, whats in kinds.items():
        shown = whats[:limit]
        more = len(whats) - len(shown)
        text = _(", ").join(shown) + (f" +{isolate(more)}" if more > 0 else "")
        lines.append(pgettext("what will be removed", "{kind}: {items}").format(kind=kind, items=text)
                     if text else kind)
    return lines
