"""Matroska clusters are walked where they lie: a clean and its proof read headers, not movies.

Cleaning a 1 GB MKV used to read every cluster whole three times (planning, re-inspecting
the copy, accounting for it). Now element and block headers, NAL length fields and NAL
header bytes are read through :class:`FileView`; these tests count the bytes read and
check that what hides inside large frames is still found and neutralised.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import av
import numpy as np
import pytest

from share_guard.core.containers import Source, _ebml, detect, file_view
from share_guard.core.containers._ebml import EbmlFile
from share_guard.core.containers.file_view import FileView
from share_guard.core.errors import CorruptFile
from share_guard.core.inspect import inspect
from tests.checks import export_consented
from tests.leak_video_fixtures import Coded, Mkv
from tests.leakscan import assert_no_markers, leaked_markers
from tests.video_fixtures import decoded, ebml


def _sei(marker: str) -> bytes:
    payload = b"\x11" * 16 + marker.encode()
    body = b"\x06\x05" + bytes([len(payload)]) + payload + b"\x80"
    return struct.pack(">I", len(body)) + body


def _unknown_nal(marker: str) -> bytes:
    body = b"\x18" + marker.encode() + b"\x80"
    return struct.pack(">I", len(body)) + body


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Coded:
    """Six 640x360 frames of lossless noise (about 400 KB each), as x264 wrote them."""
    path = tmp_path_factory.mktemp("large") / "noise.mkv"
    rng = np.random.default_rng(7)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=10)
        vs.width, vs.height, vs.pix_fmt = 640, 360, "yuv420p"
        vs.codec_context.options = {"preset": "ultrafast", "qp": "0"}
        for i in range(6):
            img = rng.integers(0, 255, (360, 640, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode(None):
            out.mux(packet)
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        private = bytes(stream.codec_context.extradata or b"")
        packets = [(bytes(p), bool(p.is_keyframe)) for p in c.demux(stream) if p.size]
    return Coded("V_MPEG4/ISO/AVC", private, packets, 640, 360)


def _planted(large: Coded, tmp_path: Path, marker: str) -> Path:
    """Markers deep inside large frames: an SEI after a frame's slices, an unknown NAL unit
    at the end of another, one in a Void of a block group (the second frame's)."""
    def hook(i: int, frame: bytes) -> bytes:
        return (frame + _sei(f"{marker}_SEI") if i == 3 else
                frame + _unknown_nal(f"{marker}_NAL") if i == 4 else frame)
    path = tmp_path / "src" / "large.mkv"
    path.parent.mkdir()
    path.write_bytes(Mkv(large, frame_hook=hook,
                         group_extra=ebml(0xEC, f"{marker}_VOID".encode())).build())
    return path


def test_clean_and_proof_read_a_small_part_of_the_movie(large: Coded, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    marker = "LAZYMKVQ7"
    path = _planted(large, tmp_path, marker)
    size = path.stat().st_size
    assert min(len(f) for f, _ in large.frames) > 100_000, "frames are not large"
    markers = [f"{marker}_SEI", f"{marker}_NAL", f"{marker}_VOID"]
    assert leaked_markers(path.read_bytes(), markers) == markers

    read = [0]
    real_pread, real_read = file_view.pread, EbmlFile.read

    def counting_pread(fd: int, n: int, at: int) -> bytes:
        data = real_pread(fd, n, at)
        read[0] += len(data)
        return data

    def counting_read(self: EbmlFile, offset: int, length: int) -> bytes:
        read[0] += length
        return real_read(self, offset, length)

    monkeypatch.setattr(file_view, "pread", counting_pread)
    monkeypatch.setattr(EbmlFile, "read", counting_read)
    monkeypatch.setattr(_ebml, "READ_AT_ONCE", 0)  # read as a movie too large to read whole
    out = export_consented(path, tmp_path)  # plan, copy, re-inspection and byte accounting
    walked = read[0]
    monkeypatch.undo()

    # the original is planned (twice in process: inspect, then strip), the copy re-inspected
    # and accounted for: four walks, that read whole clusters before (4 x the file); now
    # headers, the units that hide something and a text sample of each kind found
    assert walked < size // 8, f"{walked} bytes read for a {size}-byte movie"
    assert out.stat().st_size == size
    assert_no_markers(out, markers)
    assert decoded(out) == decoded(path)
    totals = detect(out.read_bytes()[:64]).account(Source(out)).close()
    assert totals.size == size


def test_inspect_names_what_large_frames_hide(large: Coded, tmp_path: Path) -> None:
    found = {(f.name, f.value) for f in inspect(_planted(large, tmp_path, "LAZYNAMEQ7")).findings}
    names = " | ".join(n for n, _ in found)
    assert "SEI user data" in names and "unspecified NAL unit type 24" in names, names
    # the sample is the text of the units neutralised, wherever they sit in the frame
    assert any("LAZYNAMEQ7_NAL" in v for _, v in found), found


def test_a_long_lace_header_is_read_past_the_first_bytes(large: Coded, tmp_path: Path) -> None:
    """150 Xiph-laced frames (149 of filler, 304 bytes each; an SEI): their sizes take 298
    bytes, more than the first bytes of a block read with its header."""
    filler = b"\x0c" + b"\xff" * 298 + b"\x80"
    frames = [struct.pack(">I", len(filler)) + filler] * 149 + [_sei("LACEMKVQ7")]
    head = bytes([0x81]) + struct.pack(">h", 900) + bytes([0x80 | 1 << 1, len(frames) - 1])
    for f in frames[:-1]:
        head += b"\xff" * (len(f) // 255) + bytes([len(f) % 255])
    assert len(head) > 256
    path = tmp_path / "src" / "laced.mkv"
    path.parent.mkdir()
    path.write_bytes(Mkv(large, extra_blocks=[head + b"".join(frames)]).build())
    out = export_consented(path, tmp_path)
    assert_no_markers(out, ["LACEMKVQ7"])
    assert out.read_bytes().count(filler) == 149


def test_file_view_reads_like_bytes(tmp_path: Path) -> None:
    data = os.urandom(3 * FileView.BLOCK + 123)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        for view in (FileView(fh, len(data)), FileView(io.BytesIO(data), len(data))):  # type: ignore[arg-type]
            assert len(view) == len(data)
            for at in (0, 1, FileView.BLOCK - 3, FileView.BLOCK, 2 * FileView.BLOCK - 1,
                       len(data) - 1):
                assert view[at] == data[at]
                for n in (1, 5, 12, 256, 257, 10_000):
                    assert view[at : at + n] == data[at : at + n]
            assert view[len(data) : len(data) + 4] == b""
            with pytest.raises(IndexError):
                view[len(data)]
        short = FileView(fh, len(data) + 10)  # the file shrank after it was measured
        with pytest.raises(CorruptFile):
            short[len(data) - 2 : len(data) + 4]
        with pytest.raises(CorruptFile):
            short[len(data) + 1]
