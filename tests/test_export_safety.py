"""The export pipeline's safety rules: consent, originals, destinations, temp files."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from checks import clean_files, digest, in_process_engine
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from share_guard.core.errors import OutputError
from share_guard.core.export.consent import CONFIRMATIONS, ConsentAnswer
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.export.safeio import atomic_output, remove_stale_temps


def yes(request):
    return ConsentAnswer(True, tuple(CONFIRMATIONS), via="dialog")


@pytest.fixture
def gps_jpeg(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "photo.jpg"
    path.parent.mkdir()
    path.write_bytes(plain_jpeg(pixels(), exif=exif_bytes(gps=True)))
    return path


def test_default_hook_refuses_and_writes_nothing(gps_jpeg: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    [result] = clean_files([gps_jpeg], ExportOptions(output_dir=out))  # consent=refuse
    assert result.status == "refused" and "consent" in result.reason
    assert list(out.iterdir()) == []


def test_partial_consent_refuses(gps_jpeg: Path, tmp_path: Path) -> None:
    def half(request):
        return ConsentAnswer(True, ("right_to_share",), via="dialog")

    [result] = clean_files([gps_jpeg], ExportOptions(output_dir=tmp_path), consent=half)
    assert result.status == "refused" and "recognised" in result.reason
    assert not (tmp_path / "photo_clean.jpg").exists()


def test_consent_is_asked_once_per_batch_with_what_will_be_removed(gps_jpeg: Path,
                                                                   tmp_path: Path) -> None:
    other = gps_jpeg.with_name("b.jpg")
    other.write_bytes(plain_jpeg(pixels(seed=4), exif=exif_bytes(serial=True)))
    asked = []

    def hook(request):
        asked.append(request)
        return yes(request)

    results = clean_files([gps_jpeg, other], ExportOptions(output_dir=tmp_path), consent=hook)
    assert [r.status for r in results] == ["cleaned", "cleaned"]
    assert len(asked) == 1 and len(asked[0].items) == 2
    assert any("Location" in w for w in asked[0].items[0].will_remove)


def test_existing_output_is_not_overwritten_unless_asked(gps_jpeg: Path, tmp_path: Path) -> None:
    """The naming rule (both front ends): name_clean.ext, then name_clean-2.ext, ..."""
    existing = tmp_path / "photo_clean.jpg"
    existing.write_bytes(b"keep me")
    [result] = clean_files([gps_jpeg], ExportOptions(output_dir=tmp_path), consent=yes)
    assert result.ok and result.output == tmp_path / "photo_clean-2.jpg"
    assert existing.read_bytes() == b"keep me"
    [third] = clean_files([gps_jpeg], ExportOptions(output_dir=tmp_path), consent=yes)
    assert third.output == tmp_path / "photo_clean-3.jpg"
    [again] = clean_files([gps_jpeg], ExportOptions(output_dir=tmp_path, overwrite=True),
                           consent=yes)
    assert again.ok and existing.read_bytes()[:2] == b"\xff\xd8"


def test_symlink_at_destination_is_never_followed(gps_jpeg: Path, tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_bytes(b"precious")
    (tmp_path / "photo_clean.jpg").symlink_to(target)
    [result] = clean_files([gps_jpeg], ExportOptions(output_dir=tmp_path, overwrite=True),
                           consent=yes)
    assert result.status == "error" and "symbolic link" in result.reason
    [named] = clean_files([gps_jpeg], ExportOptions(output_dir=tmp_path), consent=yes)
    assert named.ok and named.output == tmp_path / "photo_clean-2.jpg"  # a new name instead
    assert target.read_bytes() == b"precious"


def test_output_never_replaces_the_original(gps_jpeg: Path) -> None:
    before = digest(gps_jpeg)
    [result] = clean_files([gps_jpeg], ExportOptions(suffix="", overwrite=True), consent=yes)
    assert result.status == "refused" and "original" in result.reason
    assert digest(gps_jpeg) == before


def test_output_never_replaces_another_original_of_the_batch(gps_jpeg: Path) -> None:
    """p_clean.jpg given with p.jpg (next to each other, --overwrite): p.jpg's clean copy
    replaced the original p_clean.jpg before that one was read."""
    second = gps_jpeg.with_name(f"{gps_jpeg.stem}_clean.jpg")
    second.write_bytes(plain_jpeg(pixels(seed=5), exif=exif_bytes(gps=True)))
    before = digest(second)
    results = clean_files([gps_jpeg, second], ExportOptions(overwrite=True), consent=yes)
    assert results[0].status == "refused" and "original" in results[0].reason
    assert results[1].ok and results[1].output == second.with_name(f"{second.stem}_clean.jpg")
    assert digest(second) == before


def test_same_names_in_a_batch_do_not_collide(tmp_path: Path) -> None:
    a = tmp_path / "a" / "p.jpg"
    b = tmp_path / "b" / "p.jpg"
    for i, p in enumerate((a, b)):
        p.parent.mkdir()
        p.write_bytes(plain_jpeg(pixels(seed=i), exif=exif_bytes(gps=True)))
    out = tmp_path / "out"
    out.mkdir()
    results = clean_files([a, b], ExportOptions(output_dir=out), consent=yes)
    assert sorted(p.name for p in out.iterdir()) == ["p_clean-2.jpg", "p_clean.jpg"]
    assert all(r.ok for r in results)


def test_failed_write_leaves_no_temp_and_no_output(tmp_path: Path) -> None:
    dest = tmp_path / "x.jpg"
    with pytest.raises(RuntimeError), atomic_output(dest) as fh:
        fh.write(b"partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_verification_failure_discards_the_file(tmp_path: Path) -> None:
    dest = tmp_path / "x.jpg"

    def reject(path: Path) -> None:
        assert path.exists()
        raise OutputError("still dirty")

    with pytest.raises(OutputError), atomic_output(dest, verify=reject) as fh:
        fh.write(b"data")
    assert list(tmp_path.iterdir()) == []


def test_a_large_copy_is_synced_while_it_is_verified(tmp_path: Path, monkeypatch) -> None:
    import threading

    from share_guard.core.export import safeio

    monkeypatch.setattr(safeio, "EARLY_SYNC_BYTES", 4)
    synced_by = threading.Event()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        if threading.current_thread().name == "sg-early-sync":
            synced_by.set()

    monkeypatch.setattr(safeio.os, "fsync", fsync)

    def verify(path: Path) -> None:  # returns only once the copy was synced beside it
        assert synced_by.wait(10), "the copy was not synced while it was verified"
        assert path.read_bytes() == b"large enough"

    dest = tmp_path / "x.mp4"
    with atomic_output(dest, verify=verify, size=12) as fh:
        fh.write(b"large enough")
    assert dest.read_bytes() == b"large enough"
    assert [p.name for p in tmp_path.iterdir()] == ["x.mp4"]


def test_a_sync_that_fails_while_verifying_publishes_nothing(tmp_path: Path, monkeypatch) -> None:
    import errno

    from share_guard.core.export import safeio

    monkeypatch.setattr(safeio, "EARLY_SYNC_BYTES", 4)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(safeio.os, "fsync", full)
    monkeypatch.setattr(safeio.os, "fdatasync", full)
    dest = tmp_path / "x.mp4"
    with pytest.raises(OutputError, match="cannot write x.mp4: No space left"):
        with atomic_output(dest, size=12) as fh:
            fh.write(b"large enough")
    assert list(tmp_path.iterdir()) == []


def test_stale_temps_of_dead_writers_are_removed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(proc.stdout)
    stale = tmp_path / f".sg-{dead_pid}-abc.tmp"
    stale.write_bytes(b"half an export")
    live = tmp_path / f".sg-{os.getpid()}-def.tmp"
    live.write_bytes(b"being written")
    assert remove_stale_temps(data, [tmp_path]) == 1
    assert not stale.exists() and live.exists()


def test_read_only_output_folder_is_a_clear_error(gps_jpeg: Path, tmp_path: Path) -> None:
    """A read-only file system mounted in a private mount namespace (root ignores mode bits)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare not available")
    ro = tmp_path / "readonly"
    ro.mkdir()
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("user namespaces not permitted here")
    script = (f"mount -t tmpfs -o ro,size=1m none {shlex.quote(str(ro))} && "
              f"exec {shlex.quote(sys.executable)} -m share_guard clean --consent "
              f"-o {shlex.quote(str(ro))} {shlex.quote(str(gps_jpeg))}")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "not writable" in proc.stdout
    assert list(ro.iterdir()) == []


def test_what_was_removed_is_reported_in_display_safe_words(tmp_path: Path, capsys) -> None:
    """A WebP chunk named "\\x1b[2J" came back in `removed` as is: `clean` cleared the screen."""
    from image_fixtures import riff_chunk, webp_append, webp_bytes

    from share_guard.cli import main

    src = tmp_path / "odd.webp"
    src.write_bytes(webp_append(webp_bytes(), riff_chunk(b"\x1b[2J", b"abcd")))
    (tmp_path / "o").mkdir()
    [result] = clean_files([src], ExportOptions(output_dir=tmp_path / "o"), consent=yes)
    assert result.ok and any("[2J chunk" in r for r in result.removed)
    assert not any("\x1b" in r for r in result.removed + result.kept + result.changed)
    assert main(["clean", "--consent", "-o", str(tmp_path), str(src)]) == 0
    out = capsys.readouterr().out
    assert "[2J chunk" in out and "\x1b" not in out


def test_a_file_changed_after_it_was_checked_is_not_exported(gps_jpeg: Path,
                                                             tmp_path: Path) -> None:
    """Consent and the gates (takedown list, sensitive content) were given for what inspect
    saw; a file replaced in between (the app: checked now, exported later) went out unseen."""
    from share_guard.core.inspect import inspect

    report = inspect(gps_jpeg)
    gps_jpeg.write_bytes(plain_jpeg(pixels(seed=8), exif=exif_bytes(gps=True, artist=True)))
    os.utime(gps_jpeg, ns=(report.mtime_ns + 10**9, report.mtime_ns + 10**9))
    out = tmp_path / "out"
    out.mkdir()
    [result] = clean_files([gps_jpeg], ExportOptions(output_dir=out), consent=yes,
                            reports=[report])
    assert result.status == "refused" and "changed after it was checked" in result.reason
    assert list(out.iterdir()) == []
    [again] = clean_files([gps_jpeg], ExportOptions(output_dir=out), consent=yes)
    assert again.ok


class _UnreadableList:
    """A takedown check that cannot run, as with a list file made unreadable."""

    name = "takedown"

    def analyze(self, src, report, progress, cancel):
        from share_guard.core.errors import ShareGuardError

        raise ShareGuardError("the takedown list cannot be opened")


@pytest.mark.parametrize("rebuild", [False, True])
def test_a_check_that_did_not_run_is_refused_even_when_rebuilding(gps_jpeg, tmp_path, rebuild):
    # `chmod 000 takedown.sqlite3` then `clean --rebuild` exported a photo on the list: the
    # failed check was a "problem" like a container's, and rebuilding answers those.
    out = tmp_path / "out"
    out.mkdir()
    engine = in_process_engine(analyzers=(_UnreadableList(),))
    [result] = engine.export([gps_jpeg], ExportOptions(output_dir=out, rebuild=rebuild), yes).results
    assert not result.ok and "takedown check failed" in result.reason
    assert "rebuild" not in result.reason
    assert list(out.iterdir()) == []
