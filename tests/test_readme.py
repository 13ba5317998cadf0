"""README's first commands stay the ones CI runs, list the system packages once, and point
nowhere outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", README, re.S)


def test_first_two_commands_set_up_and_test():
    first, second = _commands()[:2]
    assert first.startswith("sudo apt install -y python3-venv ")
    assert first.endswith("&& python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/share-guard")
    assert second in CI  # CI runs the test command verbatim


def test_system_packages_are_the_ones_ci_installs():
    first = _commands()[0]
    readme = set(first.split("&&")[0].split()[4:])
    ci_block = CI[CI.index("apt-get install"):CI.index(">/dev/null", CI.index("apt-get install"))]
    words = ci_block.replace("\\", " ").split()
    ci = {w for w in words if w.startswith(("lib", "fonts-")) and w != "libimage-exiftool-perl"}
    assert ci <= readme, ci - readme
    assert readme - ci == {"python3-venv"}


def test_no_path_or_link_leaves_the_repository():
    assert "../" not in README
    for target in re.findall(r"\]\(([^)]+)\)", README):
        assert target.startswith(("http://", "https://")) or (ROOT / target).exists(), target
