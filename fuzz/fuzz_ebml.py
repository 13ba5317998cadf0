"""Fuzz the EBML element reader under Matroska/WebM."""

from __future__ import annotations

from _common import run

from share_guard.core.containers._ebml import parse_children
from share_guard.core.errors import CorruptFile


def TestOneInput(data: bytes) -> None:  # noqa: N802 - libFuzzer's name
    try:
        kids = parse_children(data, 0, len(data))
    except CorruptFile:
        return
    for el in kids:
        assert el.offset < el.end <= len(data)


if __name__ == "__main__":
    run(TestOneInput)
