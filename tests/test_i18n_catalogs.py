"""The shipped translations: every string extractable, every catalog finished and compiled
from its .po, the template fresh (packaging/i18n.py check does the same with gettext's own
tools; CI runs it too)."""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import pytest
from i18n_fixtures import workflow

from share_guard.core import i18n


def test_every_translatable_string_can_be_extracted() -> None:
    assert workflow.unextractable() == []


def test_every_shipped_language_has_a_catalog_and_nothing_else_ships() -> None:
    assert set(i18n.LANGUAGES) - {"en"} == set(workflow.LANGS)
    shipped = {p.parent.parent.name for p in workflow.LOCALE.glob("*/LC_MESSAGES/*.mo")}
    assert shipped == set(workflow.LANGS)


@pytest.mark.parametrize("lang", workflow.LANGS)
def test_catalog_is_finished_and_compiled_from_its_po(lang: str) -> None:
    import polib

    po = polib.pofile(str(workflow.PO / f"{lang}.po"))
    entries = [e for e in po if not e.obsolete]
    assert len(entries) == len(workflow.msgids(workflow.POT))
    unfinished = [e.msgid for e in entries if not e.translated() or "fuzzy" in e.flags]
    assert unfinished == [], f"{lang}: {len(unfinished)} unfinished, e.g. {unfinished[:3]}"
    with workflow.mo_path(lang).open("rb") as f:
        mo = gettext.GNUTranslations(f)
    for e in entries:
        if e.msgid_plural:
            forms = [e.msgstr_plural[i] for i in sorted(e.msgstr_plural)]
            assert mo.ngettext(e.msgid, e.msgid_plural, 1) in forms, (lang, e.msgid)
            continue
        got = mo.pgettext(e.msgctxt, e.msgid) if e.msgctxt else mo.gettext(e.msgid)
        assert got == e.msgstr, f"{lang}: the .mo is not compiled from the .po ({e.msgid[:60]!r})"


def test_the_template_holds_every_marked_string_today(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        pytest.skip("xgettext (apt: gettext) is not installed; .ci/run installs it and runs "
                    "packaging/i18n.py check")
    fresh = tmp_path / "now.pot"
    workflow.extract(fresh)
    assert workflow.msgids(fresh) == workflow.msgids(workflow.POT), \
        "po/share_guard.pot is stale: run python packaging/i18n.py update"
