"""The first run explains itself: a missing system library for Qt's platform plugin gives one
line naming it and the install command, not Qt's abort."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from share_guard.gui import platform_probe as probe

ROOT = Path(__file__).resolve().parents[1]

LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd3b5f2000)
\tlibQt6XcbQpa.so.6 => /opt/x/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x7f1)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f0786b65000)
\tlibxcb-icccm.so.4 => not found
\tlibQt6DBus.so.6 => not found
"""
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
UBUNTU = "ID=ubuntu\nID_LIKE=debian\n"
FEDORA = 'ID=fedora\nVERSION_ID=40\n'
ALMA = 'ID="almalinux"\nID_LIKE="rhel centos fedora"\n'


def test_missing_libraries_from_ldd_output():
    # each once, in order; Qt's own libraries (shipped with PySide6) are never a system package
    assert probe.missing_libraries(LDD_MISSING) == ("libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    assert probe.missing_libraries("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == ()


@pytest.mark.parametrize(("env", "plugins"), [
    ({}, ["xcb"]),
    ({"DISPLAY": ":0"}, ["xcb"]),
    ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, ["wayland", "xcb"]),
    ({"XDG_SESSION_TYPE": "wayland"}, ["wayland", "xcb"]),
    ({"QT_QPA_PLATFORM": "offscreen"}, ["offscreen"]),
    ({"QT_QPA_PLATFORM": "wayland;xcb:foo=1"}, ["wayland", "xcb"]),
])
def test_candidate_plugins(env, plugins):
    assert probe.candidate_plugins(env) == plugins


@pytest.mark.parametrize(("text", "family"), [
    (DEBIAN, "deb"), (UBUNTU, "deb"), (FEDORA, "rpm"), (ALMA, "rpm"), ("ID=arch\n", ""), ("", ""),
])
def test_distribution_family(text, family):
    assert probe.distribution(text) == family


def test_message_is_one_line_with_the_exact_command():
    problem = probe.Problem("xcb", ("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    deb = probe.message(problem, "deb")
    assert "\n" not in deb
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in deb
    assert deb.endswith("install with: sudo apt install libxcb-icccm4 libxcb-keysyms1")
    assert probe.message(problem, "rpm").endswith(
        "install with: sudo dnf install xcb-util-wm xcb-util-keysyms")
    both = probe.message(problem, "")
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in both
    assert "Fedora: sudo dnf install xcb-util-wm xcb-util-keysyms" in both
    # one package for two libraries is named once; a library we have no package for is named
    assert probe.install_command(("libxcb-shm.so.0", "libxcb-sync.so.1"), "rpm") == "sudo dnf install libxcb"
    odd = probe.message(probe.Problem("xcb", ("libfoo.so.3",)), "deb")
    assert "needs libfoo.so.3, which is not installed" in odd and "provides it" in odd


def _fake_ldd(tmp_path: Path, output: str) -> Path:
    """An ``ldd`` that reports ``output`` for the xcb plugin and nothing missing otherwise."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "ldd"
    script.write_text(f"#!/bin/sh\ncase \"$1\" in\n*libqxcb.so) cat <<'EOF'\n{output}EOF\n;;\n"
                      "*) echo '\tlibc.so.6 => /lib/libc.so.6 (0x1)' ;;\nesac\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def _plugins(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "platforms"
    folder.mkdir()
    for name in names:
        (folder / f"libq{name}.so").write_bytes(b"\x7fELF")
    return folder


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the loader check is for Linux/BSD")
def test_find_problem_asks_the_loader(tmp_path):
    env = {"PATH": f"{_fake_ldd(tmp_path, LDD_MISSING)}{os.pathsep}{os.defpath}", "DISPLAY": ":0",
           "QT_QPA_PLATFORM_PLUGIN_PATH": str(_plugins(tmp_path, "xcb", "wayland"))}
    assert probe.find_problem(env) == probe.Problem("xcb", ("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    # a Wayland session whose wayland plugin loads does not need the X11 libraries
    assert probe.find_problem({**env, "WAYLAND_DISPLAY": "wayland-0"}) is None
    assert probe.find_problem({**env, "QT_QPA_PLATFORM": "xcb"}) is not None
    # an unknown plugin, or no ldd at all: cannot tell, so Qt is left to try as before
    assert probe.find_problem({**env, "QT_QPA_PLATFORM": "cocoa"}) is None
    assert probe.find_problem({**env, "PATH": str(tmp_path / "nowhere")}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None,
                    reason="needs Linux and ldd")
def test_this_machine_can_load_its_plugins():
    """The real check on the real plugins: everything is installed here (CI installs it)."""
    for plugin in ("xcb", "offscreen"):
        assert probe.find_problem({**os.environ, "QT_QPA_PLATFORM": plugin}) is None


def _hide_library_and_run(soname: str, command: str, env: dict[str, str]):
    """Run ``command`` in a private mount namespace where ``soname`` is missing from the
    system library folder (an overlay with a whiteout); the host is not touched. Exits 98
    when the library is still visible there, 99 when the namespace cannot be made."""
    real = Path(os.path.realpath(f"/usr/lib/x86_64-linux-gnu/{soname}"))
    folder = real.parent
    # not under pytest's tmp_path: concurrent pytest runs of the same user rotate those
    # folders away, and a vanished whiteout would bring the library back mid-test
    top = Path(tempfile.mkdtemp(prefix="sg-hide-"))
    try:
        upper, work = top / "upper", top / "work"
        upper.mkdir()
        work.mkdir()
        whiteouts = " && ".join(f"mknod {upper / name} c 0 0" for name in {soname, real.name})
        plugin = probe.plugin_dir(env) / "libqxcb.so"
        script = (f"{whiteouts} && mount -t overlay overlay -o lowerdir={folder},upperdir={upper},"
                  f"workdir={work} {folder} || exit 99\n"
                  f"ldd {plugin} | grep -q '{soname} => not found' || exit 98\nexec {command}")
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                              capture_output=True, text=True, env=env, timeout=180, check=False)
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0
                    or shutil.which("unshare") is None
                    or not Path("/usr/lib/x86_64-linux-gnu/libxcb-icccm.so.4").exists(),
                    reason="needs root, unshare and a Debian-style x86-64 libxcb-icccm4")
def test_hidden_libxcb_icccm_gives_one_line_not_an_abort():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DISPLAY": ":97"}
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "QT_QPA_PLATFORM_PLUGIN_PATH"):
        env.pop(name, None)
    bare = _hide_library_and_run(
        "libxcb-icccm.so.4",
        f"{sys.executable} -c 'from PySide6.QtWidgets import QApplication; QApplication([])'", env)
    if bare.returncode == 99 or bare.stderr.startswith("unshare:"):
        pytest.skip(f"no private mount namespace with overlays here: {bare.stderr.strip()[-200:]}")
    assert bare.returncode != 98, "the library was still visible in the namespace"
    # without the check, Qt aborts before it even tries the display, and blames the installation
    assert bare.returncode != 0 and "Reinstalling the application" in bare.stderr
    assert "could not connect to display" not in bare.stderr

    ours = _hide_library_and_run("libxcb-icccm.so.4", f"{sys.executable} -m share_guard gui", env)
    assert ours.returncode == 1, ours.stderr
    lines = ours.stderr.strip().splitlines()
    assert len(lines) == 1, ours.stderr
    assert "libxcb-icccm.so.4" in lines[0] and "Reinstalling" not in lines[0]
    if probe.distribution() == "deb":
        assert lines[0].endswith("install with: sudo apt install libxcb-icccm4")
