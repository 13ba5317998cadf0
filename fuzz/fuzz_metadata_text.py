"""Fuzz the XMP, IPTC and Photoshop resource readers (they must never raise)."""

from __future__ import annotations

from _common import run

from share_guard.core.metadata.iptc import iptc_findings, irb_findings
from share_guard.core.metadata.xmp import xmp_findings


def TestOneInput(data: bytes) -> None:  # noqa: N802 - libFuzzer's name
    xmp_findings(data)
    iptc_findings(data)
    irb_findings(b"8BIM" + data)


if __name__ == "__main__":
    run(TestOneInput)
