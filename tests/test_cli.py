"""The command line: exit codes, consent, JSON, folders, bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from checks import digest
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from share_guard.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "gps.jpg").write_bytes(plain_jpeg(pixels(), exif=exif_bytes(gps=True)))
    (folder / "sub" / "plain.jpg").write_bytes(plain_jpeg(pixels(seed=2)))
    (folder / "notes.txt").write_text("not a photo\n")
    return folder


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "share_guard", *args], capture_output=True,
                          text=True, input=stdin, env=env, timeout=120, check=False)


def test_inspect_exit_codes_and_human_output(files: Path, capsys) -> None:
    assert main(["inspect", str(files / "sub" / "plain.jpg")]) == 0
    assert "nothing found" in capsys.readouterr().out
    assert main(["inspect", str(files / "gps.jpg")]) == 1
    out = capsys.readouterr().out
    assert "Location:" in out and "GPS position" in out


def test_inspect_json_is_stable(files: Path, capsys) -> None:
    assert main(["inspect", "--json", str(files)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == 1
    by_name = {Path(f["path"]).name: f for f in doc["files"]}
    assert set(by_name) == {"gps.jpg", "plain.jpg"}  # the text file in a walked folder is skipped
    gps = by_name["gps.jpg"]
    assert gps["format"] == "jpeg" and gps["understood"] is True
    location = [f for f in gps["findings"] if f["category"] == "location"]
    assert location and {"where", "name", "value", "explanation", "severity"} <= set(location[0])


def test_unsupported_explicit_file_is_one_line_error(files: Path, capsys) -> None:
    fake = files / "fake.jpg"
    fake.write_text("hello, I am text")
    empty = files / "empty.jpg"
    empty.write_bytes(b"")
    assert main(["inspect", str(fake), str(empty), str(files / "gps.jpg")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any("fake.jpg: error: not a photo or video: it looks like a text file" in ln for ln in lines)
    assert any("empty.jpg: error: the file is empty" in ln for ln in lines)
    assert any("gps.jpg:" in ln and "found" in ln for ln in lines), "the batch went on"


def test_clean_without_consent_writes_nothing(files: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = run_cli("clean", "-o", str(out), str(files))
    assert proc.returncode == 1
    assert "no consent" in proc.stderr
    assert list(out.iterdir()) == []


def test_clean_with_consent_flag_walks_folders(files: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    before = digest(files / "gps.jpg")
    assert main(["clean", "--consent", "-o", str(out), str(files)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["gps_clean.jpg", "plain_clean.jpg"]
    assert digest(files / "gps.jpg") == before
    assert main(["inspect", str(out / "gps_clean.jpg")]) == 0


def test_clean_json_reports_each_file(files: Path, tmp_path: Path, capsys) -> None:
    bad = files / "broken.jpg"
    bad.write_bytes(plain_jpeg()[:200])
    rc = main(["clean", "--consent", "--json", "-o", str(tmp_path), str(files / "gps.jpg"), str(bad)])
    assert rc == 1
    doc = json.loads(capsys.readouterr().out)
    statuses = {Path(f["source"]).name: f["status"] for f in doc["files"]}
    assert statuses == {"gps.jpg": "cleaned", "broken.jpg": "refused"}
    assert "EXIF" in doc["files"][0]["removed"]


def test_terminal_consent_questions(files: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["y", "n"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["clean", "-o", str(tmp_path), str(files / "gps.jpg")]) == 1
    out = capsys.readouterr().out
    # the reminder about intimate images is for pictures of people, not this one
    assert "crime in many places" not in out and "Location" in out
    # one line per kind of detail, each detail named once
    (location,) = [line for line in out.splitlines() if line.strip().startswith("Location:")]
    assert "GPS position" in location and location.count("Location") == 1
    assert not (tmp_path / "gps_clean.jpg").exists()
    answers = iter(["yes", "y"])
    assert main(["clean", "-o", str(tmp_path), str(files / "gps.jpg")]) == 0
    assert (tmp_path / "gps_clean.jpg").exists()


def test_usage_error_exit_code() -> None:
    proc = run_cli("inspect")
    assert proc.returncode == 2 and "error" in proc.stderr


def test_data_dir_flag_and_env(tmp_path: Path, files: Path) -> None:
    data = tmp_path / "state"
    assert main(["--data-dir", str(data), "clean", "--consent", "-o", str(tmp_path),
                 str(files / "gps.jpg")]) == 0
    assert (data / "pending-temp").is_dir(), "state went to the chosen data folder"


@pytest.mark.parametrize("command", ["inspect", "clean"])
def test_json_keeps_odd_names_exact_and_off_the_terminal(files: Path, tmp_path: Path,
                                                         monkeypatch, command: str) -> None:
    """A name that is not UTF-8 crashed --json on a strict UTF-8 stdout (a traceback, half a
    document); C1 and bidi characters in paths reached the terminal raw."""
    odd = [os.fsdecode(b"bad\xff\xfe.jpg"), "c1\x9b31m\u202egpj.jpg"]
    for n in odd:
        (tmp_path / n).write_bytes((files / "gps.jpg").read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="utf-8", errors="strict"))
    args = ["clean", "--consent", "-o", str(out)] if command == "clean" else ["inspect"]
    rc = main([*args, "--json", *(str(tmp_path / n) for n in odd)])
    sys.stdout.flush()
    assert rc == (0 if command == "clean" else 1)
    text = raw.getvalue().decode("ascii")  # nothing but ASCII reaches the terminal
    doc = json.loads(text)
    key = "source" if command == "clean" else "path"
    assert sorted(Path(f[key]).name for f in doc["files"]) == sorted(odd)  # exact, usable paths
    if command == "clean":
        assert all(Path(f["output"]).exists() for f in doc["files"])


def test_environment_errors_are_one_line(tmp_path: Path, files: Path) -> None:
    """A --data-dir that is a file made clean and takedown end in a traceback."""
    not_a_folder = tmp_path / "state"
    not_a_folder.write_text("a file")
    for args in (["clean", "--consent", "-o", str(tmp_path), str(files / "gps.jpg")],
                 ["takedown", "list"]):
        proc = run_cli("--data-dir", str(not_a_folder), *args)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith("share-guard: ") and len(proc.stderr.splitlines()) == 1
        assert "Traceback" not in proc.stderr and str(not_a_folder) in proc.stderr
    assert not (tmp_path / "gps_clean.jpg").exists()


@pytest.mark.parametrize("suffix", ["/../../escaped", "_x/y"])
def test_suffix_with_a_folder_separator_is_a_usage_error(files: Path, tmp_path: Path,
                                                         suffix: str) -> None:
    """--suffix "/../x" put the copy outside the output folder (once the sub-folder existed)."""
    out = tmp_path / "out"
    (out / "gps").mkdir(parents=True)
    assert main(["clean", "--consent", "--suffix", suffix, "-o", str(out),
                 str(files / "gps.jpg")]) == 2
    assert not list(tmp_path.rglob("*escaped*")) and not list(out.rglob("*.jpg"))


def test_json_error_text_from_the_file_is_sanitised(tmp_path: Path, capsys) -> None:
    """A reason quoting the file (an EBML DocType) reached --json with its escape and bidi
    characters, though every string but paths is sanitised."""
    from video_fixtures import ebml, ebml_header

    evil = tmp_path / "evil.mkv"
    evil.write_bytes(ebml_header("x\x1b]0;owned\x07\u202eevil") + ebml(0x18538067, b""))
    assert main(["inspect", "--json", "--no-isolation", str(evil)]) == 1
    [report] = json.loads(capsys.readouterr().out)["files"]
    assert "EBML file of type" in report["error"] and "owned" in report["error"]
    assert not any(ch in report["error"] for ch in "\x1b\x07\u202e")


@pytest.mark.parametrize("given, lines", [
    (("Location: GPS position", "When: Date taken", "Location: GPS altitude", "Location: GPS position"),
     ["Location: GPS position, GPS altitude", "When: Date taken"]),
    (("EXIF", "XMP"), ["EXIF, XMP"]),
])
def test_consent_prompt_groups_what_is_removed(given, lines) -> None:
    from share_guard.cli.clean_cmd import grouped_removals

    assert grouped_removals(given) == lines


@pytest.mark.parametrize("env, refused", [
    ({}, True),
    ({"DISPLAY": ":0"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0"}, False),
    ({"QT_QPA_PLATFORM": "offscreen"}, False),
])
def test_the_window_without_a_display_says_so_in_one_line(env, refused, monkeypatch, capsys) -> None:
    # Qt's own abort told the person to reinstall the application.
    from share_guard.cli import gui_cmd

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(gui_cmd.sys, "platform", "linux")
    assert gui_cmd.no_display() is refused
    if refused:
        assert main(["gui"]) == 1
        assert "no desktop display" in capsys.readouterr().err


def test_faces_are_part_of_every_check(tmp_path: Path, capsys) -> None:
    """inspect and clean look for faces by default (the app does too); --no-faces skips them
    for speed in scripts; --faces, the old opt-in, is still accepted."""
    from test_sandbox_boundary import astronaut

    photo = astronaut(tmp_path / "astronaut.jpg")
    for flags, people in (([], True), (["--faces"], True), (["--no-faces"], False)):
        assert main(["inspect", "--json", "--no-isolation", *flags, str(photo)]) == 1
        [report] = json.loads(capsys.readouterr().out)["files"]
        found = [f for f in report["findings"] if f["category"] == "people" and f["identifying"]]
        assert bool(found) is people, flags
    with pytest.raises(SystemExit) as usage:  # covering is clean's business
        main(["inspect", "--redact-faces", str(photo)])
    assert usage.value.code == 2
    capsys.readouterr()
    assert main(["clean", "--no-faces", "--redact-faces", "--consent", str(photo)]) == 2
    assert "contradict" in capsys.readouterr().err


def test_clean_names_a_second_copy_instead_of_refusing(files: Path, tmp_path: Path, capsys) -> None:
    """One naming rule in both front ends: name_clean.ext, then name_clean-2.ext..."""
    out = tmp_path / "o"
    out.mkdir()
    args = ["clean", "--consent", "--no-faces", "-o", str(out), str(files / "gps.jpg")]
    assert main(args) == 0 and main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == ["gps_clean-2.jpg", "gps_clean.jpg"]
    assert main([*args, "--overwrite"]) == 0
    assert len(list(out.iterdir())) == 2
