"""What to call a file's state in the list: a short badge text and its tone.

Plain functions over the session's :class:`Entry`, so the words are tested
without a widget. Tones map to accent colours that read on light and dark.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication

from share_guard.core.engine.verdict import Assessment, Blocker
from share_guard.core.export.pipeline import ExportStatus
from share_guard.core.report import Report
from share_guard.core.textsafe import display_path
from share_guard.gui.session import Entry, RowState

BUSY, OK, WARN, DANGER, MUTED = "busy", "ok", "warn", "danger", "muted"

#: accent colours (r, g, b) chosen to read on both light and dark palettes
TONE_RGB = {
    BUSY: (59, 130, 246),
    OK: (34, 160, 90),
    WARN: (217, 140, 4),
    DANGER: (220, 60, 60),
    MUTED: (128, 128, 128),
}


def tr(text: str) -> str:
    return QCoreApplication.translate("status", text)


def badge(entry: Entry) -> tuple[str, str]:
    """(text, tone) for the list's status badge."""
    if entry.state is RowState.WAITING:
        return tr("Waiting…"), MUTED
    if entry.state is RowState.CHECKING:
        return tr("Checking…"), BUSY
    if entry.state is RowState.SCANNING:
        return tr("Looking for faces…"), BUSY
    if entry.state is RowState.EXPORTING:
        return tr("Saving…"), BUSY
    if entry.state is RowState.CANCELLED:
        return tr("Stopped"), MUTED
    if entry.state is RowState.FAILED or entry.report is None:
        return tr("Error"), DANGER
    if entry.result is not None:
        if entry.result.ok:
            return tr("Safe copy saved"), OK
        if entry.result.status is ExportStatus.CANCELLED:
            return tr("Not saved (stopped)"), MUTED
        return tr("Not saved"), DANGER
    return report_badge(entry.report, entry.assessment)


def report_badge(report: Report, assessment: Assessment | None = None) -> tuple[str, str]:
    if report.error:
        if report.format is None:
            return tr("Not supported"), MUTED
        return tr("Error"), DANGER
    if assessment is not None and assessment.blocker is Blocker.TAKEDOWN:
        return tr("Blocked by takedown list"), DANGER
    count = len(report.identifying())
    if report.problems:
        return tr("Can't be cleaned safely"), WARN
    if count == 0:
        return tr("Nothing found"), OK
    if count == 1:
        return tr("1 thing found"), WARN
    return tr("%n things found").replace("%n", str(count)), WARN


def detail_line(entry: Entry) -> str:
    """A second line under the name: the reason for errors, the step while busy."""
    if entry.state in (RowState.CHECKING, RowState.SCANNING, RowState.EXPORTING):
        return entry.step
    if entry.state is RowState.FAILED:
        return entry.message
    if entry.result is not None and not entry.result.ok:
        return entry.result.reason
    if entry.result is not None and entry.result.output is not None:
        return tr("Saved as %1").replace("%1", display_path(entry.result.output.name))
    if entry.report is not None and entry.report.error:
        return entry.report.error
    if entry.report is not None and entry.report.problems:
        return entry.report.problems[0]
    return ""


def summarise(will_remove: Sequence[str], limit: int = 6) -> list[str]:
    """One line per kind: ("Which device: Camera make", "Which device: Camera model") ->
    ["Which device: Camera make, Camera model"]. Items without a kind stay as they are."""
    kinds: dict[str, list[str]] = {}
    for item in will_remove:
        kind, sep, what = item.partition(": ")
        key, value = (kind, what) if sep else (item, "")
        kinds.setdefault(key, [])
        if value and value not in kinds[key]:
            kinds[key].append(value)
    lines = []
    for kind, whats in kinds.items():
        shown = whats[:limit]
        more = len(whats) - len(shown)
        text = ", ".join(shown) + (f" +{more}" if more > 0 else "")
        lines.append(f"{kind}: {text}" if text else kind)
    return lines
