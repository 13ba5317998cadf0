"""Desktop integration: the .desktop and metainfo files validate, use one application ID,
list every type the app opens, ship in the package, and install-desktop puts them in the
XDG data folder and takes them out again."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from share_guard import APP_ID, __version__
from share_guard.cli import desktop_cmd

ROOT = Path(__file__).resolve().parents[1]
RES = ROOT / "resources"
DESKTOP = RES / f"{APP_ID}.desktop"
METAINFO = RES / f"{APP_ID}.metainfo.xml"
ICON = RES / f"{APP_ID}.svg"


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _metainfo() -> ET.Element:
    return ET.parse(METAINFO).getroot()


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (apt install desktop-file-utils appstream)")
    return exe


def test_desktop_file_validates():
    proc = subprocess.run([_tool("desktop-file-validate"), str(DESKTOP)], capture_output=True,
                          text=True, timeout=60, check=False)
    # not even a hint (e.g. two main categories)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_metainfo_validates():
    proc = subprocess.run([_tool("appstreamcli"), "validate", "--no-net", str(METAINFO)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # errors and warnings fail; infos are allowed (AppStream 0.16 does not know <developer>,
    # which 1.0 asks for instead of the deprecated <developer_name>)
    serious = [line for line in proc.stdout.splitlines() if re.match(r"^[EW]:", line)]
    assert serious == [], proc.stdout


def test_one_application_id_everywhere():
    assert re.fullmatch(r"[a-z]+(\.[a-z0-9]+)+\.[A-Za-z][A-Za-z0-9]*", APP_ID)
    entry = _entry(DESKTOP)
    assert entry["Icon"] == APP_ID
    root = _metainfo()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.findtext("icon") == APP_ID
    for link in (DESKTOP, METAINFO, ICON):  # resources/ holds links to the packaged files
        assert link.resolve().is_relative_to(ROOT / "share_guard" / "resources"), link
    # Qt's desktop file name (the Wayland app id, what docks match windows with)
    from share_guard.gui.app import make_application

    assert make_application().desktopFileName() == APP_ID


def test_every_type_the_app_reads_opens_with_it():
    from share_guard.core.containers import all_handlers

    listed = set(filter(None, _entry(DESKTOP)["MimeType"].split(";")))
    assert {h.mime for h in all_handlers()} <= listed
    # the aliases older MIME databases use as the main name
    assert {"image/heic", "video/3gpp2"} <= listed
    provided = {e.text for e in _metainfo().iter("mediatype")}
    assert provided == listed
    entry = _entry(DESKTOP)
    assert entry["Exec"] == "share-guard gui %F" and entry["Terminal"] == "false"
    assert "Version" not in entry  # 1.5 is not a spec version Debian 12's validator knows


def test_metainfo_release_screenshots_rating_and_requirements():
    root = _metainfo()
    assert root.find("releases/release").get("version") == __version__
    assert root.find("content_rating").get("type") == "oars-1.1"
    assert root.findtext("supports/internet") == "offline-only"  # rule 5: no network, ever
    assert root.find("requires/display_length") is not None
    assert {c.text for c in root.iter("control")} == {"keyboard", "pointing"}
    shots = root.findall("screenshots/screenshot")
    assert len(shots) >= 2 and shots[0].get("type") == "default"
    for shot in shots:
        image = shot.find("image")
        name = image.text.rsplit("/", 1)[1]
        png = RES / "screenshots" / name
        head = png.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n", name
        assert struct.unpack(">II", head[16:24]) == (int(image.get("width")), int(image.get("height")))
        assert image.text.endswith(f"/resources/screenshots/{name}")


def test_desktop_files_are_package_data():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"resources/**/*"' in text
    base = resources.files("share_guard") / "resources"
    for _folder, _name, source in desktop_cmd.FILES:
        assert (base / source).is_file(), source
    for name in ("help/help.en.txt", "help/helplines.json"):
        assert (base / name).is_file(), name
    icon = (base / f"icons/{APP_ID}.svg").read_text(encoding="utf-8")
    assert icon.lstrip().startswith("<?xml") and "<svg" in icon


@pytest.mark.parametrize(("arg", "written"), [
    ("/usr/bin/share-guard", "/usr/bin/share-guard"),
    ("/home/ann/My Apps/share-guard", '"/home/ann/My Apps/share-guard"'),
    ('/tmp/a"b$c`d', '"/tmp/a\\\\"b\\\\$c\\\\`d"'),
    ("/tmp/back\\slash", '"/tmp/back\\\\\\\\slash"'),
    ("/tmp/100%", "/tmp/100%%"),
])
def test_exec_arguments_are_quoted_as_the_spec_says(arg, written):
    assert desktop_cmd.exec_arg(arg) == written


def test_a_path_with_a_newline_cannot_be_a_menu_entry():
    with pytest.raises(ValueError, match="control characters"):
        desktop_cmd.exec_arg("/tmp/a\nb")


def test_data_home_follows_xdg():
    assert desktop_cmd.data_home({"XDG_DATA_HOME": "/x/share"}) == Path("/x/share")
    home = Path.home() / ".local" / "share"
    assert desktop_cmd.data_home({"XDG_DATA_HOME": "relative/share"}) == home
    assert desktop_cmd.data_home({}) == home


def _cli(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "share_guard", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="freedesktop menus are Linux/BSD")
def test_install_desktop_then_remove(tmp_path):
    home = tmp_path / "xdg data"
    proc = _cli(["install-desktop"], home)
    assert proc.returncode == 0, proc.stderr
    desktop = home / "applications" / f"{APP_ID}.desktop"
    icon = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    metainfo = home / "metainfo" / f"{APP_ID}.metainfo.xml"
    assert desktop.is_file() and icon.is_file() and metainfo.is_file()
    assert icon.read_bytes() == ICON.read_bytes() and metainfo.read_bytes() == METAINFO.read_bytes()
    assert proc.stdout.count("installed ") == 3

    entry = _entry(desktop)
    command = desktop_cmd.launcher()  # what this Python's installation runs
    assert entry["TryExec"] == command[0] and os.path.isabs(command[0])
    assert entry["Exec"] == " ".join([*command, "gui", "%F"])
    assert entry["MimeType"] == _entry(DESKTOP)["MimeType"]
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True,
                               check=False)
        assert check.returncode == 0, check.stdout
    cache = home / "applications" / "mimeinfo.cache"
    if shutil.which("update-desktop-database"):  # "Open with" reads this cache on many desktops
        assert f"image/jpeg={APP_ID}.desktop;" in cache.read_text(encoding="utf-8")

    gone = _cli(["install-desktop", "--remove"], home)
    assert gone.returncode == 0, gone.stderr
    assert gone.stdout.count("removed ") == 3
    assert not desktop.exists() and not icon.exists() and not metainfo.exists()
    if cache.exists():
        assert APP_ID not in cache.read_text(encoding="utf-8")
    again = _cli(["install-desktop", "--remove"], home)
    assert again.returncode == 0 and "nothing to remove" in again.stdout


def test_install_desktop_keeps_others_files_and_runs_from_a_bundle(tmp_path, monkeypatch):
    home = tmp_path / "share"
    other = home / "applications" / "org.example.Other.desktop"
    other.parent.mkdir(parents=True)
    other.write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=other\n")
    exe = tmp_path / "Share Guard" / "share-guard"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    assert desktop_cmd.launcher() == [str(exe)]
    desktop_cmd.install(home, desktop_cmd.launcher())
    entry = _entry(home / "applications" / f"{APP_ID}.desktop")
    assert entry["Exec"] == f'"{exe}" gui %F' and entry["TryExec"] == str(exe)
    desktop_cmd.remove(home)
    assert other.is_file() and not (home / "applications" / f"{APP_ID}.desktop").exists()
