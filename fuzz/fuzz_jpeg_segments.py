"""Fuzz the JPEG marker walker: parse_jpeg never fails except with CorruptFile."""

from __future__ import annotations

from _common import run

from share_guard.core.containers.jpeg_segments import parse_jpeg
from share_guard.core.errors import CorruptFile


def TestOneInput(data: bytes) -> None:  # noqa: N802 - libFuzzer's name
    try:
        layout = parse_jpeg(b"\xff\xd8" + data)
    except CorruptFile:
        return
    for seg in layout.segments:
        assert seg.start < seg.end <= len(data) + 2


if __name__ == "__main__":
    run(TestOneInput)
