"""Issue 19 items 5 and 8: what reaches the terminal.

Windows gives a redirected stream cp1252; ``PYTHONIOENCODING=ascii`` gives ASCII. Plain
output must print (the U+FFFD the sanitiser puts for a control character included), the
summary too, with the right exit code. Decoders (libtiff in Pillow) must not write their
own lines to stderr.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from hostile.corpus import build
from hostile.treewatch import run_cli

ODD = "ph\u202eoto \u00e9\u4e2d\x1b[31m"


@pytest.fixture
def odd_photo(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / f"{ODD}.jpg"
    path.write_bytes(plain_jpeg(pixels(), exif=exif_bytes(gps=True, artist=True)))
    return path


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_plain_output_survives_a_narrow_encoding(encoding: str, odd_photo: Path,
                                                 tmp_path: Path) -> None:
    env = {"PYTHONIOENCODING": encoding}
    run = run_cli("inspect", "--no-faces", str(odd_photo), env=env)
    run.check_bounded()
    assert run.code == 1 and "GPS position" in run.out and "UnicodeEncodeError" not in run.err
    out = tmp_path / "out"
    out.mkdir()
    run = run_cli("clean", "--consent", "--no-faces", "-o", str(out), str(odd_photo),
                  str(tmp_path / "missing.jpg"), env=env)
    run.check_bounded()
    assert run.code == 1, run.err  # the missing file; the photo is written and said so
    assert " -> " in run.out and "missing.jpg" in run.out and "removed" in run.out
    [copy] = list(out.iterdir())
    assert copy.name == "ph_oto \u00e9\u4e2d_[31m_clean.jpg"
    run = run_cli("clean", "--consent", "--no-faces", "-o", str(out), str(odd_photo), env=env)
    assert run.code == 0 and "_clean-2.jpg" in run.out, run.err
    run = run_cli("inspect", "--json", "--no-faces", str(odd_photo), env=env)
    assert run.code == 1 and json.loads(run.out)["files"][0]["path"] == str(odd_photo)


def test_clean_json_names_the_safe_copy(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    names = ["-rf.jpg", "a\nb.jpg", "CON.x.jpg", ".hidden.jpg", "plain.jpg"]
    for n in names:
        (folder / n).write_bytes(plain_jpeg(pixels(), exif=exif_bytes(gps=True)))
    bad = os.fsencode(folder) + b"/bytes\xff\xfe.jpg"
    with open(bad, "wb") as fh:
        fh.write(plain_jpeg(pixels(), exif=exif_bytes(gps=True)))
    out = tmp_path / "out"
    out.mkdir()
    run = run_cli("clean", "--consent", "--json", "--no-faces", "-o", str(out),
                  *[str(folder / n) for n in names], os.fsdecode(bad))
    run.check_bounded()
    results = {Path(r["source"]).name: r for r in json.loads(run.out)["files"]}
    expect = {"-rf.jpg": "_rf_clean.jpg", "a\nb.jpg": "a_b_clean.jpg",
              "CON.x.jpg": "_CON.x_clean.jpg", ".hidden.jpg": "_hidden_clean.jpg",
              "plain.jpg": "plain_clean.jpg", os.fsdecode(b"bytes\xff\xfe.jpg"): "bytes___clean.jpg"}
    for source, name in expect.items():
        r = results[source]
        assert r["status"] == "cleaned" and Path(r["output"]).name == name, r
        assert r["renamed"] is (source != "plain.jpg")
    assert sorted(p.name for p in out.iterdir()) == sorted(expect.values())


def test_decoders_say_nothing_on_stderr(tmp_path: Path) -> None:
    """libtiff printed "tempfile.tif: Using code not yet in table." and the like for damaged
    TIFFs, between our lines; Pillow's logger printed its refusals."""
    cases, _ = build(tmp_path / "corpus", minimum=0)
    tiffs = [c.path for c in cases if c.handler == "tiff"][:60]
    assert len(tiffs) >= 30
    run = run_cli("inspect", *map(str, tiffs), timeout=600)
    run.check_bounded(seconds=300)
    assert run.err.strip() == "", run.err[:2000]
