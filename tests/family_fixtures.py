"""Shared helpers for the family-protection tests: deterministic flags, consent answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from jpeg_fixtures import exif_bytes, plain_jpeg

from share_guard.core.analysis.sensitive import CHECKED_PROPERTY, EXPLANATION, SensitiveAnalyzer
from share_guard.core.export.consent import ConsentAnswer, ConsentRequest
from share_guard.core.family import lock
from share_guard.core.report import Category, Finding

PASS = "correct horse battery"


def gps_jpeg(folder: Path, name: str = "photo.jpg") -> Path:
    path = folder / name
    path.write_bytes(plain_jpeg(exif=exif_bytes(gps=True, serial=True)))
    return path


def flag_by_name(self: SensitiveAnalyzer, src, report, progress, cancel):
    """Stands in for the model: files named *flagged* are "sensitive" (deterministic)."""
    flagged = "flagged" in src.path.name
    report.properties[CHECKED_PROPERTY] = 0.99 if flagged else 0.01
    if not flagged:
        return []
    return [Finding(Category.SENSITIVE, "picture", "May show nudity", "score 0.99", EXPLANATION,
                    removable=False, detail={"score": 0.99})]


@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr(SensitiveAnalyzer, "analyze", flag_by_name)


@pytest.fixture
def cheap_scrypt(monkeypatch):
    monkeypatch.setattr(lock, "SCRYPT_N", 2**10)


def dialog_yes(request: ConsentRequest) -> ConsentAnswer:
    return ConsentAnswer(True, request.confirmations, via="dialog")


def flag_yes(request: ConsentRequest) -> ConsentAnswer:
    return ConsentAnswer(True, request.confirmations, via="flag")


class Parent:
    """ask_parent stand-in: types the given passphrases in turn, records what it was shown."""

    def __init__(self, *typed: str | None) -> None:
        self.typed = list(typed)
        self.shown: list[str] = []

    def __call__(self, message: str) -> str | None:
        self.shown.append(message)
        return self.typed.pop(0) if self.typed else None
