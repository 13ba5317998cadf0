"""Before/after: what the safe copy lost, what it kept, where it is."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from share_guard.core.export.pipeline import ExportResult, ExportStatus
from share_guard.core.textsafe import display_path
from share_guard.gui.status import summarise
from share_guard.gui.widgets.common import Banner, muted, plain_label, set_font


def removed_words(result: ExportResult) -> list[str]:
    """What the person saw in the findings and is now gone, in the findings' own words;
    the containers' parts the cleaner dropped (e.g. "EXIF") when there were no findings."""
    before = result.before.leaks() if result.before is not None else []
    left = {(f.category, f.name) for f in result.after.findings} if result.after is not None else set()
    words = [f"{f.category.label}: {f.name}" for f in before if (f.category, f.name) not in left]
    return words or list(result.removed)


def covered_words(result: ExportResult) -> tuple[list[str], list[str]]:
    """What the redaction covered, from the core's notes ("redacted (solid fill): 2 faces"
    -> "2 faces covered (solid fill)"), and the other pixel notes as they are."""
    covered, other = [], []
    for line in result.changed:
        head, sep, what = line.partition("): ")
        if sep and head.startswith("redacted ("):
            covered.append(f"{what} covered ({head.removeprefix('redacted (')})")
        else:
            other.append(line)
    return covered, other


def kept_words(result: ExportResult) -> list[str]:
    """What stayed on purpose (orientation, colour profile...)."""
    after = [f.name for f in result.after.findings if not f.identifying] if result.after is not None else []
    return list(dict.fromkeys(after + list(result.kept)))


class ResultView(QFrame):
    """Shown in the inspector once a file has been exported (or refused)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner = Banner("", "ok", self)
        self.saved_to = plain_label("", self, wrap=True, selectable=True)
        self.removed_title = plain_label(self.tr("Removed"), self)
        self.kept_title = plain_label(self.tr("Kept"), self)
        for title in (self.removed_title, self.kept_title):
            set_font(title, bold=True)
        self.removed = plain_label("", self, wrap=True)
        self.covered_title = plain_label(self.tr("Covered in the picture"), self)
        set_font(self.covered_title, bold=True)
        self.covered = plain_label("", self, wrap=True)
        self.kept = plain_label("", self, wrap=True)
        self.verified = plain_label("", self, wrap=True)
        muted(self.verified)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.saved_to)
        layout.addSpacing(4)
        layout.addWidget(self.removed_title)
        layout.addWidget(self.removed)
        layout.addSpacing(4)
        layout.addWidget(self.covered_title)
        layout.addWidget(self.covered)
        layout.addWidget(self.kept_title)
        layout.addWidget(self.kept)
        layout.addSpacing(4)
        layout.addWidget(self.verified)
        self._details = [self.saved_to, self.removed_title, self.kept_title, self.removed,
                         self.kept, self.verified]

    def set_result(self, result: ExportResult | None) -> None:
        self.setVisible(result is not None)
        if result is None:
            return
        if not result.ok:
            stopped = result.status is ExportStatus.CANCELLED
            title = self.tr("Not saved: stopped") if stopped else self.tr("Not saved: %1").replace(
                "%1", result.reason or result.status)
            self.banner.set_message(title, "muted" if stopped else "danger")
            for w in (*self._details, self.covered_title, self.covered):
                w.setVisible(False)
            return
        self.banner.set_message(self.tr("Safe copy saved"), "ok")
        for w in self._details:
            w.setVisible(True)
        self.saved_to.setText(self.tr("Saved as %1").replace("%1", display_path(result.output or "")))
        removed = summarise(removed_words(result), limit=20)
        self.removed.setText("\n".join(removed) if removed else self.tr("Nothing identifying"))
        covered, notes = covered_words(result)
        self.covered.setText("\n".join(covered))
        for w in (self.covered_title, self.covered):
            w.setVisible(bool(covered))
        if covered:  # how the picture was re-encoded belongs with what was covered
            self.covered.setText("\n".join(covered + notes))
            notes = []
        kept = kept_words(result)
        pixels = (self.tr("The picture itself is unchanged.") if not result.changed
                  else "\n".join(notes))
        text = "\n".join(t for t in (", ".join(kept), pixels) if t)
        self.kept.setText(text)
        for w in (self.kept_title, self.kept):
            w.setVisible(bool(text))
        leaks = result.after.leaks() if result.after is not None else None
        if leaks is None:
            self.verified.setText("")
        elif not leaks:
            self.verified.setText(self.tr(
                "Checked again after saving: no location, names, device details, dates or hidden "
                "content left in the copy's metadata."))
        else:
            self.verified.setText(self.tr("Checked again after saving: %n items remain.")
                                  .replace("%n", str(len(leaks))))
