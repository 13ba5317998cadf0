"""Issue 19: names with every class of odd character, and a 5,000-file folder holding FIFOs,
symbolic-link loops and device nodes. Bounded, no traceback, safe names, nothing left."""

from __future__ import annotations

import json
import os
import stat
import unicodedata
from pathlib import Path

import pytest
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from hostile.treewatch import run_cli
from share_guard.core.export.safeio import TEMP_PREFIX

#: one name per class of character a file name should not carry into a copy (and some it may)
ODD_NAMES: dict[str, bytes] = {
    **{f"c0-{i:02x}": b"c0" + bytes([i]) + b"x.jpg" for i in range(1, 32) if i != 0x2F},
    "del": b"del\x7f.jpg",
    **{f"c1-{i:02x}": ("c1" + chr(i)).encode() + b".jpg" for i in (0x80, 0x85, 0x9B, 0x9F)},
    **{f"bidi-{c:04x}": ("bidi" + chr(c) + "gpj.exe").encode() + b".jpg"
       for c in (0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
                 0x2066, 0x2067, 0x2068, 0x2069)},
    **{f"invisible-{c:04x}": ("zw" + chr(c) + "x").encode() + b".jpg"
       for c in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD)},
    "line-sep": "a\u2028b\u2029c.jpg".encode(),
    "private-use": "pua\ue000.jpg".encode(),
    "unassigned": "un\u0378.jpg".encode(),
    "noncharacter": "nc\ufffe.jpg".encode(),
    "combining-first": "\u0301accent.jpg".encode(),
    "not-utf8": b"bytes\xff\xfe.jpg",
    "overlong-utf8": b"over\xc0\xaf.jpg",
    "lone-surrogate-utf8": b"sur\xed\xa0\x80.jpg",
    "windows-chars": b'win<>:"\\|?*.jpg',
    "dev-con": b"CON.jpg",
    "dev-nul-ext": b"nul.x.jpg",
    "dev-com1": b"COM1.jpg",
    "dev-lpt9": b"lpt9.jpg",
    "dev-conin": b"CONIN$.jpg",
    "trailing-dot-space": b"name. .jpg",
    "leading-dash": b"-rf --consent.jpg",
    "leading-dot": b".hidden.jpg",
    "leading-space": b"   space.jpg",
    "rtl-letters": "\u05e9\u05dc\u05d5\u05dd.jpg".encode(),
    "emoji-cjk": "\U0001f600\u4e2d\uff21.jpg".encode(),
    "long-multibyte": ("\u00e9" * 125).encode() + b".jpg",
    "long-ascii": b"y" * 251 + b".jpg",
}
BAD = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            *(f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789")}


def safe(name: str) -> bool:
    base = name.split(".", 1)[0].rstrip(" ").upper()
    return (all(unicodedata.category(ch) not in BAD for ch in name)
            and not any(ch in '<>:"\\|?*/' for ch in name)
            and name[:1] not in ("-", ".", " ") and name[-1:] not in (".", " ")
            and base not in RESERVED and len(os.fsencode(name)) <= 255)


def test_every_class_of_odd_name_gets_a_safe_copy(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    photo = plain_jpeg(pixels(32, 24), exif=exif_bytes(gps=True, artist=True))
    made = []
    for raw in ODD_NAMES.values():
        path = os.path.join(os.fsencode(folder), raw)
        with open(path, "wb") as fh:
            fh.write(photo)
        made.append(os.fsdecode(path))
    out = tmp_path / "out"
    out.mkdir()
    run = run_cli("clean", "--consent", "--json", "--no-faces", "-o", str(out), *made,
                  env={"PYTHONIOENCODING": "ascii"}, timeout=300)
    run.check_bounded(seconds=120)
    results = json.loads(run.out)["files"]
    assert len(results) == len(ODD_NAMES)
    for r in results:
        assert r["status"] == "cleaned", r
        name = Path(r["output"]).name
        assert safe(name), repr(name)
        assert Path(r["output"]).parent == out
    written = sorted(os.listdir(out))
    assert len(written) == len(ODD_NAMES) and all(safe(n) for n in written)
    assert all(Path(m).read_bytes() == photo for m in made)
    plain = run_cli("inspect", "--no-faces", *made[:20], env={"PYTHONIOENCODING": "cp1252"})
    plain.check_bounded()
    assert plain.code == 1 and plain.out.count("GPS position") == 20


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_folder_of_5000_files_with_fifos_loops_and_devices(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    photo = plain_jpeg(pixels(32, 24), exif=exif_bytes(gps=True))
    for i in range(4_925):
        (folder / f"note{i:04d}.txt").write_bytes(b"not a photo %d\n" % i)
    for i in range(60):
        (folder / "sub" / f"p{i:02d}.jpg").write_bytes(photo)
    for i in range(10):
        os.mkfifo(folder / f"pipe{i}.jpg")
    (folder / "loop-a.jpg").symlink_to(folder / "loop-b.jpg")
    (folder / "loop-b.jpg").symlink_to(folder / "loop-a.jpg")
    (folder / "self.jpg").symlink_to(folder / "self.jpg")
    (folder / "dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (folder / "sub" / "up").symlink_to(folder, target_is_directory=True)
    (folder / "zero.jpg").symlink_to("/dev/zero")
    try:
        os.mknod(folder / "null.jpg", stat.S_IFCHR | 0o644, os.makedev(1, 3))
    except (PermissionError, OSError):
        (folder / "null.jpg").symlink_to("/dev/null")
    (folder / "empty.jpg").write_bytes(b"")
    total = sum(1 for _ in folder.rglob("*"))
    assert total >= 5_000
    run = run_cli("inspect", "--json", "--no-faces", str(folder), timeout=600)
    run.check_bounded(seconds=180)
    reports = json.loads(run.out)["files"]
    assert len([r for r in reports if r["format"] == "jpeg" and r["findings"]]) == 60
    out = tmp_path / "out"
    out.mkdir()
    run = run_cli("clean", "--consent", "--no-faces", "-o", str(out), str(folder), timeout=600)
    run.check_bounded(seconds=180)
    assert run.code == 0, run.out[-2000:]
    assert len(list(out.iterdir())) == 60
    assert not [p for p in out.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert (folder / "sub" / "p00.jpg").read_bytes() == photo
