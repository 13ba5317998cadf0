"""The clean copy: where it is and how to take it (drag, copy, open, show), what it lost,
what it covers, what it keeps, and what its own re-check found (the copy's findings)."""

from __future__ import annotations

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from share_guard.core.engine.tally import from_name
from share_guard.core.export.pipeline import ExportResult, ExportStatus
from share_guard.core.i18n import _, isolate, pgettext, translated
from share_guard.core.textsafe import display_path
from share_guard.gui.status import summarise
from share_guard.gui.widgets.common import Banner, muted, plain_label, set_font
from share_guard.gui.widgets.copy_actions import CopyActions


def removed_words(result: ExportResult) -> list[str]:
    """What the person saw in the findings and is now gone, in the findings' own words; the
    containers' parts the cleaner dropped (e.g. "EXIF") when there were no findings."""
    before = result.before.leaks() if result.before is not None else []
    left = {(f.category, f.name) for f in result.after.findings} if result.after is not None else set()
    words = [f"{f.category.label}: {f.name}" for f in before if (f.category, f.name) not in left]
    # what went with the original's name (a neutral name) or with a transform (the sound)
    named = [w for w in result.removed if w not in words and ": " in w and
             w.split(": ", 1)[0] in ("When", "Which device", "Sound")]
    return (named + words) or list(result.removed)


def covered_words(result: ExportResult) -> tuple[list[str], list[str]]:
    """What the cover covered, from the core's notes ("covered (solid fill): 2 faces" ->
    "2 faces (solid fill)"), and the other pixel notes as they are."""
    covered, other = [], []
    for line in result.changed:
        head, sep, what = line.partition("): ")
        if sep and head.startswith("covered ("):
            covered.append(pgettext("how a part was covered", "{what} ({style})").format(
                what=translated(what), style=translated(head.removeprefix("covered ("))))
        else:
            other.append(translated(line))
    return covered, other


def kept_words(result: ExportResult) -> list[str]:
    """What stayed on purpose (orientation, colour profile...)."""
    after = [f.name for f in result.after.findings if not f.identifying and not from_name(f)] \
        if result.after is not None else []
    return [translated(k) for k in dict.fromkeys(after + list(result.kept))]


def renamed(result: ExportResult) -> str:
    """The new extension and why, when the copy's name fixed a wrong one ("" otherwise)."""
    if result.before is None or result.output is None:
        return ""
    wrong = next((f for f in result.before.findings if from_name(f) and "extension" in f.detail),
                 None)
    if wrong is None or result.output.suffix.lower() == result.source.suffix.lower():
        return ""
    return translated(wrong.explanation)


class ResultView(QFrame):
    """Shown in the inspector once a file has been exported (or refused)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner = Banner("", "ok", self)
        self.copy_actions = CopyActions(self)
        self.saved_to = plain_label("", self, wrap=True, selectable=True)
        muted(self.saved_to)
        self.removed_title = plain_label(_("Removed"), self)
        self.kept_title = plain_label(_("Kept"), self)
        self.covered_title = plain_label(_("Covered in the picture"), self)
        self.check_title = plain_label(_("The clean copy's own check"), self)
        for title in (self.removed_title, self.kept_title, self.covered_title, self.check_title):
            set_font(title, bold=True)
        self.removed = plain_label("", self, wrap=True)
        self.covered = plain_label("", self, wrap=True)
        self.kept = plain_label("", self, wrap=True)
        self.verified = plain_label("", self, wrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.copy_actions)
        layout.addWidget(self.saved_to)
        for title, body in ((self.removed_title, self.removed), (self.covered_title, self.covered),
                            (self.kept_title, self.kept), (self.check_title, self.verified)):
            layout.addSpacing(4)
            layout.addWidget(title)
            layout.addWidget(body)
        self._details = [self.copy_actions, self.saved_to, self.removed_title, self.removed,
                         self.kept_title, self.kept, self.check_title, self.verified]

    def set_result(self, result: ExportResult | None, picture: QImage | None = None) -> None:
        self.setVisible(result is not None)
        if result is None:
            return
        if not result.ok:
            stopped = result.status is ExportStatus.CANCELLED
            title = _("Not saved: stopped") if stopped else pgettext(
                "a file's result", "Not saved: {reason}").format(
                reason=translated(str(result.reason or result.status)))
            self.banner.set_message(title, "muted" if stopped else "danger")
            for w in (*self._details, self.covered_title, self.covered):
                w.setVisible(False)
            return
        self.banner.set_message(_("Clean copy saved"), "ok")
        for w in self._details:
            w.setVisible(True)
        kind = result.after.kind if result.after is not None else None
        self.copy_actions.set_copy(result.output, picture, str(kind) if kind else None)
        where = pgettext("where a clean copy was saved", "In {folder}").format(
            folder=isolate(display_path(result.output.parent))) if result.output else ""
        fixed = renamed(result)
        self.saved_to.setText("\n".join(t for t in (where, fixed) if t))
        removed = summarise(removed_words(result), limit=20)
        self.removed.setText("\n".join(removed) if removed else _("Nothing identifying"))
        covered, notes = covered_words(result)
        for w in (self.covered_title, self.covered):
            w.setVisible(bool(covered))
        if covered:  # how the picture was re-encoded belongs with what was covered
            self.covered.setText("\n".join(covered + notes))
            notes = []
        kept = kept_words(result)
        pixels = (_("The picture itself is unchanged.") if not result.changed
                  else "\n".join(notes))
        text = "\n".join(t for t in (_(", ").join(kept), pixels) if t)
        self.kept.setText(text)
        for w in (self.kept_title, self.kept):
            w.setVisible(bool(text))
        self.verified.setText(self._own_check(result))

    def _own_check(self, result: ExportResult) -> str:
        if result.after is None:
            return ""
        left = [f for f in result.after.identifying()]
        if not left:
            return _("Checked again after saving: no location, names, device details, "
                           "dates or hidden content in the copy.")
        lines = [_("Checked again after saving. The copy still gives away:")]
        lines += ["\u2022 " + pgettext("a finding left in the copy", "{kind}: {name} ({value})").format(
            kind=translated(f.category.label), name=translated(f.name), value=isolate(f.value))
            for f in left]
        if any(from_name(f) for f in left):
            lines.append(_("Its name does: turn on neutral names to name copies "
                                 "photo_clean or video_clean."))
        return "\n".join(lines)
