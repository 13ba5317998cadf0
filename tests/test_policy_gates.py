"""The policy applied to real exports: gates, parent approval, consent rules, records."""

from __future__ import annotations

import sqlite3

import pytest
from checks import in_process_engine
from family_fixtures import PASS, Parent, cheap_scrypt, dialog_yes, fake_model, flag_yes, gps_jpeg  # noqa: F401 - fixtures

from share_guard.core.analysis.sensitive import SensitiveAnalyzer
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.family.lock import load_state, lock_policy, save_policy
from share_guard.core.family.policy import PRESETS, Policy
from share_guard.core.family.records import ConsentLog
from share_guard.core.inspect import inspect
from share_guard.core.report import Category, Finding

pytestmark = pytest.mark.usefixtures("cheap_scrypt", "fake_model")


class Emit:
    """A test analyzer that adds one finding to every file."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        self.name = f"emit {finding.category}"

    def analyze(self, src, report, progress, cancel):
        return [self.finding]


TAKEDOWN = Finding(Category.TAKEDOWN, "picture", "Takedown list", "entry 1",
                   "This matches an image on the takedown list", removable=False,
                   detail={"match": "match"})
FACE = Finding(Category.PEOPLE, "picture", "Face", "1 face", "A person can be recognised",
               removable=False)


class _Opts:
    """An export request and the checks the engine runs (the test's analyzers)."""

    def __init__(self, options, analyzers):
        self.options, self.analyzers = options, analyzers


def _opts(tmp_path, *analyzers, **kw):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return _Opts(ExportOptions(output_dir=out, data_dir=tmp_path / "data", **kw), analyzers)


def export(paths, opts, consent, **kw):
    """An export by the engine the front ends build (in-process: the model is patched)."""
    if isinstance(opts, ExportOptions):
        opts = _Opts(opts, ())
    engine = in_process_engine(analyzers=tuple(opts.analyzers),
                               data_dir=opts.options.data_dir)
    return engine.export(paths, opts.options, consent, **kw).results


def _family():
    lock_policy(PRESETS["family"], PASS)


def test_gps_is_always_stripped_under_the_family_policy(tmp_path, witness):
    _family()
    src = gps_jpeg(tmp_path)
    [r] = export([src], _opts(tmp_path), dialog_yes)
    assert r.ok, r.reason
    assert not [k for k in witness.tags(r.output) if "GPS" in k]
    assert not inspect(r.output).by_category(Category.LOCATION)


@pytest.mark.parametrize("preset_name", ["default", "family"])
def test_takedown_match_is_never_exported_even_with_a_parent(tmp_path, preset_name):
    lock_policy(PRESETS[preset_name], PASS)
    parent = Parent(PASS)
    opts = _opts(tmp_path, Emit(TAKEDOWN))
    [r] = export([gps_jpeg(tmp_path)], opts, dialog_yes, ask_parent=parent)
    assert r.status == "refused" and "takedown" in r.reason
    assert not list((tmp_path / "out").iterdir())


def test_flagged_image_is_blocked_without_the_passphrase(tmp_path):
    _family()
    src = gps_jpeg(tmp_path, "flagged.jpg")
    [r] = export([src], _opts(tmp_path), dialog_yes)  # nobody to ask
    assert r.status == "refused" and "parent" in r.reason
    parent = Parent("wrong guess 1", "wrong guess 2", None)
    [r] = export([src], _opts(tmp_path), dialog_yes, ask_parent=parent)
    assert r.status == "refused"
    assert len(parent.shown) == 3 and "not right" in parent.shown[1]
    assert "without clothes" in parent.shown[0]
    assert not list((tmp_path / "out").iterdir())


def test_flagged_image_is_exported_with_the_passphrase(tmp_path):
    _family()
    src = gps_jpeg(tmp_path, "flagged.jpg")
    other = gps_jpeg(tmp_path, "flagged-too.jpg")
    parent = Parent(PASS)
    results = export([src, other], _opts(tmp_path), dialog_yes, ask_parent=parent)
    assert [r.status for r in results] == ["cleaned", "cleaned"]
    assert len(parent.shown) == 1  # one approval for the export
    [record] = ConsentLog(tmp_path / "data").list()
    assert record.parent_approved and record.exported == 2
    assert "may show someone without clothes" in record.warnings_overridden


def test_sensitive_block_refuses_even_a_parent(tmp_path):
    lock_policy(PRESETS["family"].with_rule("sensitive", "block"), PASS)
    parent = Parent(PASS)
    [r] = export([gps_jpeg(tmp_path, "flagged.jpg")], _opts(tmp_path), dialog_yes,
                         ask_parent=parent)
    assert r.status == "refused" and not parent.shown


def test_sensitive_warn_exports_after_consent_and_records_the_warning(tmp_path):
    save_policy(Policy(sensitive="warn"))
    seen = []

    def consent(request):
        seen.append(request)
        return dialog_yes(request)

    [r] = export([gps_jpeg(tmp_path, "flagged.jpg")], _opts(tmp_path), consent)
    assert r.ok
    assert "sensitive" in seen[0].items[0].flags
    [record] = ConsentLog(tmp_path / "data").list()
    assert record.warnings_shown == ("may show someone without clothes",)
    assert not record.parent_approved


def test_reports_inspected_without_the_check_are_checked_before_export(tmp_path):
    _family()
    src = gps_jpeg(tmp_path, "flagged.jpg")
    report = inspect(src)  # no analyzers: as a front end might have done
    [r] = export([src], _opts(tmp_path), dialog_yes, reports=[report])
    assert r.status == "refused" and r.before.has(Category.SENSITIVE)
    assert not report.has(Category.SENSITIVE) and not report.checked  # judged, not changed


def test_sensitive_check_is_added_to_the_inspection(tmp_path):
    _family()
    [r] = export([gps_jpeg(tmp_path)], _opts(tmp_path), dialog_yes)
    assert r.ok and "sensitive_score" in r.before.properties


def test_ask_consent_refuses_a_pre_stated_answer(tmp_path):
    _family()
    [r] = export([gps_jpeg(tmp_path)], _opts(tmp_path), flag_yes)
    assert r.status == "refused" and "each time" in r.reason
    [r] = export([gps_jpeg(tmp_path)], _opts(tmp_path), dialog_yes)
    assert r.ok


def test_default_policy_accepts_a_stated_answer(tmp_path):
    [r] = export([gps_jpeg(tmp_path)], _opts(tmp_path), flag_yes)
    assert r.ok


@pytest.mark.parametrize("rule_on, confirms_faces, ok", [
    (True, False, False),
    (True, True, True),
    (False, False, True),
])
def test_faces_must_be_redacted_or_confirmed(tmp_path, rule_on, confirms_faces, ok):
    save_policy(Policy(faces_must_be_redacted_or_confirmed=rule_on))
    asked = []

    def consent(request):
        asked.append(request.confirmations)
        keys = tuple(k for k in request.confirmations if confirms_faces or k != "faces_unredacted")
        from share_guard.core.export.consent import ConsentAnswer, ConsentChannel

        return ConsentAnswer(True, keys, via=ConsentChannel.DIALOG)

    [r] = export([gps_jpeg(tmp_path)], _opts(tmp_path, Emit(FACE)), consent)
    assert r.ok is ok
    assert ("faces_unredacted" in asked[0]) is rule_on


def test_allowed_output_folders(tmp_path):
    allowed = tmp_path / "shared"
    allowed.mkdir()
    lock_policy(Policy(allowed_output_folders=(str(allowed),)), PASS)
    src = gps_jpeg(tmp_path)
    [r] = export([src], _opts(tmp_path), dialog_yes)
    assert r.status == "refused" and "only be saved" in r.reason
    [r] = export([src], ExportOptions(output_dir=allowed, data_dir=tmp_path / "d"),
                         dialog_yes)
    assert r.ok and r.output.parent == allowed
    # A link inside the allowed folder that leads outside does not count as inside.
    (allowed / "way-out").symlink_to(tmp_path / "out", target_is_directory=True)
    (tmp_path / "out").mkdir(exist_ok=True)
    [r] = export([src], ExportOptions(output_dir=allowed / "way-out",
                                              data_dir=tmp_path / "d"), dialog_yes)
    assert r.status == "refused"


def test_tampered_policy_makes_every_export_need_a_parent(tmp_path):
    _family()
    state = load_state()
    state.folders.policy_file.write_text("{}")
    src = gps_jpeg(tmp_path)
    [r] = export([src], _opts(tmp_path), dialog_yes)
    assert r.status == "refused" and "outside share_guard" in r.reason
    [r] = export([src], _opts(tmp_path), dialog_yes, ask_parent=Parent(PASS))
    assert r.ok


def test_tampered_policy_blocks_sensitive_outright(tmp_path):
    _family()
    load_state().folders.policy_file.unlink()
    [r] = export([gps_jpeg(tmp_path, "flagged.jpg")], _opts(tmp_path), dialog_yes,
                         ask_parent=Parent(PASS))
    assert r.status == "refused" and "do not allow" in r.reason


def test_gate_without_a_lock_blocks(tmp_path):
    save_policy(PRESETS["family"])  # family rules, but no passphrase was ever set
    [r] = export([gps_jpeg(tmp_path, "flagged.jpg")], _opts(tmp_path), dialog_yes,
                         ask_parent=Parent(PASS))
    assert r.status == "refused" and "no parent passphrase" in r.reason


def test_consent_record_holds_no_file_name_path_or_hash_by_default(tmp_path):
    src = gps_jpeg(tmp_path, "holiday-IMG_0042.jpg")
    [r] = export([src], _opts(tmp_path), dialog_yes)
    assert r.ok
    import hashlib

    digest = hashlib.sha256(r.output.read_bytes()).hexdigest()
    db = tmp_path / "data" / "consent-records.sqlite3"
    raw = db.read_bytes()
    for secret in ("holiday", "IMG_0042", str(tmp_path), digest,
                   hashlib.sha256(src.read_bytes()).hexdigest()):
        assert secret.encode() not in raw
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert "holiday" not in dump and digest not in dump
    [record] = ConsentLog(tmp_path / "data").list()
    assert record.outcome == "exported" and record.detail is None
    assert "Location" in record.removed
    assert record.confirmed and all(" " in c for c in record.confirmed)  # words, not keys


def test_audit_setting_keeps_detailed_records(tmp_path):
    save_policy(Policy(audit=True))
    src = gps_jpeg(tmp_path, "newsroom.jpg")
    [r] = export([src], _opts(tmp_path), dialog_yes)
    import hashlib

    [record] = ConsentLog(tmp_path / "data").list()
    [detail] = record.detail
    assert detail["source"].endswith("newsroom.jpg")
    assert detail["sha256"] == hashlib.sha256(r.output.read_bytes()).hexdigest()


def test_declined_consent_is_recorded_and_nothing_written(tmp_path):
    from share_guard.core.export.consent import refuse

    [r] = export([gps_jpeg(tmp_path)], _opts(tmp_path), refuse)
    assert r.status == "refused"
    [record] = ConsentLog(tmp_path / "data").list()
    assert record.outcome == "declined" and record.exported == 0 and not record.confirmed
    assert not list((tmp_path / "out").iterdir())


def test_real_analyzer_is_used_when_none_given(tmp_path, monkeypatch):
    save_policy(Policy(sensitive="warn"))
    calls = []

    def analyze(self, src, report, progress, cancel):
        calls.append(src.path.name)
        report.properties["sensitive_score"] = 0.0
        return []

    monkeypatch.setattr(SensitiveAnalyzer, "analyze", analyze)
    [r] = export([gps_jpeg(tmp_path)], _opts(tmp_path), dialog_yes)
    assert r.ok and calls == ["photo.jpg"]  # ran once, at inspection; the gate saw it had run


def test_default_policy_runs_no_nudity_check(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(SensitiveAnalyzer, "analyze", lambda *a: calls.append(1) or [])
    [r] = export([gps_jpeg(tmp_path, "flagged.jpg")], _opts(tmp_path), dialog_yes)
    assert r.ok and not calls


def test_a_parent_is_asked_once_per_export_even_when_refusing(tmp_path):
    _family()
    files = [gps_jpeg(tmp_path, f"flagged-{i}.jpg") for i in range(3)]
    parent = Parent(None)
    results = export(files, _opts(tmp_path), dialog_yes, ask_parent=parent)
    assert [r.status for r in results] == ["refused"] * 3
    assert len(parent.shown) == 1
    assert all("no parent passphrase" in r.reason for r in results)
