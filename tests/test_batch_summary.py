"""The last line of every batch command counts what happened and says why the odd file was
refused; the counts are the app's (core.engine.tally)."""

from __future__ import annotations

from pathlib import Path

from jpeg_fixtures import exif_bytes, pixels, plain_jpeg
from PIL import Image

from share_guard.cli import main
from share_guard.core.engine.tally import distinct, things_found
from share_guard.core.family.records import ConsentLog
from share_guard.core.report import Category, Finding, Region, Report


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):
        (folder / f"ok{n}.jpg").write_bytes(plain_jpeg(pixels(seed=n), exif=exif_bytes(gps=True)))
    (folder / "plain.jpg").write_bytes(plain_jpeg(pixels(seed=9)))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe1\xff\xff" + b"\x00" * 40)
    return folder


def _last(capsys) -> str:
    return capsys.readouterr().out.rstrip().splitlines()[-1]


def test_clean_folder_ends_with_what_was_written_and_what_was_refused(tmp_path, capsys):
    folder = _folder(tmp_path)
    code = main(["--data-dir", str(tmp_path / "d"), "clean", "--consent", "--no-faces",
                 "-o", str(tmp_path / "out"), str(folder)])
    last = _last(capsys)
    assert code == 1
    assert last.startswith("4 clean copies written, 1 file ")
    assert "broken.jpg: " in last


def test_inspect_folder_ends_with_ready_and_cannot_be_cleaned(tmp_path, capsys):
    folder = _folder(tmp_path)
    assert main(["inspect", "--no-faces", str(folder)]) == 1
    last = _last(capsys)
    assert last.startswith("5 files checked: 4 ready (3 with something to take out, 1 with "
                           "nothing found), 1 can't be cleaned: broken.jpg: "), last


def test_takedown_check_ends_with_the_counts(tmp_path, capsys):
    folder = tmp_path / "p"
    folder.mkdir()
    listed = folder / "listed.png"
    Image.effect_mandelbrot((256, 256), (-2, -1.5, 1, 1.5), 60).convert("RGB").save(listed)
    Image.linear_gradient("L").convert("RGB").save(folder / "other.png")
    data = ["--data-dir", str(tmp_path / "d")]
    assert main([*data, "takedown", "add", str(listed), "--label", "case 7"]) == 0
    capsys.readouterr()
    assert main([*data, "takedown", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert out.count("listed.png: MATCHES") == 1  # one line per item, not one per hash
    assert out.rstrip().splitlines()[-1] == "2 files checked: 1 on the list, 0 possibly, 1 not"


def test_a_declined_consent_record_does_not_say_given(tmp_path, capsys, monkeypatch):
    folder = _folder(tmp_path)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    data = ["--data-dir", str(tmp_path / "d")]
    assert main([*data, "clean", "--no-faces", str(folder / "ok0.jpg")]) == 1
    [record] = ConsentLog(tmp_path / "d").list()
    assert record.outcome == "declined"
    capsys.readouterr()
    assert main([*data, "consent", "log"]) == 0
    text = capsys.readouterr().out
    assert "consent not given (asked via terminal)" in text and "consent via" not in text


def test_things_found_counts_people_not_findings_and_takedown_items_once():
    faces = Finding(Category.PEOPLE, "pixels", "Faces", "3 faces", "x", removable=False,
                    regions=tuple(Region(i * 10, 0, 5, 5, 0.9, "face") for i in range(3)))
    maybe = Finding(Category.PEOPLE, "pixels", "Possible faces", "2 possible faces", "x",
                    identifying=True, removable=False,
                    regions=tuple(Region(i, 50, 5, 5, 0.15, "possible face") for i in range(2)))
    gps = Finding(Category.LOCATION, "EXIF", "GPS position", "1, 2", "x")
    detail = {"match": "match", "list": "default", "label": "case 7", "source": "", "added": "d"}
    hashes = [Finding(Category.TAKEDOWN, "takedown list", "Takedown-list match", "case 7", "x",
                      removable=False, detail={**detail, "hash_type": t}) for t in ("pdq", "md5")]
    report = Report(Path("x.jpg"), findings=[faces, maybe, gps, *hashes])
    assert things_found(report) == 3 + 1 + 1
    assert len([f for f in distinct(report.findings) if f.category is Category.TAKEDOWN]) == 1
