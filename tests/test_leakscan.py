"""The marker scanner itself must find what it claims to find."""

import zlib

from tests.leakscan import leaked_markers


def test_finds_markers_in_every_form():
    marker = "MARKER_X1"
    assert leaked_markers(b"..MARKER_X1..", [marker]) == [marker]
    assert leaked_markers(b".." + marker.encode("utf-16-le"), [marker]) == [marker]
    assert leaked_markers(b".." + marker.encode().hex().upper().encode(), [marker]) == [marker]
    assert leaked_markers(b"PNG" + zlib.compress(b"xx MARKER_X1 yy") + b"tail", [marker]) == [marker]
    assert leaked_markers(b"nothing here", [marker]) == []
