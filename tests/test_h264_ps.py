"""H.264 parameter sets walked field by field (found by the red team: text appended to an
SPS or PPS travelled with every copy). Real encoder output must come back byte-identical,
appended bytes zeroed, and the decoder must read the same."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from share_guard.core.containers import nal
from share_guard.core.containers.h264_ps import PsError, tidy
from share_guard.core.errors import CorruptFile

VARIANTS = {
    "baseline": ({"profile": "baseline"}, "yuv420p"),
    "high with scaling lists": ({"x264-params": "cqm=jvt"}, "yuv420p"),
    "high 4:4:4 with scaling lists": ({"profile": "high444", "x264-params": "cqm=jvt"},
                                       "yuv444p"),
    "interlaced": ({"x264-params": "interlaced=1"}, "yuv420p"),
    "full VUI and HRD": ({"x264-params": "colorprim=bt709:transfer=bt709:colormatrix=bt709:"
                          "nal-hrd=vbr:vbv-maxrate=1000:vbv-bufsize=2000:sar=4/3"}, "yuv420p"),
}


def _stream(options: dict[str, str], pix_fmt: str) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format="h264") as out:
        s = out.add_stream("libx264", rate=10, options=options)
        s.width, s.height, s.pix_fmt = 64, 48, pix_fmt
        for i in range(3):
            arr = np.random.default_rng(i).integers(0, 255, (48, 64, 3)).astype(np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return buf.getvalue()


def _frames(data: bytes) -> list[bytes]:
    with av.open(io.BytesIO(data), format="h264") as c:
        return [f.to_ndarray().tobytes() for f in c.decode(video=0)]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_parameter_sets_keep_their_bytes_and_lose_what_follows(name: str) -> None:
    data = _stream(*VARIANTS[name])
    chroma: dict[int, int] = {}
    units = [(s, e) for s, e in nal.annexb(data) if data[s] & 0x1F in (7, 8)]
    assert len(units) == 2
    for s, e in units:  # the real units come back as they are (SPS first, as streams have)
        assert tidy(data[s:e], chroma) == data[s:e]
    dirty = bytearray(data)
    for s, e in reversed(units):
        dirty[e:e] = b"MARKER_PSTAIL" if data[s] & 0x1F == 7 else b""
    planted = bytes(dirty)
    assert b"MARKER_PSTAIL" in planted
    cleaned = bytearray(planted)
    assert nal.PS_TAIL in nal.scrub(cleaned, nal.H264, None)  # (and x264's banner SEI)
    assert b"MARKER_PSTAIL" not in cleaned and len(cleaned) == len(planted)
    assert _frames(bytes(cleaned)) == _frames(data)


def test_a_parameter_set_that_cannot_be_read_is_refused() -> None:
    """Found by the red team: a PPS whose fields cannot be walked (here its 8x8 scaling
    lists, whose number only its SPS tells, when no SPS came first) was kept whole, with
    whatever followed its fields; now the file is refused."""
    data = _stream(*VARIANTS["high with scaling lists"])
    [(s, e)] = [(s, e) for s, e in nal.annexb(data) if data[s] & 0x1F == 8]
    unit = data[s:e] + b"MARKER_PPSTAIL\x80"
    with pytest.raises(PsError, match="SPS not seen"):
        tidy(unit, {})
    with pytest.raises(CorruptFile, match="cannot be read"):
        nal.tidy(nal.H264, unit, {})
    sps = next((a, b) for a, b in nal.annexb(data) if data[a] & 0x1F == 7)
    chroma: dict[int, int] = {}
    tidy(data[sps[0] : sps[1]], chroma)  # with its SPS seen, the tail is zeroed
    assert b"MARKER" not in tidy(unit, chroma)
