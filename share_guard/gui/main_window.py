"""The main window: wires the panels to the session. No parsing, no threads, no dialogs' insides."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QImage, QKeySequence
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolBar,
    QToolButton,
    QWidget,
)

from share_guard.core.export.consent import ConsentAnswer, ConsentRequest
from share_guard.core.i18n import _, pgettext
from share_guard.gui.dialogs import DialogService
from share_guard.gui.family import FamilyControls
from share_guard.gui.language import LanguageMenu, show_font_hint
from share_guard.gui.service import Preview, Service
from share_guard.gui.session import Entry, RowState, Session
from share_guard.gui.settings import Settings
from share_guard.gui.widgets.empty_state import EmptyState
from share_guard.gui.widgets.export_bar import ExportBar
from share_guard.gui.widgets.file_list import FileList
from share_guard.gui.widgets.inspector import Inspector

Key = str | QKeySequence | QKeySequence.StandardKey


class MainWindow(QMainWindow):
    def __init__(self, service: Service, settings: Settings | None = None,
                 dialogs: DialogService | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.dialogs = dialogs or DialogService()
        self.session = Session(service, self)
        self.last_results: list[Entry] = []
        self.setWindowTitle("share_guard")
        self.setAcceptDrops(True)
        self.resize(1240, 780)
        self.setMinimumSize(820, 540)

        names = ", ".join(service.supported_formats())
        self.empty = EmptyState(pgettext("formats", "Supported: {formats}").format(formats=names)
                                if names else "", self)
        self.file_list = FileList(self)
        self.inspector = Inspector(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.file_list)
        self.splitter.addWidget(self.inspector)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([520, 720])
        self.splitter.setChildrenCollapsible(False)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.splitter)
        self.setCentralWidget(self.stack)
        self.export_bar = ExportBar(self)
        self.statusBar().addPermanentWidget(self.export_bar, 1)
        self.statusBar().setSizeGripEnabled(False)
        self.export_bar.set_folder(self.settings.output_dir)
        self.export_bar.set_neutral(self.settings.neutral_names)

        self._actions_timer = QTimer(self)
        self._actions_timer.setSingleShot(True)
        self._actions_timer.setInterval(0)
        self._actions_timer.timeout.connect(self.update_actions_now)
        self._make_actions()
        # protection settings, records, the nudity warning
        self.family = FamilyControls(self, self.session, self.dialogs, self.show_help)
        self.settings_menu.insertAction(self.about_action, self.family.policy_action)
        self.settings_menu.insertAction(self.about_action, self.family.records_action)
        self.settings_menu.insertSeparator(self.about_action)
        self.family.rules_changed.connect(self.policy_changed)
        self.language_menu = LanguageMenu(service.data_dir(),
                                          lambda: [e.path for e in self.session.entries], self,
                                          busy=lambda: self.session.export_run is not None)
        self.settings_menu.insertMenu(self.about_action, self.language_menu)
        self.font_hint = show_font_hint(self)
        self._connect()
        self.policy_changed()
        self.update_actions_now()
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)

    # -- construction ---------------------------------------------------------------------
    def _action(self, text: str, icon: QStyle.StandardPixmap | None, shortcuts: Sequence[Key],
                slot: Callable[[], object], tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        keys = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
        action.setToolTip(f"{tip or text} ({keys})" if keys else (tip or text))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.open_action = self._action(_("Open…"), sp.SP_DialogOpenButton,
                                        [QKeySequence.StandardKey.Open], self.open_files,
                                        _("Open photos or videos"))
        self.export_action = self._action(_("Make a clean copy"), sp.SP_DialogSaveButton,
                                          ["Ctrl+E"], self.export_selected,
                                          _("Save a clean copy of the selected files"))
        self.export_all_action = self._action(_("Save clean copies"), sp.SP_DriveHDIcon,
                                              ["Ctrl+Shift+E"], self.export_all,
                                              _("Save clean copies of all files"))
        self.remove_action = self._action(_("Remove from list"), sp.SP_TrashIcon,
                                          [QKeySequence.StandardKey.Delete], self.remove_selected)
        self.recheck_action = self._action(_("Check again"), sp.SP_BrowserReload, ["F5"],
                                           self.recheck_selected)
        self.next_action = self._action(_("Next file"), None, ["Alt+Down", "Ctrl+N"],
                                        lambda: self.file_list.step(1))
        self.prev_action = self._action(_("Previous file"), None, ["Alt+Up", "Ctrl+P"],
                                        lambda: self.file_list.step(-1))
        self.help_action = self._action(_("If this is happening to you"), sp.SP_DialogHelpButton,
                                        [QKeySequence.StandardKey.HelpContents], self.show_help,
                                        _("Help and helplines"))
        self.about_action = self._action(_("About share_guard"), sp.SP_MessageBoxInformation,
                                         [], self.show_about,
                                         _("About share_guard: what it does and cannot promise"))
        toolbar = QToolBar(_("Main"), self)
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setObjectName("main_toolbar")
        for action in (self.open_action, self.export_action, self.export_all_action, self.remove_action):
            toolbar.addAction(action)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        # protection settings, consent records and About in one menu, so the help entry always
        # has room (at 1024 px it went behind the toolbar's overflow chevron)
        self.settings_menu = QMenu(_("Settings"), self)
        self.settings_menu.addAction(self.about_action)
        self.settings_button = QToolButton(toolbar)
        self.settings_button.setText(_("Settings"))
        self.settings_button.setIcon(self.style().standardIcon(sp.SP_FileDialogDetailedView))
        self.settings_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.settings_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.settings_button.setMenu(self.settings_menu)
        self.settings_button.setAccessibleName(_("Settings, consent records and About"))
        toolbar.addWidget(self.settings_button)
        toolbar.addAction(self.help_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar
        overflow = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
        if overflow is not None:
            overflow.setAccessibleName(_("More actions"))
        table = self.file_list.view
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action in (self.export_action, self.recheck_action, self.remove_action):
            table.addAction(action)

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._fit_toolbar()

    def _fit_toolbar(self) -> None:
        """Words beside the icons while they fit; a narrow window keeps the file actions'
        icons (named in their tooltips) so the help entry never goes behind the chevron."""
        buttons = [self.toolbar.widgetForAction(a) for a in
                   (self.open_action, self.export_action, self.export_all_action, self.remove_action)]
        wide = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        for button in buttons:
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(wide)
        if self.toolbar.sizeHint().width() > self.width():
            for button in buttons:
                if isinstance(button, QToolButton):
                    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

    def help_button(self) -> QToolButton | None:
        widget = self.toolbar.widgetForAction(self.help_action)
        return widget if isinstance(widget, QToolButton) else None

    def _connect(self) -> None:
        s = self.session
        s.added.connect(self._on_added)
        s.changed.connect(self._on_changed)
        s.removed.connect(self._on_removed)
        s.preview_ready.connect(self._on_preview)
        s.tracks_ready.connect(self._on_tracks)
        s.consent_needed.connect(self._on_consent_needed)
        s.export_progress.connect(self.export_bar.set_progress)
        s.busy_changed.connect(self._on_busy)
        s.export_finished.connect(self._on_export_finished)
        self.file_list.current_entry_changed.connect(self._on_current)
        self.file_list.selection_changed.connect(self._update_actions)
        self.file_list.cancel_requested.connect(s.cancel)
        self.inspector.export_clicked.connect(self.export_selected)
        self.inspector.recheck_clicked.connect(self._recheck)
        self.inspector.stop_clicked.connect(lambda e: s.cancel(e) if e is not None else None)
        self.inspector.rebuild_clicked.connect(self.export_rebuilt)
        self.inspector.seek_requested.connect(
            lambda entry, t, copy: s.request_preview(entry, at=t, copy=copy))
        self.inspector.view_changed.connect(lambda entry, copy: s.request_preview(entry, copy=copy))
        self.empty.open_clicked.connect(self.open_files)
        self.empty.help_clicked.connect(self.show_help)
        self.export_bar.change_clicked.connect(self.change_folder)
        self.export_bar.stop_clicked.connect(s.cancel_export)
        self.export_bar.neutral_toggled.connect(self._on_neutral)

    # -- opening files --------------------------------------------------------------------
    def open_paths(self, paths: Iterable[str | Path]) -> None:
        wanted = [Path(p) for p in paths]
        if wanted:
            self.session.add_paths(wanted)

    def open_files(self) -> None:
        self.open_paths(self.dialogs.open_files(self))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt name
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt name
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt name
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)
        else:
            event.ignore()

    # -- list and inspector ---------------------------------------------------------------
    def _on_added(self, entry: Entry) -> None:
        self.file_list.add_entry(entry)
        self.stack.setCurrentWidget(self.splitter)
        self._update_actions()

    def _on_changed(self, entry: Entry) -> None:
        self.file_list.update_entry(entry)
        if entry is self.inspector.entry:
            had_report = self.inspector.preview.view.pixmap is not None
            self.inspector.show_entry(entry)
            shown = not entry.busy or entry.state is RowState.SCANNING  # metadata in, faces to come
            if not had_report and shown and self.session.wants_preview(entry):
                self._preview(entry)
        self._update_actions()

    def _on_removed(self, entry: Entry) -> None:
        self.file_list.remove_entry(entry)
        if not self.session.entries:
            self.stack.setCurrentWidget(self.empty)
            self.inspector.show_entry(None)
        self._update_actions()

    def _on_current(self, entry: Entry | None) -> None:
        self.inspector.show_entry(entry)
        if entry is not None and entry.report is not None and entry.report.ok:
            self._preview(entry)
        self._update_actions()

    def _preview(self, entry: Entry) -> None:
        self.session.request_preview(entry, copy=self.inspector.showing_copy)

    def _on_preview(self, entry: Entry, preview: Preview | None, of_copy: bool) -> None:
        self.inspector.set_preview(entry, preview, of_copy)

    def _on_tracks(self, entry: Entry) -> None:
        if entry is self.inspector.entry:
            self.inspector.preview.refresh_boxes()

    def selected(self) -> list[Entry]:
        chosen = self.file_list.selected_entries()
        current = self.file_list.current_entry()
        return chosen or ([current] if current is not None else [])

    def remove_selected(self) -> None:
        for entry in self.selected():
            if entry.state is not RowState.EXPORTING:
                self.session.remove(entry)

    def recheck_selected(self) -> None:
        for entry in self.selected():
            self.session.recheck(entry)

    def _recheck(self, entry: Entry | None) -> None:
        if entry is not None:
            self.session.recheck(entry)

    def _update_actions(self) -> None:
        """Coalesce: many files change at once while a folder is checked."""
        self._actions_timer.start()

    def actions_settled(self) -> bool:
        """True when the enabled state of the actions reflects the files (tests wait on it)."""
        return not self._actions_timer.isActive()

    def update_actions_now(self) -> None:
        idle = self.session.export_run is None
        self.export_action.setEnabled(idle and bool(self.session.saveable(self.selected())))
        self.export_all_action.setEnabled(idle and bool(self.session.saveable(self.session.entries)))
        self.remove_action.setEnabled(bool(self.selected()))
        self.inspector.export_button.setEnabled(self.inspector.export_button.isEnabled() and idle)

    # -- export ---------------------------------------------------------------------------
    def export_selected(self) -> bool:
        return self._export(self.selected())

    def export_all(self) -> bool:
        return self._export(self.session.entries)

    def export_rebuilt(self) -> bool:
        """Export the file on display, re-encoded from its pixels (files the cleaner refuses)."""
        entry = self.inspector.entry
        return self._export([entry], rebuild=True) if entry is not None else False

    def _export(self, entries: Sequence[Entry], *, rebuild: bool = False) -> bool:
        batch = self.session.exportable(entries)
        if not batch or self.session.export_run is not None:
            self.statusBar().showMessage(_("Nothing is ready to save yet."), 4000)
            return False
        folder = self.output_folder()
        if folder is None:
            return False
        neutral = self.export_bar.neutral.isChecked()
        return self.family.before_export(
            batch, lambda: self.session.export(batch, folder, rebuild=rebuild, neutral_name=neutral))

    def output_folder(self) -> Path | None:
        """The remembered folder, or ask for one (once)."""
        folder = self.settings.output_dir
        if folder is not None and folder.is_dir():
            return folder
        return self.change_folder()

    def change_folder(self) -> Path | None:
        folder = self.dialogs.choose_folder(self, self.settings.output_dir)
        if folder is None or not folder.is_dir():
            return None
        self.settings.output_dir = folder
        self.export_bar.set_folder(folder)
        return folder

    def _on_neutral(self, on: bool) -> None:
        if not self.export_bar.forced:
            self.settings.neutral_names = on

    def policy_changed(self) -> None:
        """The rules in force changed: a policy that names copies neutrally decides the box."""
        forced = self.session.policy_state().policy.neutral_names
        self.export_bar.set_forced(forced, self.settings.neutral_names)

    def _on_consent_needed(self, request: ConsentRequest, reply: Callable[[ConsentAnswer], None],
                           thumbs: Mapping[str, QImage]) -> None:
        self.dialogs.ask_consent(self, request, thumbs, reply)

    def _on_busy(self, busy: bool) -> None:
        self.export_bar.set_busy(busy)
        self._update_actions()

    def _on_export_finished(self, entries: list[Entry]) -> None:
        self.last_results = entries
        results = [e.result for e in entries if e.result is not None]
        saved = [e for e in entries if e.result is not None and e.result.ok]
        consent = self.session.last_consent
        if consent is not None and not consent.granted:
            self.statusBar().showMessage(_("Nothing was saved: consent was not given."), 6000)
        elif len(results) == 1 and len(saved) == 1:
            self.statusBar().showMessage(_("Clean copy saved."), 6000)
            self.file_list.select_entry(saved[0])  # the copy in hand: shown, ready to share
            self.inspector.show_copy(True)
        elif results:
            folder = self.settings.output_dir or Path()
            self.dialogs.show_results(self, results, folder)
        self._update_actions()

    # -- help and lifetime ----------------------------------------------------------------
    def show_help(self) -> None:
        self.dialogs.show_help(self)

    def show_about(self) -> None:
        self.dialogs.show_about(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        self.settings.save_geometry(self.saveGeometry())
        self.session.shutdown()
        super().closeEvent(event)
