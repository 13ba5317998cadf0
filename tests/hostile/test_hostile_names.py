"""Hostile file names and paths: newlines, leading dashes, bidi and escape characters, very
long names, FIFOs, symlinked output folders and destinations, outputs that already exist."""

from __future__ import annotations

import json
import os
import time
import unicodedata
from pathlib import Path

import pytest
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from share_guard.cli import main
from share_guard.core.export.safeio import TEMP_PREFIX
from share_guard.core.inspect import inspect

NAMES = {
    "newline": "evil\nname.jpg",
    "leading-dash": "-rf --consent.jpg",
    "bidi": "photo\u202egpj.exe.jpg",
    "escape": "red\x1b[31m\x1b]0;owned\x07.jpg",
    "very-long": "x" * 251 + ".jpg",  # 255 bytes: the longest name the file system allows
    "long-multibyte": "é" * 125 + ".jpg",  # 254 bytes
    "spaces": "  .jpg",
}


def gps_jpeg() -> bytes:
    return plain_jpeg(pixels(), exif=exif_bytes(gps=True, artist=True))


def safe_name(name: str) -> bool:
    """A file name with no control, format (bidi), unassigned or undecodable characters."""
    return all(unicodedata.category(ch) not in ("Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp")
               for ch in name)


def shown_safely(text: str) -> bool:
    """No control, format (bidi) or unassigned characters except line breaks."""
    return all(ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cn", "Co", "Cs") for ch in text)


@pytest.mark.parametrize("key", sorted(NAMES))
def test_hostile_name_is_inspected_and_cleaned(key: str, tmp_path: Path, capsys) -> None:
    src = tmp_path / "in" / NAMES[key]
    src.parent.mkdir()
    src.write_bytes(gps_jpeg())
    before = (src.read_bytes(), src.stat().st_mtime_ns)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["inspect", "--", str(src)]) == 1
    text = capsys.readouterr().out
    assert shown_safely(text) and "GPS position" in text
    assert text.splitlines()[0].endswith("found (Location, Who, Which device)")
    assert main(["clean", "--consent", "-o", str(out), "--", str(src)]) == 0
    text = capsys.readouterr().out
    assert shown_safely(text)
    [written] = list(out.iterdir())
    assert written.name.endswith("_clean.jpg") and len(os.fsencode(written.name)) <= 255
    assert safe_name(written.name) and written.name[0] not in "-. "
    kept = "".join(ch for ch in src.stem[:100] if ch.isalnum())
    assert "".join(ch for ch in written.name if ch.isalnum()).startswith(kept)
    assert not inspect(written).leaks()
    assert (src.read_bytes(), src.stat().st_mtime_ns) == before


def test_folder_of_hostile_names_walks_and_json_stays_valid(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in NAMES.values():
        (folder / name).write_bytes(gps_jpeg())
    assert main(["inspect", "--json", str(folder)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["files"]) == len(NAMES)
    assert all(f["format"] == "jpeg" and f["findings"] for f in doc["files"])
    for f in doc["files"]:
        assert shown_safely(f["summary"])


def test_fifo_and_devices_are_refused_at_once(tmp_path: Path, capsys) -> None:
    """A FIFO named like a photo blocked open() forever (the isolated checker timed out)."""
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    for extra in ([], ["--no-isolation"]):
        t0 = time.perf_counter()
        assert main(["inspect", *extra, str(fifo), "/dev/zero"]) == 1
        assert time.perf_counter() - t0 < 5
        out = capsys.readouterr().out
        lines = [ln for ln in out.splitlines() if "not a regular file" in ln]
        assert len(lines) == 2 or (len(lines) == 3 and "checked" in lines[-1]), out  # + summary
    t0 = time.perf_counter()
    assert main(["clean", "--consent", "-o", str(tmp_path), str(tmp_path)]) == 0  # walked: skipped
    assert time.perf_counter() - t0 < 5
    assert "pipe.jpg: skipped" in capsys.readouterr().out


def test_existing_destination_is_kept_and_its_hostile_name_shown_safely(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in" / NAMES["escape"]
    src.parent.mkdir()
    src.write_bytes(gps_jpeg())
    out = tmp_path / "out"
    out.mkdir()
    safe = "red_[31m_]0;owned_"  # what the copy is called: the escapes replaced
    existing = out / (safe + "_clean.jpg")
    existing.write_bytes(b"keep me")
    assert main(["clean", "--consent", "--no-faces", "-o", str(out), str(src)]) == 0
    text = capsys.readouterr().out
    second = out / (safe + "_clean-2.jpg")  # the naming rule: a new name, never over it
    assert second.exists() and "_clean-2.jpg" in text and shown_safely(text), repr(text)
    assert existing.read_bytes() == b"keep me"
    assert main(["clean", "--consent", "--overwrite", "-o", str(out), str(src)]) == 0
    assert existing.read_bytes().startswith(b"\xff\xd8") and not inspect(existing).leaks()
    assert not [p for p in out.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_symlinked_output_folder_writes_into_its_target(tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(gps_jpeg())
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert main(["clean", "--consent", "-o", str(link), str(src)]) == 0
    assert [p.name for p in real.iterdir()] == ["photo_clean.jpg"]
    assert not inspect(real / "photo_clean.jpg").leaks()


def test_destination_that_is_a_dangling_symlink_is_not_followed(tmp_path: Path, capsys) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(gps_jpeg())
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "elsewhere" / "planted.jpg"
    target.parent.mkdir()
    (out / "photo_clean.jpg").symlink_to(target)
    assert main(["clean", "--consent", "--no-faces", "--overwrite", "-o", str(out), str(src)]) == 1
    assert "symbolic link" in capsys.readouterr().out
    assert not target.exists()
    assert [p.name for p in out.iterdir()] == ["photo_clean.jpg"]
    assert main(["clean", "--consent", "--no-faces", "-o", str(out), str(src)]) == 0
    assert not target.exists()  # the link is a taken name: the copy gets the next one
    assert sorted(p.name for p in out.iterdir()) == ["photo_clean-2.jpg", "photo_clean.jpg"]
