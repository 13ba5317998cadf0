"""The selected file: header, the verdict's banner, the picture, what it gives away, the
cover choices, the sound, and once saved its clean copy (which the picture then shows)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.engine.tally import from_name
from share_guard.core.engine.verdict import Blocker, Verdict
from share_guard.core.i18n import _, isolate, ngettext, pgettext, translated
from share_guard.core.report import FileKind, Report
from share_guard.core.textsafe import display_path
from share_guard.gui import status
from share_guard.gui.entry import Entry, RowState
from share_guard.gui.service import Preview
from share_guard.gui.widgets.common import Badge, Banner, ElidedLabel, muted, plain_label, set_font
from share_guard.gui.widgets.findings_view import FindingsView
from share_guard.gui.widgets.people_panel import PeoplePanel
from share_guard.gui.widgets.preview import PreviewPanel
from share_guard.gui.widgets.result_view import ResultView
from share_guard.gui.widgets.sound_panel import SoundPanel


def _size(n: float) -> str:
    if n < 1024:
        return ngettext("{n} byte", "{n} bytes", int(n))
    for unit in ("KB", "MB", "GB"):
        n /= 1024
        if n < 1024 or unit == "GB":
            size = f"{n:.1f}"
            words = {"KB": pgettext("file size", "{size} KB"),
                     "MB": pgettext("file size", "{size} MB")}
            return words.get(unit, pgettext("file size", "{size} GB")).format(size=size)
    return str(n)


def _kind(fmt: str, kind: str | None) -> str:
    """"JPEG image", "MP4 video" (the format's name is data)."""
    if kind == "image":
        return pgettext("file type", "{format} image").format(format=fmt)
    if kind == "video":
        return pgettext("file type", "{format} video").format(format=fmt)
    return fmt


def describe(report: Report) -> str:
    """'JPEG image · 4032 × 3024 · 3.1 MB'."""
    parts = []
    if report.format:
        parts.append(_kind(report.format.upper(), report.kind))
    w, h = report.properties.get("width"), report.properties.get("height")
    if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
        parts.append(isolate(f"{w} \u00d7 {h}"))
    duration = report.properties.get("duration")
    if isinstance(duration, int | float) and duration > 0:
        parts.append(isolate(f"{int(duration) // 60}:{int(duration) % 60:02d}"))
    if report.size:
        parts.append(_size(report.size))
    return " \u00b7 ".join(parts)


class Inspector(QWidget):
    export_clicked = Signal()
    recheck_clicked = Signal(object)  # Entry
    stop_clicked = Signal(object)  # Entry
    rebuild_clicked = Signal()
    seek_requested = Signal(object, float, bool)  # Entry, seconds, of the clean copy
    view_changed = Signal(object, bool)  # Entry, show the clean copy (else the original)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry: Entry | None = None
        self._shown: tuple[object, object] = (None, None)  # report and result on display
        self.title = ElidedLabel("", self, Qt.TextElideMode.ElideMiddle)
        set_font(self.title, scale=1.35, bold=True)
        self.subtitle = plain_label("", self)
        muted(self.subtitle)
        self.badge = Badge(self)
        style = self.style()
        self.export_button = self._button(_("Make a clean copy"),
                                          style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self.export_button.clicked.connect(self.export_clicked)
        self.recheck_button = self._button(_("Check again"),
                                           style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.recheck_button.clicked.connect(lambda: self.recheck_clicked.emit(self.entry))
        self.stop_button = self._button(_("Stop checking"),
                                        style.standardIcon(QStyle.StandardPixmap.SP_BrowserStop))
        self.stop_button.clicked.connect(lambda: self.stop_clicked.emit(self.entry))
        self.rebuild_button = self._button(_("Rebuild from pixels"))
        self.rebuild_button.setToolTip(_(
            "Make the clean copy from the picture's pixels. The picture is re-encoded at the "
            "best quality its format allows."))
        self.rebuild_button.clicked.connect(self.rebuild_clicked)
        self.banner = Banner("", "warn", self)
        self.preview = PreviewPanel(self)
        self.preview.seek_requested.connect(self._on_seek)
        self.original_tab = self._tab(_("Original"))
        self.copy_tab = self._tab(_("Clean copy"))
        self.tabs = QButtonGroup(self)
        self.tabs.setExclusive(True)
        for tab in (self.original_tab, self.copy_tab):
            self.tabs.addButton(tab)
        self.copy_tab.toggled.connect(self._on_tab)
        self.result = ResultView(self)
        self.findings = FindingsView(self)
        self.people = PeoplePanel(self)
        self.people.attach(self.preview.view)
        self.people.changed.connect(lambda: self.preview.set_redaction(self.people.redaction))
        self.sound = SoundPanel(self)

        details = QWidget(self)
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(0, 0, 8, 0)
        details_layout.setSpacing(10)
        details_layout.addWidget(self.result)
        details_layout.addWidget(self.people)
        details_layout.addWidget(self.sound)
        self.findings_title = plain_label(_("What the original gives away"), details)
        set_font(self.findings_title, bold=True)
        details_layout.addWidget(self.findings_title)
        details_layout.addWidget(self.findings, 1)
        self.details_scroll = QScrollArea(self)
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.details_scroll.setWidget(details)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        details.installEventFilter(self)  # its layout changes: the details' width follows

        picture = QWidget(self)
        tabs = QHBoxLayout()
        tabs.setSpacing(0)
        tabs.addWidget(self.original_tab)
        tabs.addWidget(self.copy_tab)
        tabs.addStretch(1)
        picture_layout = QVBoxLayout(picture)
        picture_layout.setContentsMargins(0, 0, 0, 0)
        picture_layout.addLayout(tabs)
        picture_layout.addWidget(self.preview, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.addWidget(picture)
        self.split.addWidget(self.details_scroll)
        self.split.setStretchFactor(0, 3)  # the picture gets the room the details leave
        self.split.setStretchFactor(1, 2)
        self.split.setSizes([600, 400])
        self.details_scroll.setMinimumWidth(300)
        self.split.setChildrenCollapsible(False)

        names = QVBoxLayout()
        names.setSpacing(2)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.badge)
        names.addLayout(title_row)
        names.addWidget(self.subtitle)
        head = QHBoxLayout()
        head.addLayout(names, 1)
        head.addSpacing(12)
        for button in (self.stop_button, self.recheck_button, self.rebuild_button,
                       self.export_button):
            head.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 12, 12)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.banner)
        layout.addWidget(self.split, 1)
        self.show_entry(None)

    def _button(self, text: str, icon: object = None) -> QPushButton:
        button = QPushButton(text, self)
        if icon is not None:
            button.setIcon(icon)  # type: ignore[arg-type]
        button.setMinimumHeight(34)
        return button

    def _tab(self, text: str) -> QToolButton:
        tab = QToolButton(self)
        tab.setText(text)
        tab.setCheckable(True)
        tab.setAutoRaise(True)
        return tab

    @property
    def showing_copy(self) -> bool:
        return not self.copy_tab.isHidden() and self.copy_tab.isChecked()

    def show_copy(self, on: bool) -> None:
        """The picture of the clean copy (True) or of the original."""
        (self.copy_tab if on else self.original_tab).setChecked(True)

    def show_entry(self, entry: Entry | None) -> None:
        """Show ``entry`` (or nothing); keeps the current preview if it is the same file."""
        same = entry is not None and entry is self.entry
        self.entry = entry
        if entry is None:
            self._shown = (None, None)
            self.title.set_full_text(_("No file selected"))
            self.subtitle.setText("")
            for w in (self.badge, self.banner, self.recheck_button, self.rebuild_button,
                      self.stop_button, self.findings_title, self.original_tab, self.copy_tab):
                w.setVisible(False)
            self.export_button.setEnabled(False)
            self.findings.set_report(None)
            self.result.set_result(None)
            self.people.set_redaction(None)
            self.sound.show_entry(None)
            self.preview.clear(_("Select a file to see it here"))
            return
        report = entry.report
        self.title.set_full_text(display_path(entry.path.name))
        self.title.setToolTip(display_path(entry.path))
        self.subtitle.setText(describe(report) if report is not None else display_path(entry.path.parent))
        text, tone = status.badge(entry)
        self.badge.set_status(text, tone)
        self.badge.setVisible(True)
        verdict = entry.assessment.verdict if entry.assessment is not None else None
        checked = entry.state is RowState.CHECKED
        self.export_button.setEnabled(checked and verdict is Verdict.READY)
        self.recheck_button.setVisible(entry.state in (RowState.CANCELLED, RowState.FAILED))
        self.stop_button.setVisible(entry.state.stoppable)
        rebuildable = checked and verdict is Verdict.NEEDS_REBUILD
        self.rebuild_button.setVisible(rebuildable)
        self.export_button.setVisible(not rebuildable)
        self._banner(entry)
        saved = entry.result is not None and entry.result.ok
        for tab in (self.original_tab, self.copy_tab):
            tab.setVisible(saved)
        if not same or report is not self._shown[0]:
            # faces and codes have their own panel when they can be covered
            self.findings.set_report(report, skip=("people",) if entry.redaction else ())
        if not same or entry.result is not self._shown[1]:
            self.result.set_result(entry.result, entry.thumbnail)
            self.show_copy(saved)  # a copy just made is what the picture shows
        self._shown = (report, entry.result)
        self.sound.show_entry(entry if checked and not saved else None)
        self.findings_title.setVisible(saved)
        if not same:  # before the boxes are set: clearing the picture also clears its boxes
            waiting = _("Loading preview…") if report is not None and report.ok else ""
            self.preview.clear(waiting or self._no_picture(entry))
        elif not entry.busy and (report is None or not report.ok) and self.preview.view.pixmap is None:
            self.preview.clear(self._no_picture(entry))  # not "Checking…" once it has failed
        self._boxes(entry, same)
        self._fit_details()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if watched is self.details_scroll.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit_details()
        return False

    def _fit_details(self) -> None:
        """The details never narrower than what they hold (text would run off their edge):
        the picture gives way instead."""
        content = self.details_scroll.widget()
        if content is None:
            return
        need = content.minimumSizeHint().width() + self.details_scroll.verticalScrollBar() \
            .sizeHint().width() + 4
        self.details_scroll.setMinimumWidth(max(300, need))

    def _boxes(self, entry: Entry, same: bool) -> None:
        report = entry.report
        if self.showing_copy:  # the copy's picture: what it covers is burnt in, no boxes
            self.people.set_redaction(None)
            self.preview.set_regions([])
        elif entry.state is RowState.SCANNING:
            self.people.set_scanning(entry.progress)
            if report is not None:
                self.preview.set_regions([])
        elif entry.redaction is not None:
            if not same or entry.redaction is not self.people.redaction or self.people.scanning:
                self.people.set_redaction(entry.redaction)
                self.preview.set_redaction(entry.redaction)
        elif report is not None:
            self.people.set_redaction(None)
            self.preview.set_regions([r for f in report.findings if f.identifying for r in f.regions])
        else:
            self.people.set_redaction(None)

    def _no_picture(self, entry: Entry) -> str:
        if entry.busy:
            return _("Checking…")
        return _("No preview")

    def _banner(self, entry: Entry) -> None:
        """The core's verdict in words (the words are chosen by what blocks, never by the
        reason's text)."""
        report, assessment = entry.report, entry.assessment
        message, tone = "", "warn"
        problem = report.problems[0] if report is not None and report.problems else ""
        if entry.state is RowState.FAILED:
            message = _("This file could not be checked: {reason}").format(
                reason=translated(entry.message))
            tone = "danger"
        elif entry.state is RowState.CANCELLED:
            message, tone = _("Checking was stopped before it finished."), "muted"
        elif entry.note:
            message, tone = translated(entry.note), "muted"
        elif assessment is None or assessment.ready:
            wrong = [f for f in report.findings if from_name(f) and not f.identifying] \
                if report is not None else []
            message, tone = (translated(wrong[0].explanation), "muted") if wrong else ("", "warn")
        elif assessment.blocker is Blocker.UNREADABLE:
            message = _("This file cannot be checked: {reason}").format(
                reason=translated(assessment.reason))
            tone = "danger"
        elif assessment.blocker is Blocker.TAKEDOWN:
            message, tone = _(
                "This file matches an entry on your takedown list. It cannot be shared from "
                "here."), "danger"
        elif assessment.verdict is Verdict.NEEDS_REBUILD:
            message = _("This file cannot be cleaned without changing it ({problem}). You can "
                        "rebuild it from its pixels instead: the picture is "
                        "re-encoded.").format(problem=translated(problem))
        elif assessment.blocker in (Blocker.NOT_UNDERSTOOD, Blocker.CHECK_FAILED):
            message = _("This file cannot be cleaned with confidence, so no clean copy "
                        "will be made: {reason}").format(reason=translated(assessment.reason))
        else:
            message = _("No clean copy can be made of this file: {reason}").format(
                reason=translated(assessment.reason))
            tone = "danger"
        self.banner.setVisible(bool(message))
        self.banner.set_message(message, tone)

    def set_preview(self, entry: Entry, preview: Preview | None, of_copy: bool = False) -> None:
        if entry is not self.entry or of_copy != self.showing_copy:
            return
        message = _("No preview for this file")
        if preview is None and entry.kind is FileKind.VIDEO:
            message = _("Video: no preview available")
        self.preview.set_preview(preview, message)

    def _on_tab(self, _on: bool) -> None:
        if self.entry is not None and not self.copy_tab.isHidden():
            self._boxes(self.entry, same=True)
            self.view_changed.emit(self.entry, self.showing_copy)

    def _on_seek(self, seconds: float) -> None:
        if self.entry is not None:
            self.seek_requested.emit(self.entry, seconds, self.showing_copy)
