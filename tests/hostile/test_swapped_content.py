"""Issue 19 item 7: the copy is of the bytes that were checked.

While the consent question waits, the file is replaced by other content of the same size
and its modification time is put back (in place, or by renaming another file over it).
The export must refuse it: "the file changed after it was checked; check it again". A file
whose content did not change (only its permissions) is still exported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from hostile.seeds import mp4
from share_guard.core import fingerprint
from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer, ConsentChannel
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.fingerprint import CHANGED

CANARY = b"SwappedCanary"


def photo() -> bytes:
    return plain_jpeg(pixels(64, 48), exif=exif_bytes(gps=True, artist=True))


def other_like(data: bytes) -> bytes:
    """Different content of the same size: another picture, padded or cut to fit, with a
    canary that must never reach an output."""
    other = plain_jpeg(pixels(64, 48, seed=9)) if data[:2] == b"\xff\xd8" else mp4()
    body = (other + CANARY * (len(data) // len(CANARY) + 1))[: len(data)]
    return body[: len(data) - len(CANARY)] + CANARY


def overwrite_in_place(path: Path) -> None:
    st = path.stat()
    swapped = other_like(path.read_bytes())
    with open(path, "r+b") as fh:
        fh.write(swapped)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def rename_over(path: Path) -> None:
    st = path.stat()
    twin = path.with_name("twin" + path.suffix)
    twin.write_bytes(other_like(path.read_bytes()))
    os.utime(twin, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(twin, path)


def chmod_only(path: Path) -> None:
    path.chmod(0o600)


def swapping(change: Callable[[Path], None], path: Path):
    def consent(request):
        change(path)
        return ConsentAnswer(True, tuple(CONFIRMATIONS), via=ConsentChannel.DIALOG)
    return consent


def engine(isolated: bool):
    return build_engine(Features(isolated=isolated, faces=False, takedown=False))


@pytest.fixture(params=["photo", "video"])
def original(request, tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / ("p.jpg" if request.param == "photo" else "v.mp4")
    path.write_bytes(photo() if request.param == "photo" else mp4())
    return path


@pytest.mark.parametrize("isolated", [True, False], ids=["sandbox", "in-process"])
@pytest.mark.parametrize("change", [overwrite_in_place, rename_over])
def test_content_swapped_while_consent_waits_is_refused(original: Path, change, isolated,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    size = original.stat().st_size
    eng = engine(isolated)
    try:
        [result] = eng.export([original], ExportOptions(output_dir=out),
                              swapping(change, original)).results
    finally:
        eng.close()
    assert original.stat().st_size == size  # the same size, the same time: only content moved
    assert result.status == "refused" and result.reason == CHANGED, result.reason
    assert list(out.iterdir()) == []
    assert not any(CANARY in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()
                   and p.parent != original.parent)


@pytest.mark.parametrize("isolated", [True, False], ids=["sandbox", "in-process"])
def test_a_file_whose_content_did_not_change_is_exported(original: Path, isolated,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    eng = engine(isolated)
    try:
        [result] = eng.export([original], ExportOptions(output_dir=out),
                              swapping(chmod_only, original)).results
    finally:
        eng.close()
    assert result.ok, result.reason


def test_an_unchanged_file_is_not_read_again_at_export(tmp_path: Path, monkeypatch) -> None:
    """The change time proves the file untouched: a 2 GB video is hashed once, when it is
    checked, not again before its copy is written."""
    src = tmp_path / "p.jpg"
    src.write_bytes(photo())
    calls: list[str] = []
    real = fingerprint.digest

    def counted(path, *args, **kw):
        calls.append(str(path))
        return real(path, *args, **kw)

    monkeypatch.setattr(fingerprint, "digest", counted)
    eng = engine(False)
    out = tmp_path / "out"
    out.mkdir()
    [result] = eng.export([src], ExportOptions(output_dir=out),
                          swapping(lambda p: None, src)).results
    assert result.ok and calls == [str(src)]  # at inspection only; the copy is not hashed
    src.chmod(0o600)  # the change time moves: the export reads the file again to be sure
    [again] = eng.export([src], ExportOptions(output_dir=out), swapping(lambda p: None, src),
                         reports=[result.before]).results
    assert again.ok and calls == [str(src)] * 2


def test_content_changed_while_the_copy_is_written_is_refused(tmp_path: Path, monkeypatch) -> None:
    """A write to the original between the check and the publish (during the strip) moves
    its change time: the copy is refused before it gets its name."""
    from share_guard.core.export.safeio import Staging

    src = tmp_path / "p.jpg"
    src.write_bytes(photo())
    real = Staging.output

    def writing_meanwhile(self, *args, **kw):
        overwrite_in_place(src)
        time.sleep(0.01)
        return real(self, *args, **kw)

    monkeypatch.setattr(Staging, "output", writing_meanwhile)
    out = tmp_path / "out"
    out.mkdir()
    [result] = engine(False).export([src], ExportOptions(output_dir=out),
                                    swapping(lambda p: None, src)).results
    assert result.status == "refused" and CHANGED in result.reason, result.reason
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("change", [None, chmod_only, overwrite_in_place, rename_over],
                         ids=["untouched", "chmod", "overwritten", "renamed-over"])
def test_a_large_file_is_not_hashed_and_any_change_refuses_it(original: Path, change,
                                                              tmp_path: Path, monkeypatch) -> None:
    """Above HASH_UP_TO the file's identity alone decides (a 1 GB hash cost a second): it is
    never read to be hashed, and a file whose change time moved must be checked again."""
    monkeypatch.setattr(fingerprint, "HASH_UP_TO", 0)
    calls: list[str] = []
    monkeypatch.setattr(fingerprint, "digest", lambda path, *a, **k: calls.append(str(path)))
    out = tmp_path / "out"
    out.mkdir()
    eng = engine(False)
    [result] = eng.export([original], ExportOptions(output_dir=out),
                          swapping(change or (lambda p: None), original)).results
    assert calls == []
    assert result.before is not None and result.before.digest is None
    assert result.before.identity is not None
    if change is None:
        assert result.ok, result.reason
        assert len(list(out.iterdir())) == 1
    else:
        assert result.status == "refused" and result.reason == CHANGED, result.reason
        assert list(out.iterdir()) == []
