"""Findings grouped by what they reveal, in plain words, with the detail on demand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from share_guard.core.engine.tally import counts, distinct, from_name
from share_guard.core.i18n import _, isolate, ngettext, pgettext, translated
from share_guard.core.report import Category, Finding, Report
from share_guard.gui.widgets.common import Badge, muted, plain_label, set_font


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    blurb: str
    categories: tuple[Category, ...]
    tone: str = "warn"


def groups() -> tuple[Group, ...]:
    """The sections of the findings panel, in the order a person cares about them."""
    return (
        Group("takedown", _("Takedown list"), _("This file matches your takedown list."),
              (Category.TAKEDOWN,), "danger"),
        Group("location", _("Location"), _("Where the photo or video was taken."),
              (Category.LOCATION,), "danger"),
        Group("who", _("Who & which device"), _("Names, accounts and the device that made it."),
              (Category.IDENTITY, Category.DEVICE)),
        Group("when", _("When"), _("Dates and times it was taken or changed."), (Category.TIME,)),
        Group("people", _("People"), _("Faces and readable codes in the picture itself."),
              (Category.PEOPLE, Category.CODES), "danger"),
        Group("sensitive", _("Sensitive content"), _("The picture may show sensitive content."),
              (Category.SENSITIVE,), "danger"),
        Group("hidden", _("Hidden content"),
              _("Extra pictures, previews, edit history and other data you cannot see."),
              (Category.HIDDEN, Category.UNKNOWN, Category.OTHER)),
    )


def group_findings(report: Report) -> list[tuple[Group, list[Finding]]]:
    """Identifying findings by group (empty groups left out; a takedown item matched by
    several hashes once); kept items are separate."""
    out = []
    for group in groups():
        items = [f for f in distinct(report.findings)
                 if f.identifying and f.category in group.categories]
        if items:
            out.append((group, items))
    return out


def kept_findings(report: Report) -> list[Finding]:
    """Kept on purpose (orientation, colour profile); not the wrong-extension note, which is
    said where the file's verdict is."""
    return [f for f in report.findings
            if (not f.identifying or f.category is Category.KEPT) and not from_name(f)]


VALUE_SHOWN = 48  # characters of a finding's value shown in its line (the rest on demand)


def headline(finding: Finding) -> str:
    """The plain-words line for a finding: what it is, what it says, and why it matters
    ("Camera model: iPhone 6 — tells which device took it"), so what a file gives away
    shows at a glance; explanations that already carry the value are left as they are."""
    name, explanation = translated(finding.name), translated(finding.explanation.strip())
    if explanation.lower().startswith(name.lower()):
        rest = explanation[len(name):]
        if not rest.startswith(":"):  # "GPS position 40.447, -3.725: shows where..."
            return explanation
        explanation = rest[1:].strip()
    value = " ".join(finding.value.split())
    if len(value) > VALUE_SHOWN:
        value = value[: VALUE_SHOWN - 1].rstrip() + "…"
    head = pgettext("a finding", "{name}: {value}").format(name=name, value=isolate(value)) \
        if value and value.lower() != finding.name.lower() else name
    # Translators: a finding and why it matters ("Camera model: iPhone 6 — tells which ...")
    return pgettext("a finding", "{finding} — {why}").format(
        finding=head, why=explanation) if explanation else head


class FindingRow(QWidget):
    """One finding: its plain-words explanation; name, value and place on demand."""

    def __init__(self, finding: Finding, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.finding = finding
        self.text = plain_label(headline(finding), self, wrap=True)
        self.more = QToolButton(self)
        self.more.setArrowType(Qt.ArrowType.RightArrow)
        self.more.setAutoRaise(True)
        self.more.setCheckable(True)
        name = translated(finding.name)
        self.more.setAccessibleName(_("Show details: {name}").format(name=name))
        self.more.setToolTip(_("Show details"))
        lines = [pgettext("a finding", "{name}: {value}").format(name=name, value=isolate(finding.value))
                 if finding.value else name,
                 pgettext("a finding", "Stored in: {place}").format(place=isolate(finding.where))]
        if not finding.removable:
            lines.append(_("Removing metadata does not remove this."))
        self.detail = plain_label("\n".join(lines), self, wrap=True, selectable=True)
        muted(self.detail)
        self.detail.setVisible(False)
        self.more.toggled.connect(self._toggle)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.more, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.text, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        detail_row = QHBoxLayout()
        detail_row.setContentsMargins(28, 0, 0, 4)
        detail_row.addWidget(self.detail)
        layout.addLayout(detail_row)

    def _toggle(self, on: bool) -> None:
        self.detail.setVisible(on)
        self.more.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)


class GroupSection(QFrame):
    def __init__(self, group: Group, findings: Sequence[Finding], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = plain_label(group.title, self)
        set_font(self.title, scale=1.1, bold=True)
        total = sum(counts(f) for f in findings)  # as the list's badge counts them
        self.count = Badge(self)
        self.count.set_status(str(total), group.tone)
        self.count.setAccessibleName(ngettext("{n} found", "{n} found", total))
        self.blurb = plain_label(group.blurb, self, wrap=True)
        muted(self.blurb)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.count)
        head.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.blurb)
        self.rows = [FindingRow(f, self) for f in findings]
        for row in self.rows:
            layout.addWidget(row)


class FindingsView(QWidget):
    """All groups for one report, and a line about what is kept on purpose."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(10)
        self.sections: list[GroupSection] = []
        self.kept = plain_label("", self, wrap=True)
        muted(self.kept)
        self.empty = plain_label("", self, wrap=True)
        self._layout.addWidget(self.empty)
        self._layout.addWidget(self.kept)
        self._layout.addStretch(1)

    def clear(self) -> None:
        for section in self.sections:
            self._layout.removeWidget(section)
            section.hide()
            section.setParent(None)
            section.deleteLater()
        self.sections = []
        self.kept.setVisible(False)
        self.empty.setVisible(False)

    def set_report(self, report: Report | None, skip: Sequence[str] = ()) -> None:
        """Show ``report``'s findings; groups named in ``skip`` (e.g. "people", shown by
        their own panel) are left out."""
        self.clear()
        if report is None or report.error:
            return
        grouped = [(g, fs) for g, fs in group_findings(report) if g.key not in skip]
        for i, (group, findings) in enumerate(grouped):
            section = GroupSection(group, findings, self)
            self._layout.insertWidget(i, section)
            self.sections.append(section)
        if not grouped:
            self.empty.setText(_(
                "No location, names, device details, dates or hidden content were found in this "
                "file's metadata. That is not a guarantee: look at the picture itself too."))
            self.empty.setVisible(True)
        kept = kept_findings(report)
        if kept:
            names = _(", ").join(dict.fromkeys(translated(f.name) for f in kept))
            self.kept.setText(_("Kept on purpose (needed to show it correctly): {names}")
                              .format(names=names))
            self.kept.setVisible(True)

    def titles(self) -> list[str]:
        return [s.group.title for s in self.sections]
