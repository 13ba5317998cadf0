"""Start-up: a command loads what it uses, and the parser it builds is the one help shows.

``share-guard inspect`` imports its own command module, not the others; the engine names
the looks at the pixels without loading numpy in the process that sends files to the
sandbox; the sandbox's fork server loads what every task needs, not every container
handler. These keep the start-up figures (README) from creeping back, and check that the
lazier paths answer exactly as the eager ones did.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from share_guard import cli
from share_guard.core.containers import magic

ROOT = Path(__file__).resolve().parents[1]
HANDLER_MODULES = {f"share_guard.core.containers.{t.module}" for t in magic.TABLE}
HEAVY = {"numpy", "cv2", "av", "onnxruntime", "PIL"}


def _modules_after(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode in (0, 1), proc.stderr
    return set(proc.stdout.splitlines()[-1].split())


@pytest.mark.parametrize(("args", "command"), [
    (["inspect", "a.jpg"], "inspect"),
    (["--lang", "hi", "clean", "a.jpg"], "clean"),
    (["--lang=hi", "--data-dir", "/d", "takedown", "list"], "takedown"),
    (["--la", "hi", "--data", "x", "inspect"], "inspect"),  # unique prefixes, as argparse
    (["--data-dir", "inspect", "policy", "show"], "policy"),  # "inspect" is the folder
    (["install-desktop"], "install-desktop"),
    (["--help", "inspect"], None),
    (["-h"], None),
    (["--version"], None),
    ([], None),
    (["--lang", "hi"], None),
    (["inpsect", "a.jpg"], None),
    (["--", "inspect"], None),
    (["--bogus", "inspect"], None),
])
def test_the_command_is_found_only_when_it_is_clear(args: list[str], command: str | None) -> None:
    assert cli.chosen_command(args) == command


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_is_registered_by_the_module_the_table_names() -> None:
    full = _subcommands(cli.build_parser())
    assert list(full) == list(cli.COMMANDS)
    for name in cli.COMMANDS:
        alone = _subcommands(cli.build_parser([name, "--help"]))
        assert list(alone) == [name]
        assert alone[name].format_help() == full[name].format_help()


def test_help_lists_every_command(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in cli.COMMANDS)


def test_inspect_loads_neither_other_commands_nor_other_handlers_nor_numpy(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(plain_jpeg(pixels(), exif=exif_bytes(gps=True)))
    loaded = _modules_after(
        "import contextlib, io\nfrom share_guard.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['--data-dir', {str(tmp_path / 'data')!r}, 'inspect', '--no-faces',"
        f" '--no-isolation', {str(photo)!r}]) == 1")
    commands = {m for m in loaded if m.startswith("share_guard.cli.") and m.endswith("_cmd")}
    assert commands == {"share_guard.cli.inspect_cmd"}
    assert loaded & HANDLER_MODULES == {"share_guard.core.containers.jpeg"}
    assert not loaded & HEAVY
    assert not {m for m in loaded if m.startswith("share_guard.core.analysis.")} - {
        "share_guard.core.analysis.detect_cache"}


def test_the_engine_names_faces_and_codes_without_loading_numpy(tmp_path: Path) -> None:
    loaded = _modules_after(
        "import pickle\nfrom share_guard.core.engine.compose import Features, build_engine\n"
        f"e = build_engine(Features(faces=True, codes=True, data_dir={str(tmp_path)!r}))\n"
        "names = [a.name for a in e.analyzers()]\nassert 'faces' in names and 'codes' in names\n"
        "pickle.dumps(list(e.analyzers()))\ne.close()")
    assert not loaded & HEAVY
    assert "share_guard.core.analysis.analyzers" not in loaded


def test_the_window_places_covers_over_faces_without_loading_numpy() -> None:
    """The first face a check finds is shown with its cover by the window's own thread: the
    geometry must not load numpy there (a quarter of a second the button waited for)."""
    loaded = _modules_after(
        "from share_guard.core.report import Region\n"
        "from share_guard.core.redaction.areas import ENLARGE, enlarged, plan_regions\n"
        "r = enlarged(Region(10, 10, 20, 20, label='face'), ENLARGE, 1 << 30, 1 << 30)\n"
        "assert (r.x, r.y, r.w, r.h) == (6, 6, 28, 28), r\n"
        "assert plan_regions([r], removed=[r]) == []")
    assert not loaded & HEAVY


def test_a_deferred_analyzer_is_the_real_one_where_it_runs() -> None:
    from share_guard.core.analysis.analyzers import CodeAnalyzer, FaceAnalyzer
    from share_guard.core.engine import compose
    from share_guard.core.engine.deferred import Deferred

    for name, real in ((compose.FACES, FaceAnalyzer), (compose.CODES, CodeAnalyzer)):
        deferred = Deferred(name, compose.ANALYZERS, real.__name__)
        assert deferred.name == real.name
        travelled = pickle.loads(pickle.dumps(deferred))
        assert travelled.name == real.name and isinstance(travelled.made(), real)
        assert pickle.loads(pickle.dumps(travelled)).made() is not travelled.made()


def test_a_deferred_analyzer_passes_the_warm_up_on(monkeypatch) -> None:
    """The engine's faces are a Deferred: the model must still start loading as soon as a
    file's kind is known (the analyzer's own warm_up), not when the faces are looked for."""
    from share_guard.core.analysis import analyzers
    from share_guard.core.engine import compose
    from share_guard.core.engine.deferred import Deferred

    kinds: list[str] = []
    monkeypatch.setattr(analyzers.FaceAnalyzer, "warm_up", lambda self, kind: kinds.append(kind),
                        raising=False)
    deferred = Deferred(compose.FACES, compose.ANALYZERS, analyzers.FaceAnalyzer.__name__)
    deferred.warm_up("image")  # made on a thread of its own: the file's check goes on
    deadline = time.monotonic() + 10
    while not kinds and time.monotonic() < deadline:
        time.sleep(0.01)
    assert kinds == ["image"]
    deferred.warm_up("video")  # made already: passed on at once
    assert kinds == ["image", "video"]


def test_the_fork_server_preloads_no_handler_and_no_numpy() -> None:
    from share_guard.core.sandbox import early

    loaded = _modules_after("; ".join(f"import {m}" for m in early.PRELOAD))
    assert "share_guard.core.sandbox.worker" in loaded
    assert not loaded & HANDLER_MODULES
    assert not loaded & HEAVY
