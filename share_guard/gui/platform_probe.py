"""Before Qt starts: can its platform plugin load? If not, say which libraries are missing.

When a system library that Qt's X11 plugin needs is missing (``libxcb-icccm4`` and
``libxcb-keysyms1`` are absent from many minimal desktops), Qt aborts with "Reinstalling
the application may fix this problem" and names a package that is already installed.
This module asks the dynamic loader instead (``ldd`` on the plugin, which lists every
missing library at once, without loading anything) and turns the answer into one line
with the install command for this distribution. It does not import Qt.

Only Linux and the BSDs are checked; elsewhere Qt ships what its plugins need.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from share_guard.core.i18n import ngettext, pgettext

#: soname -> (Debian/Ubuntu package, Fedora package). The libraries Qt 6's xcb, wayland and
#: offscreen plugins and QtGui load from the system (``ldd`` on PySide6's plugins).
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)
#: shipped inside PySide6 (or the bundle) next to the plugin: never a system package
_OURS = ("libQt6", "libicu", "libpyside6", "libshiboken6")


@dataclass(frozen=True)
class Problem:
    plugin: str  # "xcb", "wayland"...
    missing: tuple[str, ...]  # sonames the loader cannot find


def missing_libraries(ldd_output: str) -> tuple[str, ...]:
    """Sonames ``ldd`` reported as "not found", in order, each once (Qt's own excluded)."""
    seen: dict[str, None] = {}
    for name in _NOT_FOUND.findall(ldd_output):
        if not name.startswith(_OURS):
            seen.setdefault(name, None)
    return tuple(seen)


def candidate_plugins(env: dict[str, str]) -> list[str]:
    """The platform plugins Qt may pick, in its order; the app can start if any loads."""
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return [part.split(":", 1)[0].strip() for part in chosen.split(";") if part.strip()]
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return ["wayland", "xcb"]
    return ["xcb"]


def plugin_dir(env: dict[str, str]) -> Path | None:
    """Where PySide6 keeps Qt's platform plugins (found without importing PySide6)."""
    forced = env.get("QT_QPA_PLATFORM_PLUGIN_PATH")
    if forced:
        return Path(forced)
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        folder = Path(root) / "Qt" / "plugins" / "platforms"
        if folder.is_dir():
            return folder
    return None


def _ldd(path: Path, env: dict[str, str]) -> str | None:
    ldd = shutil.which("ldd", path=env.get("PATH", os.defpath))
    if ldd is None:
        return None
    try:
        proc = subprocess.run([ldd, str(path)], capture_output=True, text=True, env=env,
                              timeout=15, check=False, errors="replace")
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout + proc.stderr


def find_problem(env: dict[str, str] | None = None) -> Problem | None:
    """The first candidate plugin's missing libraries, when no candidate can load.

    None when a plugin can load, or when this cannot be told (no ``ldd``, an unknown
    plugin, not Linux): then Qt is left to try, as before.
    """
    env = dict(os.environ if env is None else env)
    if sys.platform in ("win32", "darwin"):
        return None
    folder = plugin_dir(env)
    if folder is None:
        return None
    problems = []
    for plugin in candidate_plugins(env):
        path = folder / f"libq{plugin}.so"
        if not path.is_file():
            return None  # a plugin we do not know (or a custom build): let Qt decide
        output = _ldd(path, env)
        if output is None:
            return None
        missing = missing_libraries(output)
        if not missing:
            return None
        problems.append(Problem(plugin, missing))
    # several failed (a Wayland session lacking X11 libraries too): X11's are the usual gap
    return next((p for p in problems if p.plugin == "xcb"), problems[0] if problems else None)


def distribution(os_release: str | None = None) -> str:
    """"deb" (Debian, Ubuntu and their kin), "rpm" (Fedora, RHEL...) or "" (unknown)."""
    if os_release is None:
        try:
            os_release = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
        except OSError:
            os_release = ""
    ids: list[str] = []
    for line in os_release.splitlines():
        key, _sep, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids += value.strip().strip("\"'").lower().split()
    if any(i in ("debian", "ubuntu") for i in ids):
        return "deb"
    if any(i in ("fedora", "rhel", "centos") for i in ids):
        return "rpm"
    return ""


def install_command(missing: tuple[str, ...], family: str) -> str:
    """``sudo apt install ...`` / ``sudo dnf install ...`` for the libraries we know."""
    column = 1 if family == "rpm" else 0
    packages = list(dict.fromkeys(PACKAGES[m][column] for m in missing if m in PACKAGES))
    if not packages:
        return ""
    if family == "deb":
        return "sudo apt install " + " ".join(packages)
    if family == "rpm":
        return "sudo dnf install " + " ".join(packages)
    rpm = dict.fromkeys(PACKAGES[m][1] for m in missing if m in PACKAGES)
    return f"sudo apt install {' '.join(packages)} (Fedora: sudo dnf install {' '.join(rpm)})"


def message(problem: Problem, family: str) -> str:
    """One line: what is missing and the command that installs it."""
    n = len(problem.missing)
    line = ngettext("the window cannot open: Qt's {plugin} platform plugin needs {names}, "
                    "which is not installed",
                    "the window cannot open: Qt's {plugin} platform plugin needs {names}, "
                    "which are not installed", n).format(plugin=problem.plugin,
                                                         names=", ".join(problem.missing))
    command = install_command(problem.missing, family)
    if command:
        return pgettext("missing libraries", "{problem}; install with: {command}").format(
            problem=line, command=command)
    return ngettext("{problem}; install the system package that provides it",
                    "{problem}; install the system package that provides them", n).format(
        problem=line)


def refuse_to_start() -> bool:
    """Print the one-line reason and return True when Qt's platform plugin cannot load."""
    problem = find_problem()
    if problem is None:
        return False
    print(f"share-guard: {message(problem, distribution())}", file=sys.stderr)
    return True
