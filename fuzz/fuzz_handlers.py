"""Fuzz every registered container handler end to end: sniff, inspect, strip.

The handler is picked by sniffing, as in the app, so one run covers PNG, WebP,
GIF, TIFF, HEIF, MP4/MOV, Matroska, AVI... Seed the corpus with real files of
each format for depth: ``python fuzz/fuzz_handlers.py CORPUS_DIR``.
"""

from __future__ import annotations

import io
import tempfile

from _common import TOLERATED, run

from share_guard.core.containers import Source, detect


def TestOneInput(data: bytes) -> None:  # noqa: N802 - libFuzzer's name
    with tempfile.NamedTemporaryFile(prefix="sg-fuzz-") as fh:
        fh.write(data)
        fh.flush()
        check(fh.name)


def check(path: str) -> None:
    try:
        src = Source(path)
        handler = detect(src.head)
        result = handler.inspect(src)
        if not result.problems:
            handler.strip(src, io.BytesIO())
    except TOLERATED:
        return


if __name__ == "__main__":
    run(TestOneInput)
