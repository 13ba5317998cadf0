"""The helplines table: every entry carries its scope, when and against what it was checked,
and ways to reach it that a person can use; the order puts the person's country first."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources

import pytest

from share_guard.core import helplines
from share_guard.core.helplines import (
    AGES,
    KINDS,
    HelplineDataError,
    check,
    country_from_locale,
    describe,
    environment_locale,
    language_from_locale,
    load,
    parse,
)


def raw() -> dict:
    text = (resources.files("share_guard") / helplines.DATA).read_text(encoding="utf-8")
    return json.loads(text)


def ids(section) -> list[str]:
    return [e.id for e in section.entries]


# -- the shipped table ---------------------------------------------------------------------------

def test_the_shipped_table_passes_its_check():
    assert check(raw()) == []
    book = load()
    assert len(book.entries) >= 15


def test_every_entry_has_scope_checked_date_and_source_or_a_reason():
    table = raw()
    for e in table["entries"]:
        assert e["countries"] and e["age"] in AGES and e["kinds"] and set(e["kinds"]) <= set(KINDS)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", e["checked"]), e["id"]
        assert e["checked"] <= table["checked"]
        if e["verified"]:
            assert e["source"].startswith("https://"), e["id"]
        else:
            assert len(e["unverified_reason"]) > 40, e["id"]


def test_web_addresses_are_https_and_phone_numbers_plausible():
    for e in raw()["entries"]:
        for c in e["contacts"]:
            if c["kind"] == "web":
                assert c["value"].startswith("https://") and " " not in c["value"]
            elif c["kind"] in ("phone", "whatsapp"):
                digits = re.sub(r"\D", "", c["value"])
                assert 3 <= len(digits) <= 15 and re.fullmatch(r"\+?[\d -]+", c["value"]), c
        for url in [e.get("source", "https://x.y"), *e.get("also_checked", [])]:
            assert url.startswith(("https://", "http://")), url


def test_the_corrections_from_issue_16_are_in():
    by_id = {e.id: e for e in load().entries}

    def web(entry_id: str) -> list[str]:
        return [c.value for c in by_id[entry_id].contacts if c.kind == "web"]

    def phones(entry_id: str) -> list[str]:
        return [c.value for c in by_id[entry_id].contacts if c.kind == "phone"]

    assert web("gb-report-remove") == [
        "https://www.childline.org.uk/info-advice/bullying-abuse-safety/online-mobile-safety/report-remove/"]
    assert by_id["au-esafety"].countries == ("AU",)  # people in Australia, not everyone
    assert by_id["inhope"].age == "images-under-18" and by_id["inhope"].kinds == ("under-18",)
    assert web("in-cybercrime-portal") == ["https://cybercrime.gov.in"]
    assert "1930" in phones("in-cybercrime-portal")
    assert "women and children" in by_id["in-cybercrime-portal"].summary["en"]
    assert phones("pk-drf-helpline") == ["0800-39393"]
    assert phones("bd-police-cyber-support-women") == ["01320000888"]
    for kept in ("stopncii", "take-it-down", "gb-revenge-porn-helpline", "us-cybertipline",
                 "ca-needhelpnow"):
        assert by_id[kept].verified


def test_unverified_entries_say_so_to_the_reader():
    book = load()
    unverified = [e for e in book.entries if not e.verified]
    assert {e.id for e in unverified} >= {"bd-police-cyber-support-women", "us-ccri-helpline"}
    for entry in unverified:
        view = describe(book, entry, "en")
        assert "could not check" in view.trust and not view.verified


def test_every_sentence_a_person_reads_is_in_the_table_in_english():
    book = load()
    for entry in book.entries:
        view = describe(book, entry, "en")
        for sentence in (*view.scope, view.summary, view.trust):
            assert sentence and sentence[-1] in ".!?", sentence
        assert all(c.label for c in view.contacts)


# -- ordering ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("country", "first"), [
    ("IN", ["in-cybercrime-portal"]),
    ("PK", ["pk-drf-helpline"]),
    ("BD", ["bd-police-cyber-support-women"]),
    ("GB", ["gb-revenge-porn-helpline", "gb-report-remove"]),
    ("US", ["us-cybertipline", "us-ccri-helpline"]),
    ("AU", ["au-esafety"]),
])
def test_the_country_comes_first_then_international_then_the_rest(country, first):
    book = load()
    sections = book.sections(country)
    assert (sections[0].kind, sections[0].country) == ("local", country)
    assert ids(sections[0]) == first
    assert sections[1].kind == "international"
    assert ids(sections[1]) == ["stopncii", "take-it-down", "inhope"]
    rest = sections[2:]
    assert rest and all(s.kind == "elsewhere" for s in rest)
    assert country not in {s.country for s in rest}
    names = [book.country_name(s.country, "en").casefold() for s in rest]
    assert names == sorted(names)
    shown = {e.id for s in sections for e in s.entries}
    assert shown == {e.id for e in book.entries}  # nothing is hidden, only ordered


def test_a_country_without_a_service_gets_a_note_then_everything():
    book = load()
    sections = book.sections("de")
    assert sections[0].kind == "no_local" and sections[0].entries == ()
    assert "work everywhere" in book.heading(sections[0], "en")
    assert sections[1].kind == "international"
    assert book.sections(None)[0].kind == "international"


def test_headings_name_the_place():
    book = load()
    local, international, first_other = book.sections("GB")[:3]
    assert book.heading(local, "en") == "Services for people in the United Kingdom"
    assert book.heading(international, "en") == "Services for people anywhere"
    assert book.heading(first_other, "en") == "Australia"


# -- language and locale -------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "country", "language"), [
    ("hi_IN.UTF-8", "IN", "hi"), ("ur_PK.UTF-8@latin", "PK", "ur"), ("bn-BD", "BD", "bn"),
    ("en_GB", "GB", "en"), ("pt_BR", "BR", "pt"), ("C", None, "en"), ("POSIX", None, "en"),
    ("", None, "en"), (None, None, "en"), ("zh_Hans_CN", "CN", "zh"), ("es_419", None, "es"),
])
def test_locale_names(name, country, language):
    assert country_from_locale(name) == country
    assert language_from_locale(name) == language


def test_environment_locale_follows_posix_precedence():
    assert environment_locale({"LANG": "en_US.UTF-8", "LC_MESSAGES": "hi_IN.UTF-8"}) == "hi_IN.UTF-8"
    assert environment_locale({"LANG": "en_US.UTF-8", "LC_ALL": "bn_BD.UTF-8"}) == "bn_BD.UTF-8"
    assert environment_locale({"LC_ALL": "", "LANG": "ur_PK"}) == "ur_PK"
    assert environment_locale({}) == ""


def test_translations_are_picked_with_an_english_fallback():
    table = raw()
    entry = table["entries"][0]
    entry["summary"]["hi"] = "यह आपके अपने डिवाइस पर एक डिजिटल फ़िंगरप्रिंट बनाता है।"
    table["labels"]["ages"]["adults"]["hi"] = "वयस्कों के लिए (18 वर्ष और उससे अधिक)।"
    book = parse(table)
    hindi = describe(book, book.entries[0], "hi_IN")
    assert hindi.summary.startswith("यह") and hindi.scope[0].startswith("वयस्कों")
    assert hindi.scope[1] == "For people anywhere in the world."  # not translated yet: English
    assert helplines.pick({"en": "a", "pt": "b", "pt_BR": "c"}, "pt-BR") == "c"
    assert helplines.pick({"en": "a", "pt": "b"}, "pt_PT") == "b"


def test_language_names_can_be_isolated_for_mixed_scripts():
    book = load()
    stop = next(e for e in book.entries if e.id == "stopncii")
    isolated = describe(book, stop, "en", bidi_isolate=True).languages
    assert "\u2068اردو\u2069" in isolated and "\u2068English\u2069" in isolated
    assert "\u2068" not in describe(book, stop, "en").languages


# -- the check refuses what a person could not rely on -------------------------------------------

def _broken(change) -> list[str]:
    table = copy.deepcopy(raw())
    change(table)
    return check(table)


@pytest.mark.parametrize(("change", "problem"), [
    (lambda t: t["entries"][0]["contacts"].append({"kind": "web", "value": "http://stopncii.org"}),
     "not an https address"),
    (lambda t: t["entries"][0]["contacts"].append({"kind": "phone", "value": "call us"}),
     "not a plausible phone number"),
    (lambda t: t["entries"][0]["contacts"].append({"kind": "phone", "value": "12"}),
     "not a plausible phone number"),
    (lambda t: t["entries"][0]["contacts"].append({"kind": "phone", "value": "1234567890123456"}),
     "not a plausible phone number"),
    (lambda t: t["entries"][0].pop("source"), "names no source page"),
    (lambda t: t["entries"][0].update(verified=False), "does not say why"),
    (lambda t: t["entries"][0].pop("verified"), "neither verified"),
    (lambda t: t["entries"][0].update(checked="06/12/2026"), "not a date"),
    (lambda t: t["entries"][0].update(checked="2099-01-01"), "out of range"),
    (lambda t: t["entries"][0].update(countries=[]), "no countries"),
    (lambda t: t["entries"][0].update(countries=["india"]), "not a country code"),
    (lambda t: t["entries"][0].update(countries=["DE"]), "has no name"),
    (lambda t: t["entries"][0].update(age="teens"), "no age scope"),
    (lambda t: t["entries"][0].update(kinds=[]), "no kinds of image"),
    (lambda t: t["entries"][0].update(contacts=[]), "no way to reach it"),
    (lambda t: t["entries"][0].update(languages=["xx"]), "language 'xx'"),
    (lambda t: t["entries"][0]["summary"].update(en="no full stop"), "not a whole sentence"),
    (lambda t: t["entries"][0]["summary"].update(hi=""), "empty translation"),
    (lambda t: t["labels"]["places"]["one"].update(hi="{country} में"), "other {placeholders}"),
    (lambda t: t["labels"]["ages"].pop("adults"), "label ages.adults"),
    (lambda t: t["entries"].append(copy.deepcopy(t["entries"][0])), "same id"),
])
def test_the_check_refuses_a_broken_table(change, problem):
    problems = _broken(change)
    assert any(problem in p for p in problems), problems


def test_a_broken_table_is_one_clear_error():
    table = raw()
    table["entries"][0]["contacts"] = [{"kind": "web", "value": "http://x.org"}]
    with pytest.raises(HelplineDataError) as caught:
        parse(table)
    message = str(caught.value)
    assert "\n" not in message and "https" in message
    with pytest.raises(HelplineDataError):
        parse({"schema": 1})
