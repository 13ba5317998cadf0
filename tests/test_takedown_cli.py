"""share-guard takedown ...: add without keeping, list, check, remove, export/import, wiring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from share_guard.cli import main
from share_guard.core.paths import data_dir

skdata = pytest.importorskip("skimage.data")


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    astro = skdata.astronaut()
    out = {
        "listed": folder / "listed.jpg",
        "edited": folder / "edited.jpg",
        "other": folder / "other.jpg",
    }
    Image.fromarray(astro).save(out["listed"], quality=90)
    Image.fromarray(np.ascontiguousarray(np.rot90(astro))).resize((256, 256)).save(
        out["edited"], quality=35
    )
    Image.fromarray(skdata.coffee()).save(out["other"], quality=90)
    return out


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_add_stores_only_hashes_then_check_and_inspect(photos, capsys):
    home = data_dir()
    assert main(["takedown", "add", str(photos["listed"]), "--label", "case 7",
                 "--source", "helpline"]) == 0
    out = capsys.readouterr().out
    assert "not copied" in out
    stored = {p.name for p in home.rglob("*") if p.is_file()}
    assert stored <= {"takedown.sqlite3", "takedown.sqlite3-wal", "takedown.sqlite3-shm"}
    listed_bytes = photos["listed"].read_bytes()
    assert all(listed_bytes[1000:1100] not in p.read_bytes() for p in home.rglob("*") if p.is_file())

    assert main(["takedown", "check", "--json", str(photos["edited"]), str(photos["other"])]) == 1
    files = {Path(f["path"]).name: f for f in _json(capsys)["files"]}
    (m,) = [m for m in files["edited.jpg"]["matches"] if m["match"] == "match"][:1]
    assert m["entry"]["label"] == "case 7" and m["entry"]["source"] == "helpline"
    assert m["hash_type"] in ("pdq", "phash") and m["distance"] <= 31
    assert files["other.jpg"]["matches"] == []

    # inspect --json shows the match as its own finding, with label, hash type and distance
    assert main(["inspect", "--json", str(photos["edited"])]) == 1
    (report,) = _json(capsys)["files"]
    (finding,) = [f for f in report["findings"] if f["category"] == "takedown"][:1]
    assert finding["detail"]["label"] == "case 7" and finding["detail"]["match"] == "match"
    assert {"hash_type", "distance", "added", "source"} <= set(finding["detail"])
    assert report["summary"] == "blocked by takedown list"


def test_clean_refuses_a_listed_file(photos, tmp_path, capsys):
    assert main(["takedown", "add", str(photos["listed"]), "--label", "x"]) == 0
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert main(["clean", "--consent", "-o", str(out_dir), str(photos["edited"])]) == 1
    assert "takedown" in capsys.readouterr().out
    assert list(out_dir.iterdir()) == []


def test_list_remove_and_withdrawn_no_longer_matches(photos, capsys):
    main(["takedown", "add", str(photos["listed"]), "--label", "case 7", "--list", "family"])
    capsys.readouterr()
    assert main(["takedown", "list", "--json"]) == 0
    listing = _json(capsys)
    assert [i["name"] for i in listing["lists"]] == ["family"]
    items = {e["item"] for e in listing["entries"]}
    assert len(items) == 1 and len(listing["entries"]) >= 4

    assert main(["takedown", "remove", "--item", items.pop()]) == 0
    assert main(["takedown", "check", str(photos["edited"])]) == 0
    assert "no match" in capsys.readouterr().out
    main(["takedown", "list", "--all", "--json"])
    assert {e["status"] for e in _json(capsys)["entries"]} == {"withdrawn"}


def test_export_import_between_data_folders(photos, tmp_path, capsys):
    main(["takedown", "add", str(photos["listed"]), "--label", "case 7", "--list", "helpline"])
    exported = tmp_path / "helpline.jsonl"
    assert main(["takedown", "export", "--list", "helpline", str(exported)]) == 0
    other_home = tmp_path / "other-home"
    assert main(["--data-dir", str(other_home), "takedown", "import", str(exported)]) == 0
    assert "into list 'helpline'" in capsys.readouterr().out
    assert main(["--data-dir", str(other_home), "takedown", "check", str(photos["edited"])]) == 1
    assert "MATCHES" in capsys.readouterr().out

    exported.write_text(exported.read_text().replace("case 7", "case 8"))
    assert main(["--data-dir", str(tmp_path / "third"), "takedown", "import", str(exported)]) == 1
    assert "modified" in capsys.readouterr().err


def test_import_plain_hex_needs_type_for_64_digits(tmp_path, capsys):
    f = tmp_path / "hashes.txt"
    f.write_text("ad66d9ec57a0dcb6bf0caa7d8ac4f0bc5d60544e0950aeadcff85a030054b5d5\n")
    assert main(["takedown", "import", str(f)]) == 1
    assert "--type" in capsys.readouterr().err
    assert main(["takedown", "import", "--type", "pdq", str(f)]) == 0


def test_check_without_any_list_is_clean_and_creates_nothing(photos, capsys):
    assert main(["takedown", "check", str(photos["other"])]) == 0
    assert not (data_dir() / "takedown.sqlite3").exists()


def test_add_refuses_a_non_media_file(tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    assert main(["takedown", "add", str(f), "--label", "x"]) == 1
    assert "not added" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_at_once_by_add_and_check(photos, tmp_path):
    """A FIFO named like a photo blocked `takedown check` and `add` forever (plain open())."""
    fifo = tmp_path / "photos" / "pipe.jpg"
    os.mkfifo(fifo)
    state = tmp_path / "state"
    base = [sys.executable, "-m", "share_guard", "--data-dir", str(state), "takedown"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, *args], capture_output=True, text=True, env=env,
                              timeout=60, check=False)

    added = run("add", str(fifo), str(photos["listed"]), "--label", "x")
    assert added.returncode == 1 and "pipe.jpg: not added: " in added.stderr
    assert "not a regular file" in added.stderr
    checked = run("check", str(tmp_path / "photos"))
    assert checked.returncode == 1
    assert "pipe.jpg: could not be checked" in checked.stdout
    assert "listed.jpg: MATCHES" in checked.stdout


def test_names_from_an_imported_list_are_shown_safely(photos, tmp_path, capsys):
    """A list file's name and publisher reached the terminal raw (escape sequences, bidi)."""
    import hashlib

    main(["takedown", "add", str(photos["listed"]), "--label", "x", "--list", "plain"])
    exported = tmp_path / "plain.jsonl"
    assert main(["takedown", "export", "--list", "plain", str(exported)]) == 0
    lines = exported.read_bytes().splitlines(keepends=True)
    header = json.loads(lines[0])
    header["name"] = header["publisher"] = "evil\x1b]0;owned\x07\u202eman"
    body = [json.dumps(header).encode() + b"\n", *lines[1:-1]]
    trailer = json.loads(lines[-1])
    trailer["sha256"] = hashlib.sha256(b"".join(body)).hexdigest()
    exported.write_bytes(b"".join([*body, json.dumps(trailer).encode() + b"\n"]))
    home = ["--data-dir", str(tmp_path / "other")]
    capsys.readouterr()
    for args, rc in ((["import", str(exported)], 0), (["list"], 0),
                     (["check", str(photos["listed"])], 1)):
        assert main([*home, "takedown", *args]) == rc
        out = capsys.readouterr().out
        assert "owned" in out and not any(ch in out for ch in "\x1b\x07\u202e"), args


def test_cli_default_list_name_matches_the_store():
    from share_guard.cli import takedown_cmd
    from share_guard.core.takedown.store import DEFAULT_LIST

    assert takedown_cmd.DEFAULT_LIST == DEFAULT_LIST
