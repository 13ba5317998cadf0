"""AVI hiding places (issue 13): a unique marker planted in each, then a real consented export
must leave no trace of it, exiftool must read none, decoded frames must be identical and the
byte accounting must close."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from witness import Witness

from share_guard.core.containers import Source, detect
from share_guard.core.containers.ledger import Unaccounted
from share_guard.core.inspect import inspect
from tests.checks import assert_witness_clean, export_consented
from tests.leak_video_fixtures import Avi, encoded, jpeg_with_exif, text_strl
from tests.leakscan import assert_no_markers, leaked_markers
from tests.video_fixtures import decoded, riff_chunk, riff_list


def _sei_annexb(marker: str) -> bytes:
    payload = b"\x22" * 16 + marker.encode()
    return b"\x00\x00\x00\x01\x06\x05" + bytes([len(payload)]) + payload + b"\x80"


Rows = dict[str, tuple[Callable[[list[bytes], str], Avi], str]]
ROWS: Rows = {
    "JUNK inside movi": (lambda f, m: Avi(f, movi_extra=[riff_chunk(b"JUNK", m.encode())]),
                         "mjpeg"),
    "GPS-log chunk inside movi": (lambda f, m: Avi(f, movi_extra=[riff_chunk(
        b"gps0", f"$GPRMC,{m},4851.29,N,00217.56,E".encode())]), "mjpeg"),
    "unknown chunk inside movi": (lambda f, m: Avi(f, movi_extra=[riff_chunk(b"zz9x", m.encode())]),
                                  "mjpeg"),
    "text stream": (lambda f, m: Avi(f, extra_strl=[text_strl()], movi_extra=[riff_chunk(
        b"01tx", b"GAB2\0" + m.encode())]), "mjpeg"),
    "chunk of a stream that does not exist": (lambda f, m: Avi(f, movi_extra=[riff_chunk(
        b"05dc", m.encode())]), "mjpeg"),
    "extra odml chunk": (lambda f, m: Avi(f, odml_extra=riff_chunk(b"xtra", m.encode())),
                         "mjpeg"),
    "dmlh reserved bytes": (lambda f, m: Avi(f, dmlh_reserved=m.encode().ljust(244, b"\0")),
                            "mjpeg"),
    "avih reserved words": (lambda f, m: Avi(f, avih_reserved=m.encode()[:16].ljust(16, b"R")),
                            "mjpeg"),
    "bytes after the BITMAPINFOHEADER": (lambda f, m: Avi(f, strf_extra=m.encode()), "mjpeg"),
    "strd, strn, IDIT, INFO, XMP": (lambda f, m: Avi(
        f, strl_extra=riff_chunk(b"strd", f"AVIF{m}_D".encode()) + riff_chunk(
            b"strn", f"{m}_N".encode()),
        hdrl_extra=riff_chunk(b"IDIT", f"{m}_DATE".encode()),
        top_extra=riff_list(b"INFO", [riff_chunk(b"IART", f"{m}_ART".encode())])
        + riff_chunk(b"_PMX", f"<x:xmpmeta>{m}_XMP</x:xmpmeta>".encode())), "mjpeg"),
    "stray idx1 entry": (lambda f, m: Avi(f, idx1_extra=m.encode()[:16].ljust(16, b"I")),
                         "mjpeg"),
    "data after the RIFF": (lambda f, m: Avi(f, after=f"TAIL{m}".encode()), "mjpeg"),
    "Motion-JPEG EXIF and comments": (lambda f, m: Avi(
        [jpeg_with_exif(i, m, f"{m}_COM") for i in range(len(f))]), "mjpeg"),
    "SEI user data in H.264 frames": (lambda f, m: Avi(
        [_sei_annexb(m) + x if i in (0, 2) else x for i, x in enumerate(f)], fourcc=b"H264"),
        "x264"),
}


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[bytes]]:
    tmp = tmp_path_factory.mktemp("avi_coded")
    return {k: [p for p, _ in encoded(tmp, v, container="avi").frames]
            for k, v in (("mjpeg", "mjpeg"), ("x264", "libx264"))}


@pytest.mark.parametrize("row", sorted(ROWS))
def test_hiding_place_is_emptied(row: str, frames: dict[str, list[bytes]], tmp_path: Path,
                                 witness: Witness) -> None:
    build, codec = ROWS[row]
    marker = "AVI" + "".join(ch for ch in row.title() if ch.isalnum())[:11] + "Q7"
    path = tmp_path / "src" / "planted.avi"
    path.parent.mkdir()
    path.write_bytes(build(frames[codec], marker).build())
    markers = [marker, "Lavc"] if codec == "mjpeg" and "EXIF" not in row else [marker]
    if codec == "x264":
        markers.append("x264 - core")
    assert leaked_markers(path.read_bytes(), markers) == markers, "nothing was planted"
    before = inspect(path)
    assert before.understood, before.problems or before.error
    out = export_consented(path, tmp_path)
    assert out.stat().st_size == path.stat().st_size
    assert_no_markers(out, markers)
    assert_witness_clean(witness, out, markers)
    assert decoded(out) == decoded(path), "decoded frames changed"
    totals = detect(out.read_bytes()[:16]).account(Source(out)).close()
    assert totals.size == out.stat().st_size


def test_ledger_refuses_a_tampered_copy(frames: dict[str, list[bytes]], tmp_path: Path) -> None:
    path = tmp_path / "src" / "p.avi"
    path.parent.mkdir()
    path.write_bytes(Avi(frames["mjpeg"], movi_extra=[riff_chunk(b"JUNK", bytes(32))]).build())
    out = export_consented(path, tmp_path)
    data = out.read_bytes()
    handler = detect(data[:16])
    junk = data.rfind(b"JUNK \x00\x00\x00")
    idx1 = data.rfind(b"idx1")
    for spot, value in ((junk + 10, b"\x07"), (len(data) - 20, b"Z"), (idx1 + 16, b"\x11"),
                        (32 + 44, b"\x01")):  # a JUNK payload, a frame's scan, idx1, avih
        bad = bytearray(data)
        bad[spot : spot + 1] = value
        copy = tmp_path / "bad.avi"
        copy.write_bytes(bytes(bad))
        with pytest.raises(Unaccounted):
            handler.account(Source(copy)).close()


def test_text_stream_chunks_index_stays_consistent(frames: dict[str, list[bytes]],
                                                   tmp_path: Path) -> None:
    path = tmp_path / "src" / "t.avi"
    path.parent.mkdir()
    path.write_bytes(ROWS["text stream"][0](frames["mjpeg"], "AVITXTQ7").build())
    out = export_consented(path, tmp_path)
    data = out.read_bytes()
    idx1 = data.rfind(b"idx1")
    size = struct.unpack_from("<I", data, idx1 + 4)[0]
    entries = [data[idx1 + 8 + i : idx1 + 24 + i] for i in range(0, size, 16)]
    assert entries[-1] == b"JUNK" + bytes(12)  # the text chunk's entry is neutral
    assert all(e[:4] == b"00dc" for e in entries[:-1])
