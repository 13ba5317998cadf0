"""The translation module: which language is chosen, how it is remembered, and how the
core's English texts are translated where they are shown (exact entries and templates)."""

from __future__ import annotations

from pathlib import Path

import pytest
from i18n_fixtures import write_mo

from share_guard.core import i18n


@pytest.mark.parametrize(("name", "code"), [
    ("hi_IN.UTF-8", "hi"), ("ur_PK.UTF-8", "ur"), ("pt_BR.UTF-8", "pt_BR"), ("pt-BR", "pt_BR"),
    ("pt_PT.UTF-8", None), ("fr_CA.UTF-8@euro", "fr"), ("de_DE.UTF-8", None), ("C", None),
    ("bn_BD", "bn"), ("ar_EG.UTF-8", "ar"), ("", None),
])
def test_locale_names_map_to_shipped_languages(name: str, code: str | None) -> None:
    assert i18n.from_locale(name) == code


def test_the_environment_is_read_in_gettexts_order() -> None:
    assert i18n.from_environment({"LANGUAGE": "de:ta", "LANG": "hi_IN.UTF-8"}) == "ta"
    assert i18n.from_environment({"LC_ALL": "mr_IN.UTF-8", "LANG": "hi_IN.UTF-8"}) == "mr"
    assert i18n.from_environment({"LANG": "te_IN.UTF-8"}) == "te"
    # LC_ALL names a language we do not ship: it still wins over LANG (gettext's rule)
    assert i18n.from_environment({"LC_ALL": "de_DE.UTF-8", "LANG": "hi_IN.UTF-8"}) is None
    assert i18n.from_environment({}) is None


def test_explicit_beats_remembered_beats_environment(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert i18n.choose(None, tmp_path) == "es"
    i18n.remember(tmp_path, "bn")
    assert (tmp_path / i18n.REMEMBERED).read_text(encoding="utf-8") == "bn\n"
    assert i18n.choose(None, tmp_path) == "bn"
    assert i18n.choose("ar", tmp_path) == "ar"
    i18n.remember(tmp_path, None)
    assert i18n.choose(None, tmp_path) == "es"
    with pytest.raises(ValueError, match="no translation for 'xx'"):
        i18n.choose("xx", tmp_path)
    with pytest.raises(ValueError):
        i18n.remember(tmp_path, "xx")


def test_a_damaged_remembered_choice_is_ignored(tmp_path: Path) -> None:
    (tmp_path / i18n.REMEMBERED).write_bytes(b"\xff\xfe../../etc")
    assert i18n.remembered(tmp_path) is None


def _catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entries: dict[str, str],
             plural: str = "nplurals=2; plural=(n != 1);") -> None:
    write_mo(tmp_path / "loc" / "ur" / "LC_MESSAGES" / "share_guard.mo", entries, plural)
    monkeypatch.setattr(i18n, "locale_dir", lambda: tmp_path / "loc")
    assert i18n.set_language("ur") == "ur"


def test_templates_are_found_again_with_their_values(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _catalog(tmp_path, monkeypatch, {
        "GPS position": "جی پی ایس مقام",
        "the cleaned copy still held {what}; removed": "صاف نقل میں اب بھی {what} تھا؛ ہٹا دی گئی",
        "{name}: {reason}": "{name}: {reason}",
    })
    core = i18n.message("the cleaned copy still held {what}; removed", what="GPS position")
    assert core == "the cleaned copy still held GPS position; removed"  # English in the core
    assert i18n.translated(core) == "صاف نقل میں اب بھی جی پی ایس مقام تھا؛ ہٹا دی گئی"
    assert i18n.translated("GPS position") == "جی پی ایس مقام"
    assert i18n.translated("something no catalog has") == "something no catalog has"
    assert i18n.is_rtl()
    assert i18n.isolate("photo_1.jpg") == "\u2068photo_1.jpg\u2069"


def test_arabic_plural_forms_are_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forms = ["لا ملفات", "ملف واحد", "ملفان", "{n} ملفات", "{n} ملفًا", "{n} ملف"]
    rule = ("nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
            ": n%100>=11 ? 4 : 5);")
    _catalog(tmp_path, monkeypatch, {"{n} file\0{n} files": "\0".join(forms)}, rule)
    said = {n: i18n.ngettext("{n} file", "{n} files", n) for n in (0, 1, 2, 5, 11, 100)}
    assert said == {0: "لا ملفات", 1: "ملف واحد", 2: "ملفان", 5: "5 ملفات", 11: "11 ملفًا",
                    100: "100 ملف"}


def test_a_language_without_a_catalog_falls_back_to_english(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "locale_dir", lambda: tmp_path / "nothing")
    assert i18n.set_language("ta") == "en"
    assert i18n._("Open") == "Open"
    assert i18n.isolate("x") == "x"


def test_counted_core_texts_take_the_languages_plural_form(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The core says "3 faces" in English (one/many); shown in Arabic it takes the form
    Arabic uses for 3, also inside another template."""
    forms = ["لا وجوه", "وجه واحد", "وجهان", "{n} وجوه", "{n} وجهًا", "{n} وجه"]
    rule = ("nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
            ": n%100>=11 ? 4 : 5);")
    _catalog(tmp_path, monkeypatch, {"{n} face\0{n} faces": "\0".join(forms),
                                      "covered: {what}": "مغطّى: {what}"}, rule)
    assert i18n.translated("1 face") == "وجه واحد"
    assert i18n.translated("2 faces") == "وجهان"
    assert i18n.translated("3 faces") == "3 وجوه"
    assert i18n.translated("12 faces") == "12 وجهًا"
    assert i18n.translated("covered: 100 faces") == "مغطّى: 100 وجه"
    assert i18n.translated("many faces") == "many faces"  # no number: not this template
