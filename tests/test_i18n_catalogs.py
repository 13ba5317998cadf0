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


def _entries(po: Path) -> list[dict[str, str]]:
    """Each entry's fields (msgctxt, msgid, msgid_plural, msgstr, msgstr[i]) and flags."""
    out: list[dict[str, str]] = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {"flags": ""}
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                fields["flags"] += line[2:]
            elif line.startswith("#~"):
                fields["obsolete"] = "1"
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
            else:
                key, _, rest = line.partition(" ")
                fields[key] = rest[1:-1]
        if fields.get("msgid") and "obsolete" not in fields:
            out.append(fields)
    return out


def _text(s: str) -> str:
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
        "latin-1").decode("utf-8") if "\\" in s else s


@pytest.mark.parametrize("lang", workflow.LANGS)
def test_catalog_is_finished_and_compiled_from_its_po(lang: str) -> None:
    entries = _entries(workflow.PO / f"{lang}.po")
    assert len(entries) == len(workflow.msgids(workflow.POT))
    unfinished = [e["msgid"] for e in entries if "fuzzy" in e["flags"] or not any(
        v for k, v in e.items() if k.startswith("msgstr"))]
    assert unfinished == [], f"{lang}: {len(unfinished)} unfinished, e.g. {unfinished[:3]}"
    with workflow.mo_path(lang).open("rb") as f:
        mo = gettext.GNUTranslations(f)
    for e in entries:
        msgid, ctx = _text(e["msgid"]), _text(e.get("msgctxt", ""))
        if "msgid_plural" in e:
            assert mo.ngettext(msgid, _text(e["msgid_plural"]), 1) != msgid or \
                _text(e.get("msgstr[1]", "")) == msgid, (lang, msgid)
            continue
        want = _text(e["msgstr"])
        got = mo.pgettext(ctx, msgid) if ctx else mo.gettext(msgid)
        assert got == want, f"{lang}: the .mo is not compiled from the .po ({msgid[:60]!r})"


def test_the_template_holds_every_marked_string_today(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        pytest.skip("xgettext (apt: gettext) is not installed; .ci/run installs it and runs "
                    "packaging/i18n.py check")
    fresh = tmp_path / "now.pot"
    workflow.extract(fresh)
    assert workflow.msgids(fresh) == workflow.msgids(workflow.POT), \
        "po/share_guard.pot is stale: run python packaging/i18n.py update"
