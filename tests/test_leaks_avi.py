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


def _audio_strl(tag: int, extra: bytes) -> bytes:
    """An audio stream (no chunks) whose WAVEFORMATEX declares ``extra`` as its extra bytes."""
    strh = struct.pack("<4s4sIHHIIIIIIII4h", b"auds", bytes(4), 0, 0, 0, 0, 1, 48000, 0, 0, 0,
                       0xFFFFFFFF, 2, 0, 0, 0, 0)
    fmt = struct.pack("<HHIIHHH", tag, 1, 48000, 96000, 2, 16, len(extra)) + extra
    return riff_list(b"strl", [riff_chunk(b"strh", strh), riff_chunk(b"strf", fmt)])


def _vprp(tail: bytes) -> bytes:
    body = struct.pack("<9I", 0, 0, 10, 64, 48, 0x00040003, 64, 48, 1)
    return riff_chunk(b"vprp", body + struct.pack("<8I", 48, 64, 48, 64, 0, 0, 0, 0) + tail)


def _user_data(frames: list[bytes], marker: str) -> list[bytes]:
    """MPEG-4 Part 2 frames with a user-data field (where encoders write their name) before
    the first picture."""
    first = frames[0]
    at = first.index(b"\x00\x00\x01\xb6")
    return [first[:at] + b"\x00\x00\x01\xb2" + marker.encode() + first[at:], *frames[1:]]


Rows = dict[str, tuple[Callable[[list[bytes], str], Avi], str]]
ROWS: Rows = {
    # found by the red team
    "PCM audio format with extra bytes": (lambda f, m: Avi(f, extra_strl=[_audio_strl(
        1, m.encode().ljust(18, b"_"))]), "mjpeg"),
    "AAC configuration with bytes after it": (lambda f, m: Avi(f, extra_strl=[_audio_strl(
        0xFF, b"\x11\x90" + m.encode())]), "mjpeg"),
    "bytes after the video properties": (lambda f, m: Avi(
        f, strl_extra=_vprp(m.encode().ljust(16, b"_"))), "mjpeg"),
    "SEI in the H.264 extradata": (lambda f, m: Avi(f, fourcc=b"H264",
                                                     extradata=_sei_annexb(m) + b"\0"), "x264"),
    "header hints that spell text": (lambda f, m: Avi(f, fields=[
        (b"strh", 12, m.encode()[:4]), (b"avih", 4, m.encode()[4:12]),
        (b"strf", 24, m.encode()[12:16])]), "mjpeg"),
    "MPEG-4 Part 2 user data": (lambda f, m: Avi(_user_data(f, m), fourcc=b"FMP4"), "mpeg4"),
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
            for k, v in (("mjpeg", "mjpeg"), ("x264", "libx264"), ("mpeg4", "mpeg4"))}


@pytest.mark.parametrize("row", sorted(ROWS))
def test_hiding_place_is_emptied(row: str, frames: dict[str, list[bytes]], tmp_path: Path,
                                 witness: Witness) -> None:
    build, codec = ROWS[row]
    marker = "AVI" + "".join(ch for ch in row.title() if ch.isalnum())[:11] + "Q7"
    path = tmp_path / "src" / "planted.avi"
    path.parent.mkdir()
    path.write_bytes(build(frames[codec], marker).build())
    markers = [marker, "Lavc"] if codec in ("mjpeg", "mpeg4") and "EXIF" not in row else \
        [marker]
    if row == "header hints that spell text":  # in three places: look for each part
        markers = [marker[:4], marker[4:12], marker[12:16]]
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


def test_aac_frames_lose_their_fill_and_data_elements(tmp_path: Path, witness: Witness) -> None:
    """Found by the red team: AAC in AVI kept libavcodec's banner (a fill element opening the
    first frame) and data-stream elements holding anything; audio decodes the same."""
    from tests.leak_video_fixtures import aac_with_data_element
    from tests.video_fixtures import frame_md5s, make_video

    plain = make_video(tmp_path / "a.avi", container="avi", vcodec="libx264", acodec="aac")
    planted = aac_with_data_element(plain.read_bytes(), "avi", b"AVIAACDSEMRKQ7")
    path = tmp_path / "src" / "aac.avi"
    path.parent.mkdir()
    path.write_bytes(planted)
    markers = ["AVIAACDSEMRKQ7", "Lavc"]
    assert leaked_markers(path.read_bytes(), markers) == markers
    before = frame_md5s(path)
    out = export_consented(path, tmp_path)
    assert_no_markers(out, markers)
    assert_witness_clean(witness, out, markers)
    assert frame_md5s(out) == before


def test_palette_entries_no_pixel_uses_are_blanked(tmp_path: Path, witness: Witness) -> None:
    """Found by the red team: raw 8-bit video kept its whole palette; the entries no pixel of
    any frame uses are blank now, and every frame shows the same colours."""
    import numpy as np

    y, x = np.mgrid[0:48, 0:64]
    frames = [((x // 4 + y // 3 + i) % 16).astype(np.uint8).tobytes() for i in range(3)]
    palette = b"".join(bytes([i * 16, 255 - i * 16, i * 8, 0]) for i in range(16))
    marker = "AVIPALETTEMARKQ7"
    palette += marker.encode().ljust(4 * 240, b"_")
    avi = Avi(frames, fourcc=b"\0\0\0\0", extradata=palette,
              fields=[(b"strf", 14, b"\x08\x00"), (b"strf", 32, struct.pack("<I", 256))])
    path = tmp_path / "src" / "pal.avi"
    path.parent.mkdir()
    path.write_bytes(avi.build())
    assert leaked_markers(path.read_bytes(), [marker]) == [marker]

    def shown(p: Path) -> list[bytes]:
        import av

        with av.open(str(p)) as c:
            return [f.to_ndarray(format="rgb24").tobytes() for f in c.decode(video=0)]

    out = export_consented(path, tmp_path)
    assert_no_markers(out, [marker])
    assert_witness_clean(witness, out, [marker])
    assert shown(out) == shown(path)
