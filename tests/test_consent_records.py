"""Consent records: what is kept by default (nothing naming a file), audit detail, list/delete."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from share_guard.core.export.consent import (
    ConsentAnswer,
    ConsentFlag,
    ConsentItem,
    ConsentRequest,
)
from share_guard.core.export.pipeline import ExportResult
from share_guard.core.family.records import ConsentLog, build_record
from share_guard.core.report import Category, Finding, Report

SECRET_NAME = "Beach-with-Sam-2024.jpg"


def _export(tmp_path: Path, ok: bool = True) -> tuple[ConsentRequest, ConsentAnswer, list[ExportResult]]:
    src = tmp_path / "private" / SECRET_NAME
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(b"original")
    out = tmp_path / "outbox" / f"clean-{SECRET_NAME}"
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(b"clean copy bytes")
    before = Report(src, format="jpeg", kind="image", findings=[
        Finding(Category.LOCATION, "EXIF GPS", "GPS position", "43.4, 11.9", "where it was taken"),
        Finding(Category.DEVICE, "EXIF", "Camera serial number", "SN-1", "which camera"),
    ])
    item = ConsentItem(SECRET_NAME, "image", ("Location: GPS position",),
                       (f"{SECRET_NAME}: people can be recognised",),
                       (ConsentFlag.FACES_UNCOVERED, ConsentFlag.SENSITIVE))
    request = ConsentRequest((item,))
    answer = ConsentAnswer(True, request.confirmations, via="dialog")
    result = ExportResult(src, "cleaned" if ok else "error", output=out if ok else None,
                          removed=["EXIF (GPS, camera)"], changed=["blurred 1 face"], before=before)
    return request, answer, [result]


def test_default_record_names_no_file(tmp_path):
    request, answer, results = _export(tmp_path)
    record = build_record(request, answer, results)
    log = ConsentLog(tmp_path / "data")
    log.add(record)
    raw = (tmp_path / "data" / "consent-records.sqlite3").read_bytes()
    digest = hashlib.sha256(b"clean copy bytes").hexdigest()
    for secret in (SECRET_NAME, "Beach", "private", "outbox", digest, "43.4", "SN-1"):
        assert secret.encode() not in raw, secret
    [stored] = log.list()
    assert stored.outcome == "exported" and stored.via == "dialog"
    assert stored.removed == ("Location", "Which device")
    assert stored.changed == ("blurred 1 face",)
    assert stored.warnings_shown == ("people could be recognised and were not covered",
                                     "may show someone without clothes")
    assert stored.warnings_overridden == stored.warnings_shown
    assert stored.detail is None
    assert stored.at.endswith("+00:00")


def test_audit_record_names_files_and_hashes(tmp_path):
    request, answer, results = _export(tmp_path)
    log = ConsentLog(tmp_path / "data")
    log.add(build_record(request, answer, results, audit=True))
    [stored] = log.list()
    [detail] = stored.detail
    assert detail["source"].endswith(SECRET_NAME)
    assert detail["output"].endswith(f"clean-{SECRET_NAME}")
    assert detail["sha256"] == hashlib.sha256(b"clean copy bytes").hexdigest()


@pytest.mark.parametrize("granted, ok, outcome, overridden", [
    (True, True, "exported", True),
    (True, False, "failed", False),
    (False, False, "declined", False),
])
def test_outcomes(tmp_path, granted, ok, outcome, overridden):
    request, answer, results = _export(tmp_path, ok=ok)
    if not granted:
        answer = ConsentAnswer(False, via="dialog")
    record = build_record(request, answer, results)
    assert record.outcome == outcome
    assert bool(record.warnings_overridden) is overridden
    assert bool(record.confirmed) is granted


def test_list_newest_first_limit_delete_clear(tmp_path):
    request, answer, results = _export(tmp_path)
    log = ConsentLog(tmp_path / "data")
    assert log.list() == [] and log.clear() == 0 and log.delete([1]) == 0
    ids = [log.add(build_record(request, answer, results)) for _ in range(3)]
    assert [r.id for r in log.list()] == ids[::-1]
    assert [r.id for r in log.list(limit=1)] == [ids[-1]]
    assert log.delete([ids[0], 999]) == 1
    assert [r.id for r in log.list()] == [ids[2], ids[1]]
    assert log.clear() == 2 and log.list() == []


def test_deleted_records_do_not_linger_in_the_file(tmp_path):
    request, answer, results = _export(tmp_path)
    log = ConsentLog(tmp_path / "data")
    log.add(build_record(request, answer, results, audit=True))
    assert SECRET_NAME.encode() in log.path.read_bytes()
    log.clear()
    assert SECRET_NAME.encode() not in log.path.read_bytes()


def test_records_file_is_private(tmp_path):
    request, answer, results = _export(tmp_path)
    log = ConsentLog(tmp_path / "data")
    log.add(build_record(request, answer, results))
    assert log.path.stat().st_mode & 0o077 == 0


def test_records_default_to_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SHARE_GUARD_HOME", str(tmp_path / "home"))
    assert ConsentLog().path == tmp_path / "home" / "consent-records.sqlite3"
