"""Fuzz the TIFF/EXIF IFD walker and the EXIF findings built on it."""

from __future__ import annotations

from _common import run

from share_guard.core.errors import CorruptFile
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.tiff_ifd import MAX_IFDS, parse_tiff


def TestOneInput(data: bytes) -> None:  # noqa: N802 - libFuzzer's name
    try:
        tiff = parse_tiff(data)
    except CorruptFile:
        tiff = None
    if tiff is not None:
        assert len(tiff.ifds) <= MAX_IFDS
    for finding in exif_findings(data).findings:  # never raises
        assert "\n" not in finding.value


if __name__ == "__main__":
    run(TestOneInput)
