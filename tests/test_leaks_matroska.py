"""Matroska/WebM hiding places (issue 13): a unique marker planted in each, then a real
consented export must leave no trace of it (raw, UTF-16, hex, zlib), exiftool must read
none, decoded frames must be identical, and the byte accounting must close."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from witness import Witness

from share_guard.core.containers import Source, detect
from share_guard.core.containers import matroska as matroska_module
from share_guard.core.containers.ledger import Ledger, Unaccounted
from share_guard.core.containers.matroska_codecs import account_private, clean_private
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.inspect import inspect
from tests.checks import assert_witness_clean, clean_files, consent_yes, export_consented
from tests.leak_video_fixtures import Coded, Mkv, block, encoded, jpeg_with_exif
from tests.leakscan import assert_no_markers, leaked_markers
from tests.video_fixtures import decoded, ebml, tiny_jpeg


def _sei(marker: str) -> bytes:
    """A length-prefixed SEI user_data_unregistered NAL unit carrying ``marker``."""
    payload = b"\x11" * 16 + marker.encode()
    body = b"\x06\x05" + bytes([len(payload)]) + payload + b"\x80"
    return struct.pack(">I", len(body)) + body


def _units(frame: bytes) -> list[bytes]:
    """The length-prefixed NAL units of an x264 frame, each with its length field."""
    units, pos = [], 0
    while pos < len(frame):
        size = struct.unpack_from(">I", frame, pos)[0]
        units.append(frame[pos : pos + 4 + size])
        pos += 4 + size
    return units


def _between_slices(frame: bytes, unit: bytes) -> bytes:
    """``unit`` after the first NAL unit of ``frame`` (x264 without threads: between its SEI or
    delimiter and the slice, or between slices)."""
    units = _units(frame)
    return b"".join(units[:1]) + unit + b"".join(units[1:])


def _unknown_nal(marker: str) -> bytes:
    """An H.264 NAL unit of unspecified type 24 (decoders skip it) carrying ``marker``."""
    body = b"\x18" + marker.encode() + b"\x80"
    return struct.pack(">I", len(body)) + body


def _ebml_vint(value: int, signed: bool = False) -> bytes:
    for n in range(1, 9):
        bias = (1 << (7 * n - 1)) - 1 if signed else 0
        if 0 <= value + bias < (1 << (7 * n)) - 1:
            return ((1 << (7 * n)) | (value + bias)).to_bytes(n, "big")
    raise ValueError(value)


def _laced(frames: list[bytes], lacing: str) -> bytes:
    """A SimpleBlock of track 1 holding ``frames`` laced the Xiph, EBML or fixed way."""
    kind = {"xiph": 1, "fixed": 2, "ebml": 3}[lacing]
    head = bytes([0x81]) + struct.pack(">h", 700) + bytes([0x80 | kind << 1, len(frames) - 1])
    if lacing == "xiph":
        for f in frames[:-1]:
            head += b"\xff" * (len(f) // 255) + bytes([len(f) % 255])
    elif lacing == "ebml":
        head += _ebml_vint(len(frames[0]))
        for a, b in zip(frames, frames[1:-1], strict=False):
            head += _ebml_vint(len(b) - len(a), signed=True)
    return head + b"".join(frames)


def _key_copies(c: Coded, m: str, lacing: str) -> Mkv:
    """The first (key) frame three more times in one laced block, the marker in an SEI of the
    second (and, fixed lacing needing equal sizes, of all three)."""
    first = c.frames[0][0]
    marked = _between_slices(first, _sei(m))
    frames = [marked] * 3 if lacing == "fixed" else [first, marked, first + _sei(m + "L")]
    return Mkv(c, extra_blocks=[_laced(frames, lacing)])


def _subtitle_track(marker: str) -> bytes:
    header = f"[Script Info]\nTitle: {marker}_HDR\n".encode()
    return ebml(0xAE, ebml(0xD7, b"\x02") + ebml(0x73C5, b"\x02") + ebml(0x83, b"\x11")
                + ebml(0x86, b"S_TEXT/ASS") + ebml(0x63A2, header))


def _tags(marker: str) -> bytes:
    return ebml(0x1254C367, ebml(0x7373, ebml(0x63C0, b"") + ebml(0x67C8, ebml(
        0x45A3, b"ARTIST") + ebml(0x4487, marker.encode()))))


def _metadata_obu(marker: str) -> bytes:
    payload = bytes([4, 0xB5, 0, 0x3B]) + marker.encode() + b"\x80"  # ITU-T T.35
    return bytes([(5 << 3) | 0x02, len(payload)]) + payload


def _after_sequence_header(frame: bytes, obu: bytes) -> bytes:
    """Found by the red team: AV1 metadata OBUs went through Matroska untouched."""
    if (frame[0] >> 3) & 0xF != 1:
        return obu + frame
    size, shift, pos = 0, 0, 1
    while True:
        size |= (frame[pos] & 0x7F) << shift
        shift, pos = shift + 7, pos + 1
        if not frame[pos - 1] & 0x80:
            break
    return frame[: pos + size] + obu + frame[pos + size :]


def _av1c_with(c: Coded, marker: str) -> Coded:
    return dataclasses.replace(c, private=c.private[:4] + _metadata_obu(marker))


ROWS: dict[str, tuple[Callable[[Coded, str], Mkv], str]] = {
    # found by the red team: kept numbers and floats whose bytes spell text
    "flags and numbers that spell text": (lambda c, m: Mkv(
        c, entry_extra=ebml(0xB9, m.encode()[:8]) + ebml(0x6DF8, m.encode()[8:16])), "x264"),
    "a duration with more digits than it needs": (lambda c, m: Mkv(
        c, info_extra=ebml(0x4489, b"@" + m.encode()[:7])), "x264"),
    "mastering display floats that spell text": (lambda c, m: Mkv(
        c, video_extra=ebml(0x55B0, ebml(0x55B1, b"\x09") + ebml(0x55D0, ebml(
            0x55D1, b"?" + m.encode()[:7]) + ebml(0x55D2, struct.pack(">f", 0.3))))), "x264"),
    "projection data of a flat picture": (lambda c, m: Mkv(
        c, video_extra=ebml(0x7670, ebml(0x7671, b"\x00") + ebml(0x7672, bytes(4)
                                                                + m.encode()[:16]))), "x264"),
    "AV1 metadata OBU in frames": (lambda c, m: Mkv(
        c, frame_hook=lambda i, f: _after_sequence_header(f, _metadata_obu(m))), "av1"),
    "AV1 metadata OBU in the codec header": (lambda c, m: Mkv(_av1c_with(c, m)), "av1"),
    "subtitle track and its header": (lambda c, m: Mkv(
        c, tracks_extra=_subtitle_track(m), extra_blocks=[block(2, 0, f"{m}_TEXT".encode())]),
        "x264"),
    "codec settings and URLs": (lambda c, m: Mkv(
        c, entry_extra=ebml(0x3A9697, f"{m} --crf 18".encode())
        + ebml(0x3B4040, f"https://{m}.example/info".encode())
        + ebml(0x26B240, f"https://{m}.example/dl".encode())), "x264"),
    "block additions": (lambda c, m: Mkv(
        c, group_extra=ebml(0x75A1, ebml(0xA6, ebml(0xEE, b"\x02") + ebml(0xA5, m.encode())))),
        "x264"),
    "segment IDs": (lambda c, m: Mkv(
        c, info_extra=ebml(0x73A4, m.encode()[:16].ljust(16, b"U"))
        + ebml(0x3CB923, (m + "P").encode()[:16].ljust(16, b"P"))
        + ebml(0x3EB923, (m + "N").encode()[:16].ljust(16, b"N"))
        + ebml(0x4444, (m + "F").encode()[:16].ljust(16, b"F"))), "x264"),
    "void and unknown in the EBML header": (lambda c, m: Mkv(
        c, ebml_extra=ebml(0xEC, f"{m}_VOID".encode()) + ebml(0x4FFF, f"{m}_UNK".encode())),
        "x264"),
    "void and unknown in the SeekHead": (lambda c, m: Mkv(
        c, seekhead_extra=ebml(0xEC, f"{m}_VOID".encode()) + ebml(0x4DCC, f"{m}_U".encode())),
        "x264"),
    "void and unknown in a cluster": (lambda c, m: Mkv(
        c, cluster_extra=ebml(0xEC, f"{m}_VOID".encode()) + ebml(0x4DCC, f"{m}_U".encode())),
        "x264"),
    "unknown level-1 element": (lambda c, m: Mkv(c, level1_extra=ebml(0x1A2B3C4D, m.encode())),
                                "x264"),
    "second EBML header and segment": (lambda c, m: Mkv(
        c, after=Mkv(c, info_extra=ebml(0x7BA9, m.encode())).build()), "x264"),
    "title, date, apps, track name, tags": (lambda c, m: Mkv(
        c, info_extra=ebml(0x7BA9, f"{m}_TITLE".encode()) + ebml(0x4461, bytes(8)),
        entry_extra=ebml(0x536E, f"{m}_NAME".encode()) + ebml(0x258688, f"{m}_CN".encode()),
        level1_extra=_tags(f"{m}_TAG")), "x264"),
    "attachment": (lambda c, m: Mkv(c, level1_extra=ebml(0x1941A469, ebml(0x61A7, ebml(
        0x466E, f"{m}.jpg".encode()) + ebml(0x4660, b"image/jpeg") + ebml(0x465C, tiny_jpeg())
        + ebml(0x46AE, b"\x01")))), "x264"),
    "SEI user data in frames": (lambda c, m: Mkv(
        c, frame_hook=lambda i, f: _sei(m) + f if i in (0, 3) else f), "x264"),
    "SEI user data between the units of a frame": (lambda c, m: Mkv(
        c, frame_hook=lambda i, f: _between_slices(f, _sei(m)) if i == 2 else f), "x264"),
    "unknown NAL unit after a frame's slices": (lambda c, m: Mkv(
        c, frame_hook=lambda i, f: f + _unknown_nal(m) if i == 4 else f), "x264"),
    "SEI user data in a Xiph-laced block": (lambda c, m: _key_copies(c, m, "xiph"), "x264"),
    "SEI user data in an EBML-laced block": (lambda c, m: _key_copies(c, m, "ebml"), "x264"),
    "SEI user data in a fixed-laced block": (lambda c, m: _key_copies(c, m, "fixed"), "x264"),
    "void in a block group": (lambda c, m: Mkv(c, group_extra=ebml(0xEC, f"{m}_GV".encode())),
                              "x264"),
    "hidden text after codes": (lambda c, m: Mkv(
        c, codec_id=f"{c.codec_id}\0{m}", language=f"eng\0{m}L".encode()), "x264"),
    "blocks of a track that does not exist": (lambda c, m: Mkv(
        c, extra_blocks=[block(9, 0, m.encode())]), "x264"),
    "data track (GPS)": (lambda c, m: Mkv(c, tracks_extra=ebml(0xAE, ebml(0xD7, b"\x03") + ebml(
        0x83, b"\x21") + ebml(0x86, b"D_GPS")), extra_blocks=[block(3, 0, f"{m} 48.85,2.29".encode())]),
        "x264"),
    "data after the last element": (lambda c, m: Mkv(c, after=f"\0\0{m}".encode()), "x264"),
    "unknown element in the track entry and Info": (lambda c, m: Mkv(
        c, entry_extra=ebml(0x55FF, f"{m}_T".encode()), info_extra=ebml(0x7FF1, f"{m}_I".encode())),
        "x264"),
    "x265 settings in the hvcC header": (lambda c, m: Mkv(c), "x265"),
    "Motion-JPEG EXIF and comments": (lambda c, m: Mkv(
        c, frame_hook=lambda i, f: jpeg_with_exif(i, m, f"{m}_COM")), "mjpeg"),
}
#: rows whose planted data a player would show: the clean copy plays like this file
SHOWN_WITHOUT: dict[str, Callable[[Coded], Mkv]] = {
    "second EBML header and segment": lambda c: Mkv(c),
}
CODECS = {"x264": "libx264", "x265": "libx265", "mjpeg": "mjpeg", "av1": "libsvtav1"}


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Coded]:
    tmp = tmp_path_factory.mktemp("coded")
    return {k: encoded(tmp, v) for k, v in CODECS.items()}


@pytest.mark.parametrize("row", sorted(ROWS))
def test_hiding_place_is_emptied(row: str, coded: dict[str, Coded], tmp_path: Path,
                                 witness: Witness) -> None:
    build, codec = ROWS[row]
    marker = "MKV" + "".join(ch for ch in row.title() if ch.isalnum())[:12] + "Q7"
    room = {"flags and numbers that spell text": 8, "a duration with more digits than it "
            "needs": 7, "mastering display floats that spell text": 7,
            "projection data of a flat picture": 16}.get(row)
    if room:  # planted in fixed-size fields: look for the part that fits
        marker = marker[:room]
    path = tmp_path / "src" / "planted.mkv"
    path.parent.mkdir()
    path.write_bytes(build(coded[codec], marker).build())
    markers = [marker] if codec != "x265" else ["x265 (build", "Copyright"]
    if codec == "x264" and "SEI" not in row:
        markers.append("x264 - core")  # the encoder banner in the first frame
    assert leaked_markers(path.read_bytes(), markers) == markers, "nothing was planted"
    before = inspect(path)
    assert before.understood, before.problems or before.error
    assert before.findings, "inspect names nothing"
    out = export_consented(path, tmp_path)
    assert out.stat().st_size == path.stat().st_size
    assert_no_markers(out, markers)
    assert_witness_clean(witness, out, markers)
    reference = path
    if row in SHOWN_WITHOUT:  # ffmpeg also plays a second segment: removing it is the point
        reference = tmp_path / "reference.mkv"
        reference.write_bytes(SHOWN_WITHOUT[row](coded[codec]).build())
    assert decoded(out) == decoded(reference), "decoded frames changed"
    totals = detect(out.read_bytes()[:64]).account(Source(out)).close()
    assert totals.size == out.stat().st_size


def test_inspect_names_the_places(coded: dict[str, Coded], tmp_path: Path) -> None:
    mkv = ROWS["SEI user data in frames"][0](coded["x264"], "MKVSEIMARKER")
    mkv.info_extra = ebml(0x73A4, b"0123456789abcdef")
    path = tmp_path / "p.mkv"
    path.write_bytes(mkv.build())
    found = {(f.name, f.value) for f in inspect(path).findings}
    assert any(n == "SegmentUID" and v == b"0123456789abcdef".hex() for n, v in found)
    assert any("SEI user data" in n and "x264 - core" in v for n, v in found)


def test_ledger_refuses_a_tampered_copy(coded: dict[str, Coded], tmp_path: Path) -> None:
    path = tmp_path / "src" / "p.mkv"
    path.parent.mkdir()
    path.write_bytes(Mkv(coded["x264"], cluster_extra=ebml(0xEC, b"\x01\x02\x03" * 8)).build())
    out = export_consented(path, tmp_path)
    data = bytearray(out.read_bytes())
    void = data.rfind(b"\xec\x01\x00\x00\x00\x00\x00\x00\x18")
    assert void > 0
    handler = detect(bytes(data[:64]))
    for spot, value in ((void + 12, b"\x05"), (len(data) - 1, b"X")):
        bad = bytearray(data)
        bad[spot : spot + 1] = value
        copy = tmp_path / "bad.mkv"
        copy.write_bytes(bytes(bad))
        with pytest.raises(Unaccounted):
            handler.account(Source(copy)).close()


def test_verifier_refuses_what_strip_left(coded: dict[str, Coded], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Binary leftovers in a Void do not read as text, so only the ledger can catch them."""
    path = tmp_path / "p.mkv"
    path.write_bytes(Mkv(coded["x264"], level1_extra=ebml(0xEC, b"\x01\x02\x03" * 8)).build())
    monkeypatch.setattr(matroska_module, "_void", lambda *a: None)
    (tmp_path / "o").mkdir()
    [result] = clean_files([path], ExportOptions(output_dir=tmp_path / "o"),
                            consent=consent_yes)
    assert not result.ok and "account" in (result.reason or ""), result.reason
    assert not list((tmp_path / "o").iterdir())


def _xiph(packets: list[bytes]) -> bytes:
    laced = b"".join(b"\xff" * (len(p) // 255) + bytes([len(p) % 255]) for p in packets[:-1])
    return b"\x02" + laced + b"".join(packets)


def test_vorbis_and_flac_headers_keep_their_size_and_lose_their_text() -> None:
    comment = (b"\x03vorbis" + struct.pack("<I", 9) + b"Lavf60.1x" + struct.pack("<I", 1)
               + struct.pack("<I", 21) + b"ARTIST=MKVVORBISQ7 Jo" + b"\x01")
    vorbis = _xiph([b"\x01vorbis" + bytes(23), comment, b"\x05vorbis" + b"\x42" * 40])
    flac = (b"fLaC" + b"\x00\x00\x00\x22" + b"\x10" * 34 + b"\x84\x00\x00\x10"
            + b"MKVFLACCOMMENTQ7")
    for codec, data, marker in (("A_VORBIS", vorbis, "MKVVORBISQ7"), ("A_FLAC", flac,
                                                                       "MKVFLACCOMMENTQ7")):
        clean, found = clean_private(codec, data)
        assert len(clean) == len(data) and found
        assert_no_markers(clean, [marker, "Lavf"])
        ledger = Ledger(len(clean))
        account_private(codec, clean, ledger, 0, codec)
        ledger.close()
        dirty = Ledger(len(data))
        account_private(codec, data, dirty, 0, codec)
        with pytest.raises(Unaccounted):
            dirty.close()


def test_flac_padding_blocks_are_kept_and_not_reported() -> None:
    """Found by the red team: a FLAC header with a PADDING block (what the flac tool writes)
    was reported as metadata again after cleaning, so the verifier refused the copy."""
    streaminfo = bytes(34)
    padding = bytes(64)
    data = (b"fLaC" + b"\x00" + len(streaminfo).to_bytes(3, "big") + streaminfo
            + b"\x81" + len(padding).to_bytes(3, "big") + padding)
    clean, found = clean_private("A_FLAC", data)
    assert clean == data and found == []
    picture = b"\x06" + (12).to_bytes(3, "big") + b"MARKERFLACPX"
    tagged = data[:42] + picture + data[42:]
    clean, found = clean_private("A_FLAC", tagged)
    assert b"MARKERFLACPX" not in clean and found
    again, found = clean_private("A_FLAC", clean)
    assert again == clean and found == []
    ledger = Ledger(len(clean))
    account_private("A_FLAC", clean, ledger, 0, "FLAC header")
    ledger.close()
