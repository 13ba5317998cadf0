"""The windowed launcher (share-guard-gui) and the bundle's program turn their arguments
into the CLI's ``gui`` command."""

from __future__ import annotations

import pytest

import share_guard.cli
from share_guard import launch


@pytest.fixture
def calls(monkeypatch):
    seen: list[list[str] | None] = []

    def fake_main(argv=None):
        seen.append(None if argv is None else list(argv))
        return 7

    monkeypatch.setattr(share_guard.cli, "main", fake_main)
    return seen


def test_gui_launcher_opens_the_window_with_the_files(calls):
    assert launch.gui_main(["/photos/a b.jpg"]) == 7
    assert launch.gui_main(["--data-dir", "/d", "/p/x.jpg"]) == 7
    assert launch.gui_main([]) == 7
    assert calls == [["gui", "--", "/photos/a b.jpg"],
                     ["--data-dir", "/d", "gui", "--", "/p/x.jpg"],
                     ["gui", "--"]]


def test_bundle_program_is_the_cli_or_the_window_by_its_name(calls):
    assert launch.bundle_main(["inspect", "x.jpg"], "/opt/share-guard/share-guard") == 7
    assert launch.bundle_main(["x.jpg"], "/Applications/share_guard.app/Contents/MacOS/share-guard-gui") == 7
    assert calls == [["inspect", "x.jpg"], ["gui", "--", "x.jpg"]]


def test_the_cli_parses_what_the_launcher_passes():
    args = share_guard.cli.build_parser().parse_args(["--data-dir", "/d", "gui", "--", "-odd.jpg"])
    assert args.command == "gui" and args.paths == ["-odd.jpg"] and args.data_dir == "/d"
