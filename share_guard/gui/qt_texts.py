"""Qt's own words (the standard buttons, the file dialog's basics) in the chosen language.

Qt ships translations of its own texts (``qtbase_<lang>.qm``) for Spanish, French, Brazilian
Portuguese and Arabic, not for Hindi, Bengali, Urdu, Tamil, Telugu or Marathi. So the app
loads Qt's file where there is one, and under it a small translator that answers Qt's
standard texts from our own catalog (``pgettext("Qt", ...)``): an OK or Cancel button is in
the person's language in every language we ship. A QTranslator subclass is Qt's own way to
supply translations from elsewhere (there is no .qm to write for a gettext catalog).
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

from share_guard.core.i18n import language, pgettext

#: the Qt classes whose standard texts the bridge answers
CONTEXTS = frozenset({"QPlatformTheme", "QGnomeTheme", "QKdeTheme", "QDialogButtonBox",
                      "QMessageBox", "QFileDialog", "QLineEdit", "QWidgetTextControl",
                      "QShortcut", "QFileSystemModel", "QInputDialog", "QColorDialog"})


@lru_cache(maxsize=16)
def standard_texts(code: str) -> dict[str, str]:
    """Qt's English -> ours, for the language ``code`` in use (cached per language)."""
    del code  # the key of the cache: pgettext below answers in the language in use
    return {
        # Translators: Qt's standard buttons and file dialog; keep the "&" before the letter
        # that is the keyboard shortcut (move it to a letter of your word)
        "OK": pgettext("Qt", "OK"), "&OK": pgettext("Qt", "&OK"),
        "Cancel": pgettext("Qt", "Cancel"), "&Cancel": pgettext("Qt", "&Cancel"),
        "Yes": pgettext("Qt", "Yes"), "&Yes": pgettext("Qt", "&Yes"),
        "No": pgettext("Qt", "No"), "&No": pgettext("Qt", "&No"),
        "Yes to &All": pgettext("Qt", "Yes to &All"), "N&o to All": pgettext("Qt", "N&o to All"),
        "Close": pgettext("Qt", "Close"), "&Close": pgettext("Qt", "&Close"),
        "Save": pgettext("Qt", "Save"), "&Save": pgettext("Qt", "&Save"),
        "Save All": pgettext("Qt", "Save All"), "Open": pgettext("Qt", "Open"),
        "&Open": pgettext("Qt", "&Open"), "Apply": pgettext("Qt", "Apply"),
        "&Apply": pgettext("Qt", "&Apply"), "Reset": pgettext("Qt", "Reset"),
        "Restore Defaults": pgettext("Qt", "Restore Defaults"), "Help": pgettext("Qt", "Help"),
        "&Help": pgettext("Qt", "&Help"), "Discard": pgettext("Qt", "Discard"),
        "Close without Saving": pgettext("Qt", "Close without Saving"),
        "Abort": pgettext("Qt", "Abort"), "Retry": pgettext("Qt", "Retry"),
        "Ignore": pgettext("Qt", "Ignore"), "&Choose": pgettext("Qt", "&Choose"),
        "Show Details...": pgettext("Qt", "Show Details..."),
        "Hide Details...": pgettext("Qt", "Hide Details..."),
        "Look in:": pgettext("Qt", "Look in:"), "File &name:": pgettext("Qt", "File &name:"),
        "Files of type:": pgettext("Qt", "Files of type:"),
        "Directory:": pgettext("Qt", "Directory:"), "Back": pgettext("Qt", "Back"),
        "Forward": pgettext("Qt", "Forward"), "Parent Directory": pgettext("Qt", "Parent Directory"),
        "Create New Folder": pgettext("Qt", "Create New Folder"),
        "New Folder": pgettext("Qt", "New Folder"), "List View": pgettext("Qt", "List View"),
        "Detail View": pgettext("Qt", "Detail View"), "Name": pgettext("Qt", "Name"),
        "Size": pgettext("Qt", "Size"), "Type": pgettext("Qt", "Type"),
        "Date Modified": pgettext("Qt", "Date Modified"),
        "&Undo": pgettext("Qt", "&Undo"), "&Redo": pgettext("Qt", "&Redo"),
        "Cu&t": pgettext("Qt", "Cu&t"), "&Copy": pgettext("Qt", "&Copy"),
        "&Paste": pgettext("Qt", "&Paste"), "Delete": pgettext("Qt", "Delete"),
        "Select All": pgettext("Qt", "Select All"),
    }


class CatalogTranslator(QTranslator):
    """Answers Qt's standard texts from our catalog; anything else (or a text our catalog
    has no translation for) is left to Qt's own translations, then to English."""

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str | None:
        # None (a null QString) lets Qt ask the next translator; "" would blank the text
        if context not in CONTEXTS:
            return None
        text = standard_texts(language()).get(source, source)
        return None if text == source else text

    def isEmpty(self) -> bool:  # noqa: N802 - Qt name
        return False


def qt_file(code: str) -> str:
    """Qt's name for ``code``'s translations ("pt_BR" stays, "hi" stays)."""
    return f"qtbase_{code}"


def install(app: QCoreApplication, code: str) -> list[QTranslator]:
    """Install the translators for ``code`` (none for English); returns them (kept alive as
    children of ``app``). Qt asks the last installed first: its own file, then the bridge."""
    for old in app.findChildren(QTranslator, "share_guard_qt"):
        app.removeTranslator(old)
        old.deleteLater()
    if code == "en":
        return []
    installed: list[QTranslator] = []
    bridge = CatalogTranslator(app)
    bridge.setObjectName("share_guard_qt")
    app.installTranslator(bridge)
    installed.append(bridge)
    own = QTranslator(app)
    own.setObjectName("share_guard_qt")
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if own.load(qt_file(code), folder):
        app.installTranslator(own)
        installed.append(own)
    else:
        own.deleteLater()
    return installed


def has_qt_translation(code: str) -> bool:
    return QTranslator().load(qt_file(code), QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
