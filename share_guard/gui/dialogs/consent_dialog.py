"""Before anything is written: what is about to be shared, and the person's explicit consent.

The core asks once per batch (``ConsentRequest``); this dialog answers with a
``ConsentAnswer``. Closing or cancelling it is a refusal. The confirm button
stays disabled until every confirmation is ticked.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from share_guard.core.export.consent import (
    ConsentAnswer,
    ConsentChannel,
    ConsentItem,
    ConsentRequest,
    statement,
)
from share_guard.core.i18n import _, ngettext, translated
from share_guard.gui.status import summarise
from share_guard.gui.widgets.common import Banner, muted, plain_label, set_font
from share_guard.gui.widgets.thumbs import placeholder, thumb_pixmap

MAX_THUMBS = 6
MAX_REMOVED = 6
THUMB = 72


class ConsentItemRow(QWidget):
    """One file: its picture, what the copy loses, what it covers and what it does not (all
    as the core's request says)."""

    def __init__(self, item: ConsentItem, thumb: QImage | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        picture = QLabel(self)
        picture.setFixedSize(THUMB, THUMB)
        picture.setPixmap(thumb_pixmap(thumb, THUMB) if thumb is not None
                          else placeholder(item.kind, THUMB, self.style()))
        title = plain_label(item.name, self)
        set_font(title, bold=True)
        lines = summarise(item.will_remove, MAX_REMOVED)
        removes = ("\n".join(lines) if lines
                   else _("Nothing identifying was found in the metadata."))
        caption = plain_label(_("Will remove:") if lines else "", self)
        caption.setVisible(bool(lines))
        self.removes = plain_label(removes, self, wrap=True)
        muted(self.removes)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(title)
        text.addWidget(caption)
        text.addWidget(self.removes)
        covering = _("Covered in the picture: {what}").format(
            what=_(", ").join(map(translated, item.will_cover)))
        self.covering = plain_label(covering, self, wrap=True)
        self.covering.setVisible(bool(item.will_cover))
        text.addWidget(self.covering)
        left = _("Not covered: {what}").format(
            what=_(", ").join(map(translated, item.will_not_cover)))
        self.not_covering = plain_label(left, self, wrap=True)
        self.not_covering.setVisible(bool(item.will_not_cover))
        text.addWidget(self.not_covering)
        keeps = _("Still gives away: {what}").format(
            what=_("; ").join(map(translated, item.will_keep)))
        self.keeping = plain_label(keeps, self, wrap=True)
        self.keeping.setVisible(bool(item.will_keep))
        text.addWidget(self.keeping)
        text.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)


class ConsentDialog(QDialog):
    """Ask for consent for one export batch. Use :meth:`launch` (non-blocking) or ``exec``."""

    def __init__(self, request: ConsentRequest, thumbnails: Mapping[str, QImage] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        thumbs = thumbnails or {}
        covers = any(item.will_cover for item in request.items)
        count = len(request.items)
        self.setWindowTitle(_("Before you share"))
        self.setModal(True)
        self.setMinimumWidth(560)

        heading = plain_label(ngettext("You are about to save {n} clean copy",
                                       "You are about to save {n} clean copies", count), self)
        set_font(heading, scale=1.35, bold=True)
        intro = plain_label(_(
            "Check what you are about to share. The copies will not contain the details listed "
            "below; the pictures themselves are not changed.") if not covers else _(
            "Check what you are about to share. The copies will not contain the details listed "
            "below, and the areas named are covered in the picture for good; the rest of each "
            "picture is not changed."), self, wrap=True)
        muted(intro)

        items = QWidget()
        items_layout = QVBoxLayout(items)
        items_layout.setContentsMargins(0, 0, 0, 0)
        for item in request.items[:MAX_THUMBS]:
            items_layout.addWidget(ConsentItemRow(item, thumbs.get(item.name), items))
        if count > MAX_THUMBS:
            more = plain_label(ngettext("…and {n} more file", "…and {n} more files",
                                        count - MAX_THUMBS), items)
            muted(more)
            items_layout.addWidget(more)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(items)
        scroll.setMinimumHeight(min(items.sizeHint().height(), 300))
        scroll.setMaximumHeight(min(items.sizeHint().height() + 8, 360))

        self.warnings = [Banner(w, "danger", self) for w in request.warnings]
        self.reminder = Banner(translated(request.reminder), "warn", self)
        # about pictures of people: not shown on every landscape
        self.reminder.setVisible(request.reminder_applies)

        self.checks: dict[str, QCheckBox] = {}
        for key in request.confirmations:
            box = QCheckBox(translated(statement(key)), self)
            box.setObjectName(f"confirm_{key}")
            box.toggled.connect(self._update)
            self.checks[key] = box

        self.buttons = QDialogButtonBox(self)
        self.cancel_button = self.buttons.addButton(_("Cancel"),
                                                    QDialogButtonBox.ButtonRole.RejectRole)
        self.confirm_button: QPushButton = self.buttons.addButton(
            ngettext("Save clean copy", "Save clean copies", count),
            QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm_button.setObjectName("confirm_button")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.cancel_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(scroll)
        for banner in self.warnings:
            layout.addWidget(banner)
        layout.addWidget(self.reminder)
        confirm_title = plain_label(_("Please confirm:"), self)
        set_font(confirm_title, bold=True)
        layout.addWidget(confirm_title)
        for box in self.checks.values():
            layout.addWidget(box)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self._update()

    def all_confirmed(self) -> bool:
        return all(box.isChecked() for box in self.checks.values())

    def _update(self) -> None:
        self.confirm_button.setEnabled(self.all_confirmed())

    def accept(self) -> None:
        if self.all_confirmed():  # the button is disabled, but Enter must not slip through
            super().accept()

    def answer(self) -> ConsentAnswer:
        """The reply for the core: granted only if accepted with every box ticked."""
        granted = self.result() == QDialog.DialogCode.Accepted and self.all_confirmed()
        confirmed = tuple(k for k, box in self.checks.items() if box.isChecked()) if granted else ()
        return ConsentAnswer(granted, confirmed, via=ConsentChannel.DIALOG,
                             overridden_warnings=self.request.warnings if granted else ())

    def launch(self) -> ConsentDialog:
        """Show window-modal without blocking; connect ``finished`` to read :meth:`answer`."""
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.open()
        return self
