"""The engine's rules on their own: the verdict, pure gates, what consent mentions, the naming
rule, typed answers and worker messages."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest
from checks import in_process_engine
from family_fixtures import PASS, cheap_scrypt, dialog_yes, fake_model, flag_yes, gps_jpeg  # noqa: F401

from share_guard.core.engine.verdict import Blocker, Verdict, assess, mentions
from share_guard.core.export.consent import ConsentAnswer, ConsentChannel, ConsentFlag
from share_guard.core.export.pipeline import ExportOptions, ExportStatus, free_name
from share_guard.core.family.gates import policy_gates
from share_guard.core.family.lock import PolicyState, load_state, lock_policy
from share_guard.core.family.policy import PRESETS, STRICTEST, Policy
from share_guard.core.redaction.transform import RedactTransform
from share_guard.core.report import Category, FileKind, Finding, Region, Report, TakedownVerdict

pytestmark = pytest.mark.usefixtures("cheap_scrypt", "fake_model")

FACE = Region(10, 10, 40, 40, score=0.9, label="face")
OTHER_FACE = Region(200, 10, 40, 40, score=0.8, label="face")
POSSIBLE = Region(100, 100, 20, 20, score=0.15, label="possible face")
CODE = Region(300, 300, 50, 50, label="qr")


def _report(*findings: Finding, **kw: object) -> Report:
    base: dict[str, object] = {"format": "jpeg", "kind": "image", "size": 10}
    base.update(kw)
    return Report(Path("/x/p.jpg"), findings=list(findings), **base)  # type: ignore[arg-type]


def _faces(*regions: Region) -> Finding:
    return Finding(Category.PEOPLE, "pixels", "Faces", f"{len(regions)} faces", "people",
                   removable=False, regions=regions)


def _takedown(strength: str) -> Finding:
    return Finding(Category.TAKEDOWN, "list", "Takedown", "entry", "matches", removable=False,
                   detail={"match": strength})


# -- the verdict ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("report", "verdict", "blocker"), [
    (_report(), Verdict.READY, None),
    (Report(Path("/x/p.jpg"), error="file not found"), Verdict.BLOCKED, Blocker.UNREADABLE),
    (_report(_takedown("match")), Verdict.BLOCKED, Blocker.TAKEDOWN),
    (_report(_takedown("possible")), Verdict.READY, None),
    (_report(problems=["truncated"]), Verdict.NEEDS_REBUILD, Blocker.NOT_UNDERSTOOD),
    (_report(problems=["truncated"], kind="video"), Verdict.BLOCKED, Blocker.NOT_UNDERSTOOD),
    (_report(problems=["takedown check failed: x"], failed_checks=["takedown"]), Verdict.BLOCKED,
     Blocker.CHECK_FAILED),
])
def test_verdict(report, verdict, blocker):
    got = assess(report, policy_gates(load_state()))
    assert (got.verdict, got.blocker) == (verdict, blocker)
    assert got.ready is (verdict is Verdict.READY) and bool(got.reason) is not got.ready


def test_a_gate_a_parent_may_lift_leaves_the_file_ready_with_the_reason():
    state = PolicyState("tampered", STRICTEST, problem="edited")
    got = assess(_report(), policy_gates(state))
    assert got.verdict is Verdict.READY and "outside share_guard" in got.parent


def test_missing_evidence_is_pending_and_the_export_fails_closed_without_it(tmp_path):
    lock_policy(Policy(sensitive="gate"), PASS)
    got = assess(_report(), policy_gates(load_state()))
    assert got.pending == ("sensitive content",)


@pytest.mark.parametrize("state", [PolicyState("default", PRESETS["default"]),
                                   PolicyState("locked", PRESETS["family"]),
                                   PolicyState("tampered", STRICTEST)])
def test_gates_are_pure(state, tmp_path):
    sensitive = Finding(Category.SENSITIVE, "picture", "May show nudity", "0.9", "nudity",
                        removable=False)
    report = _report(_faces(FACE), sensitive, _takedown("match"), checked=["sensitive content",
                                                                            "faces"])
    before = copy.deepcopy(report)
    for gate in policy_gates(state, tmp_path):
        gate.judge(report, tmp_path / "p_clean.jpg")
    assert report == before


def test_takedown_verdict_and_file_kind_are_enums():
    assert _report(_takedown("possible"), _takedown("match")).takedown_verdict() is \
        TakedownVerdict.MATCH
    assert _report(_takedown("possible")).takedown_verdict() is TakedownVerdict.POSSIBLE
    assert _report().takedown_verdict() is None
    assert _report().kind is FileKind.IMAGE and _report().to_json()["kind"] == "image"


# -- what consent mentions -----------------------------------------------------------------------

def test_consent_says_what_is_covered_and_what_is_not():
    report = _report(_faces(FACE, OTHER_FACE),
                     Finding(Category.CODES, "pixels", "Codes", "1", "codes", removable=False,
                             regions=(CODE,)))
    plain = mentions(report)
    assert plain.will_cover == () and plain.will_not_cover == ("2 faces", "1 readable code")
    assert ConsentFlag.FACES_UNCOVERED in plain.flags
    covered = mentions(report, [RedactTransform(faces=True, codes=True)])
    assert covered.will_cover == ("2 faces", "1 readable code") and not covered.will_not_cover
    assert ConsentFlag.FACES_UNCOVERED not in covered.flags
    one_off = mentions(report, [RedactTransform(faces=True, removed=(OTHER_FACE,))])
    assert one_off.will_cover == ("1 face",) and one_off.will_not_cover == ("1 face", "1 readable code")
    assert ConsentFlag.FACES_UNCOVERED in one_off.flags  # a redaction alone is not "covered"
    outside = mentions(report, [RedactTransform(faces=True, removed=(FACE, OTHER_FACE),
                                                outside=Region(290, 290, 80, 80))])
    assert "everything outside the chosen area" in outside.will_cover
    # both faces lie outside the kept area; the code inside it is left as it is
    assert outside.will_not_cover == ("1 readable code",)


def test_possible_faces_alone_do_not_ask_the_people_question():
    report = _report(Finding(Category.PEOPLE, "pixels", "Possible faces", "1", "maybe",
                             identifying=False, removable=False, regions=(POSSIBLE,)))
    assert ConsentFlag.FACES_UNCOVERED not in mentions(report).flags


# -- the engine's export -------------------------------------------------------------------------

def test_the_engine_returns_its_consent_record_and_answer(tmp_path):
    engine = in_process_engine(data_dir=tmp_path / "data")
    out = tmp_path / "out"
    out.mkdir()
    outcome = engine.export([gps_jpeg(tmp_path)], ExportOptions(output_dir=out), dialog_yes)
    assert outcome.ok and outcome.record is not None and outcome.record.id == 1
    assert outcome.record.via == "dialog" and outcome.answer.via is ConsentChannel.DIALOG
    assert outcome.results[0].status is ExportStatus.CLEANED


def test_a_stated_answer_refused_by_the_policy_is_told_as_such(tmp_path):
    lock_policy(PRESETS["family"], PASS)
    engine = in_process_engine(data_dir=tmp_path / "data")
    out = tmp_path / "out"
    out.mkdir()
    outcome = engine.export([gps_jpeg(tmp_path)], ExportOptions(output_dir=out), flag_yes)
    [result] = outcome.results
    assert result.status is ExportStatus.REFUSED and "each time" in result.reason
    assert outcome.answer is not None and not outcome.answer.granted
    assert outcome.record is not None and outcome.record.outcome == "declined"


def test_the_naming_rule(tmp_path):
    dest = tmp_path / "p_clean.jpg"
    assert free_name(dest, overwrite=False) == dest
    dest.write_bytes(b"x")
    assert free_name(dest, overwrite=False) == tmp_path / "p_clean-2.jpg"
    assert free_name(dest, overwrite=True) == dest
    assert free_name(dest, overwrite=True, taken={dest}) == tmp_path / "p_clean-2.jpg"
    (tmp_path / "p_clean-2.jpg").symlink_to(tmp_path / "nowhere")
    assert free_name(dest, overwrite=False) == tmp_path / "p_clean-3.jpg"  # links count


# -- typed values -------------------------------------------------------------------------------

def test_a_consent_channel_must_be_known():
    assert ConsentAnswer(True, via="terminal").via is ConsentChannel.TERMINAL
    assert ConsentChannel.DIALOG.interactive and not ConsentChannel.FLAG.interactive
    with pytest.raises(ValueError):
        ConsentAnswer(True, via="test")


def test_worker_messages_are_typed_and_pickle(tmp_path):
    from share_guard.core.inspect import InspectOptions
    from share_guard.core.sandbox.messages import Done, InspectTask, Internal, Progress, Request

    task = InspectTask(tmp_path / "p.jpg", InspectOptions(), b"", "d")
    for msg in (Request(task, "/", {}), Progress(0.5, "x"), Done(_report(), 1), Internal("a", "b")):
        assert pickle.loads(pickle.dumps(msg)) == msg
    assert task.input == tmp_path / "p.jpg"


def test_a_walked_folder_skips_what_is_not_a_photo_by_a_typed_flag(tmp_path):
    """The CLI skipped walked files by looking for words in the error; now the report says."""
    from share_guard.core.inspect import inspect as read

    (tmp_path / "notes.txt").write_text("hello")
    assert read(tmp_path / "notes.txt").unsupported
    assert read(tmp_path / "missing.jpg").unsupported
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe1\x00\x02garbage")
    report = read(broken)
    assert report.format == "jpeg" and not report.unsupported
    assert not read(gps_jpeg(tmp_path)).unsupported
