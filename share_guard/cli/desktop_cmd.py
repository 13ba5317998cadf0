"""share-guard install-desktop [--remove]: the menu entry, icon and "Open with" for this user.

pip and pipx install programs, not desktop files: this puts the app's .desktop file (its
``Exec`` pointing at the program that runs now), icon and AppStream metainfo into the XDG
data folder ($XDG_DATA_HOME, default ~/.local/share), and takes them out again. The .deb
installs the same files system-wide instead.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from share_guard import APP_ID
from share_guard.core.i18n import _

#: where each file goes under the XDG data folder, and where it is in the package
FILES = (
    ("applications", f"{APP_ID}.desktop", f"desktop/{APP_ID}.desktop"),
    ("icons/hicolor/scalable/apps", f"{APP_ID}.svg", f"icons/{APP_ID}.svg"),
    ("metainfo", f"{APP_ID}.metainfo.xml", f"desktop/{APP_ID}.metainfo.xml"),
)
#: characters that make the Desktop Entry spec ask for a quoted Exec argument
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def register(subs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subs.add_parser("install-desktop",
                        help=_("add the app to this user's desktop menu and 'Open with' (Linux)"))
    p.add_argument("--remove", action="store_true",
                   help=_("take the menu entry, icon and metainfo out"))
    p.set_defaults(func=run)


def data_home(env: dict[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME when it is an absolute path, else ~/.local/share (the XDG spec)."""
    value = (os.environ if env is None else env).get("XDG_DATA_HOME", "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / ".local" / "share"


def launcher() -> list[str]:
    """The command that runs this installation: the bundle's executable, the
    ``share-guard`` script next to this Python (venv, pipx), or ``python -m share_guard``."""
    if getattr(sys, "frozen", False):
        return [os.path.abspath(sys.executable)]
    script = Path(sys.executable).parent / ("share-guard.exe" if os.name == "nt" else "share-guard")
    if script.is_file():
        return [os.path.abspath(script)]
    return [os.path.abspath(sys.executable), "-m", "share_guard"]


def exec_arg(arg: str) -> str:
    """One argument of an Exec key, quoted and escaped as the Desktop Entry spec asks."""
    if any(ord(c) < 32 or c == "\x7f" for c in arg):
        raise ValueError(_("the program's path holds control characters; a menu entry cannot "
                           "run it"))
    if any(c in _RESERVED for c in arg):
        inner = "".join("\\" + c if c in '"`$\\' else c for c in arg)
        arg = f'"{inner}"'
    # string-level escaping applies on top of the quoting; a literal % is written %%
    return arg.replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(template: str, command: list[str]) -> str:
    """The packaged .desktop file with Exec/TryExec pointing at ``command``."""
    program = " ".join(exec_arg(a) for a in command)
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            line = f"Exec={program} gui %F"
        elif line.startswith("TryExec="):  # a plain path (string value), not an Exec argument
            line = "TryExec=" + command[0].replace("\\", "\\\\")
        lines.append(line)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Placed:
    path: Path
    text: str


def planned(home: Path, command: list[str]) -> list[Placed]:
    base = resources.files("share_guard") / "resources"
    out = []
    for folder, name, source in FILES:
        text = (base / source).read_text(encoding="utf-8")
        if name.endswith(".desktop"):
            text = desktop_entry(text, command)
        out.append(Placed(home / folder / name, text))
    return out


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _refresh(home: Path) -> None:
    """Rebuild the caches desktops read for "Open with" and icons, where the tools exist.

    The icon cache is only updated when there is one already: a new cache in the user's
    icon folder would hide icons that other programs add later without updating it.
    """
    hicolor = home / "icons" / "hicolor"
    jobs = [("update-desktop-database", ["-q", str(home / "applications")], home / "applications")]
    if (hicolor / "icon-theme.cache").is_file():
        jobs.append(("gtk-update-icon-cache", ["-q", "-t", "-f", str(hicolor)], hicolor))
    for tool, args, folder in jobs:
        exe = shutil.which(tool)
        if exe is None or not folder.is_dir():
            continue
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run([exe, *args], capture_output=True, timeout=60, check=False)


def install(home: Path, command: list[str]) -> list[Path]:
    placed = planned(home, command)
    for item in placed:
        _write(item.path, item.text)
    _refresh(home)
    return [p.path for p in placed]


def remove(home: Path) -> list[Path]:
    gone = []
    for folder, name, _source in FILES:
        path = home / folder / name
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            gone.append(path)
    _refresh(home)
    return gone


def run(args: argparse.Namespace) -> int:
    from share_guard.cli.common import warn
    from share_guard.core.i18n import isolate
    from share_guard.core.textsafe import display_path

    if sys.platform in ("win32", "darwin"):
        warn(_("install-desktop adds a Linux desktop menu entry; on this system, start the app "
               "with share-guard (or share-guard-gui)"))
        return 1
    home = data_home()
    if args.remove:
        gone = remove(home)
        for path in gone:
            print(_("removed {path}").format(path=isolate(display_path(path))))
        if not gone:
            print(_("nothing to remove: the menu entry was not installed in {path}").format(
                path=isolate(display_path(home))))
        return 0
    try:
        command = launcher()
        paths = install(home, command)
    except ValueError as exc:
        warn(str(exc))
        return 1
    for path in paths:
        print(_("installed {path}").format(path=isolate(display_path(path))))
    program = " ".join([display_path(Path(command[0])), *command[1:]])
    print(_("the menu entry runs {program}; undo with: share-guard install-desktop --remove")
          .format(program=isolate(program)))
    return 0
