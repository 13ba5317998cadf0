"""JPEG hiding places an attacker would try: each one planted with a unique marker, found by
inspect, gone from a real consented export (raw, UTF-16, hex, zlib; exiftool -ee), pixels
unchanged, every byte of the copy accounted for."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image
from witness import Witness

from share_guard.core.containers import jpeg_clean
from share_guard.core.containers.jpeg_segments import parse_jpeg
from share_guard.core.inspect import inspect
from tests.jpeg_fixtures import insert_after_soi, pixels, plain_jpeg, segment
from tests.leak_fixtures import export, export_checked, marker, profile_with


def base(progressive: bool = False) -> bytes:
    return plain_jpeg(pixels(64, 48, seed=5), progressive=progressive)


def insert_before(data: bytes, marker_byte: int, nth: int, *segments: bytes) -> bytes:
    """Insert ``segments`` before the ``nth`` segment with ``marker_byte``."""
    at = [s.start for s in parse_jpeg(data).segments if s.marker == marker_byte][nth]
    return data[:at] + b"".join(segments) + data[at:]


def icc_segments(profile: bytes, size: int) -> list[bytes]:
    parts = [profile[i : i + size] for i in range(0, len(profile), size)]
    return [segment(0xE2, b"ICC_PROFILE\x00" + bytes([i + 1, len(parts)]) + p)
            for i, p in enumerate(parts)]


def replace_jfif(data: bytes, payload: bytes) -> bytes:
    [jfif] = [s for s in parse_jpeg(data).segments if s.marker == 0xE0]
    return data[: jfif.start] + segment(0xE0, payload) + data[jfif.end :]


def spare_dht(text: bytes) -> bytes:
    counts = bytes(7) + bytes([len(text)]) + bytes(8)  # len(text) codes of 8 bits
    return segment(0xC4, bytes([0x13]) + counts + text)


M = {name: marker(f"jpeg-{name}") for name in (
    "icc", "icc-split", "icc-fake", "f8", "reserved", "dqt", "dht", "adobe", "jfif-tail",
    "jfif-thumb", "com-between-scans", "exif-between-scans", "trailer", "scan-tail",
    "scan-tail-progressive")}

# name -> (builder, finding name inspect must show, reference for pixels or None)
CASES: dict[str, tuple[Callable[[], bytes], str, Callable[[], bytes] | None]] = {
    "icc": (lambda: insert_after_soi(base(), *icc_segments(profile_with(M["icc"]), 60000)),
            "Colour profile description", None),
    "icc-split": (lambda: insert_after_soi(base(), *icc_segments(profile_with(M["icc-split"]),
                                                                  150)),
                  "Colour profile description", None),
    "icc-fake": (lambda: insert_after_soi(base(), segment(0xE2, b"ICC_PROFILE\x00\x01\x01"
                                                          + M["icc-fake"].encode() * 8)),
                 "Data behind a colour-profile signature", None),
    "f8": (lambda: insert_after_soi(base(), segment(0xF8, M["f8"].encode())),
           "Unknown segment 0xF8", base),
    "reserved": (lambda: insert_after_soi(base(), segment(0x4F, M["reserved"].encode())),
                 "Unknown segment 0x4F", base),
    "dqt": (lambda: insert_after_soi(base(), segment(0xDB, b"\x03"
                                                     + M["dqt"].encode().ljust(64, b"!"))),
            "Coding tables no scan uses", None),
    "dht": (lambda: insert_after_soi(base(), spare_dht(M["dht"].encode())),
            "Coding tables no scan uses", None),
    "adobe": (lambda: insert_after_soi(base(), segment(0xEE, b"Adobe\x00\x64\x80\x00\x00\x00\x01"
                                                       + M["adobe"].encode())),
              "Data after the Adobe colour header", None),
    "jfif-tail": (lambda: replace_jfif(base(), b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
                                       + M["jfif-tail"].encode()), "", None),
    "jfif-thumb": (lambda: replace_jfif(base(), b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01"
                                        + bytes([len(M["jfif-thumb"]), 1])
                                        + (M["jfif-thumb"].encode() * 3)),
                   "JFIF thumbnail", None),
    "com-between-scans": (lambda: insert_before(base(True), 0xDA, 2,
                                                segment(0xFE, M["com-between-scans"].encode())),
                          "Comment", None),
    "exif-between-scans": (lambda: insert_before(base(True), 0xC4, 3, segment(
        0xE1, b"Exif\x00\x00MM\x00\x2a" + M["exif-between-scans"].encode())), "", None),
    "trailer": (lambda: base() + M["trailer"].encode() * 4, "Data after the image", None),
    "scan-tail": (lambda: base()[:-2] + M["scan-tail"].encode() * 2 + b"\xff\xd9",
                  "Text after the image data", None),
    "scan-tail-progressive": (lambda: base(True)[:-2] + M["scan-tail-progressive"].encode()
                              + b"\x01\x02" + b"\xff\xd9", "", None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hiding_place_is_found_and_cleaned(case: str, tmp_path, witness: Witness) -> None:
    build, finding, reference = CASES[case]
    data = build()
    src = tmp_path / "probe.jpg"
    src.write_bytes(data)
    report = inspect(src)
    assert report.ok and report.understood, report.problems
    if finding:
        assert finding in [f.name for f in report.findings], [f.name for f in report.findings]
    export_checked(tmp_path, "photo.jpg", data, [M[case]], witness,
                   reference() if reference else None)


def test_fill_bytes_are_dropped(tmp_path) -> None:
    """Extra 0xFF fill bytes (before markers, before stuffed zeros in the scan) carry data
    by their count; the clean copy is the same as for the file without them."""
    plain = base()
    sos = [s for s in parse_jpeg(plain).segments if s.marker == 0xDA][0]
    scan = plain[sos.payload_end : sos.end].replace(b"\xff\x00", b"\xff\xff\xff\x00", 3)
    filled = plain[:sos.start] + b"\xff\xff\xff" + plain[sos.start : sos.payload_end] + scan \
        + b"\xff\xff" + plain[sos.end :]
    assert filled.count(b"\xff\xff") >= 4
    a, b = export(tmp_path / "a", "a.jpg", plain), export(tmp_path / "b", "b.jpg", filled)
    assert a.ok and b.ok, (a.reason, b.reason)
    assert a.output is not None and b.output is not None
    assert a.output.read_bytes() == b.output.read_bytes()


def test_adobe_and_jfif_fields_no_decoder_reads_are_rewritten(tmp_path) -> None:
    adobe = segment(0xEE, b"Adobe\x12\x34\x56\x78\x9a\xbc\x01")
    data = insert_after_soi(base(), adobe)
    result = export(tmp_path, "a.jpg", data)
    assert result.ok, result.reason
    out = result.output.read_bytes()
    assert b"Adobe\x00\x64\x00\x00\x00\x00\x01" in out and b"\x12\x34" not in out


def test_the_verifier_refuses_an_unaccounted_table(tmp_path, monkeypatch) -> None:
    """A strip that kept a table no scan uses (which inspect does not call identifying)
    must still fail: the ledger finds it."""
    real = jpeg_clean.clean

    def leaky(data, layout, analysis, orientation):  # type: ignore[no-untyped-def]
        cleaned = real(data, layout, analysis, orientation)
        cleaned.pieces.insert(1, segment(0xDB, b"\x03" + bytes(range(64))))
        return cleaned

    monkeypatch.setattr(jpeg_clean, "clean", leaky)
    import share_guard.core.containers.jpeg as jpeg

    monkeypatch.setattr(jpeg, "clean", leaky)
    result = export(tmp_path, "a.jpg", base())
    assert not result.ok
    assert "cannot account for" in result.reason and "coding table" in result.reason
    assert not list((tmp_path / "out").iterdir())


def test_split_profile_is_written_back_in_full_chunks(tmp_path) -> None:
    profile = profile_with("Someone")
    data = insert_after_soi(base(), *icc_segments(profile, 100))
    result = export(tmp_path, "a.jpg", data)
    assert result.ok, result.reason
    segs = [s for s in parse_jpeg(result.output.read_bytes()).segments if s.marker == 0xE2]
    assert len(segs) == 1  # the whole profile fits one segment
    out = result.output.read_bytes()
    assert struct.unpack(">H", out[segs[0].start + 2 : segs[0].start + 4])[0] == len(profile) + 16


def _last_scan(data: bytes) -> bytes:
    sos = [s for s in parse_jpeg(data).segments if s.marker == 0xDA][-1]
    return data[sos.payload_end : sos.end]


def _ends_in_padding(data: bytes) -> bool:
    """The last coded byte holds zero data bits and the encoder's padding ones (0x7F...)."""
    last = data[: data.rindex(b"\xff\xd9")].rstrip(b"\0")[-1]
    return last != 0xFF and last & (last + 1) == 0


def test_an_ordinary_photo_ending_in_padding_reports_no_hidden_byte(tmp_path) -> None:
    """About one JPEG in three ends its last scan with a byte of zero data bits and padding
    ones: zeroing it leaves the picture as it was, but nothing was hidden there, so the
    copy's list of what was removed must not claim a byte after the image data."""
    seeds = (s for s in range(1, 200) if _ends_in_padding(plain_jpeg(pixels(64, 48, seed=s))))
    data = plain_jpeg(pixels(64, 48, seed=next(seeds)))
    result = export(tmp_path, "p.jpg", data)
    assert result.ok, result.reason
    assert not any("after the end of the image data" in r for r in result.removed), result.removed
    # flipping its first bit changes the picture: the byte is proven read and kept as it
    # was (zeroing it would change no pixel, but the copy's coded data stays the original's)
    assert _last_scan(result.output.read_bytes()) == _last_scan(data)
    planted = data[:-2] + b"\x5a" + data[-2:]  # one real byte after the coded data is named
    again = export(tmp_path / "2", "p.jpg", planted)
    assert again.ok, again.reason
    assert "1 byte after the end of the image data (zeroed)" in again.removed, again.removed
    # a planted byte shaped like padding (its flip would make 0xFF: the second bit flips
    # too) is not read either, so it is zeroed like any other
    shaped = data[:-2] + b"\x7f" + data[-2:]
    third = export(tmp_path / "3", "p.jpg", shaped)
    assert third.ok, third.reason
    kept = _last_scan(third.output.read_bytes()).rstrip(b"\0")
    assert _last_scan(data).startswith(kept) and len(kept) >= len(_last_scan(data)) - 2


def _used_ac_table_with(data: bytes, text: bytes) -> bytes:
    """``data`` whose first AC Huffman table (one the scan uses) also has codes of 16 bits,
    one per byte of ``text``, that the scan never emits: the picture is the same."""
    for dht in (s for s in parse_jpeg(data).segments if s.marker == 0xC4):
        body, out, pos, done = data[dht.start + 4 : dht.end], bytearray(), 0, False
        while pos < len(body):
            counts = list(body[pos + 1 : pos + 17])
            symbols = body[pos + 17 : pos + 17 + sum(counts)]
            if body[pos] >> 4 == 1 and not done:
                counts[15] += len(text)
                symbols, done = symbols + text, True
            out += bytes([body[pos]]) + bytes(counts) + symbols
            pos += 17 + sum(body[pos + 1 : pos + 17])
        if done:
            return data[: dht.start] + segment(0xC4, bytes(out)) + data[dht.end :]
    raise AssertionError("no AC table")


def test_a_used_huffman_table_holding_text_is_refused(tmp_path) -> None:
    """Found by the red team: the symbols of codes no scan emits were copied with the table.
    Which codes a scan emits only an entropy decoder knows; a table no coder could have
    written (a symbol twice, as any text with a repeated letter has) is refused."""
    buf = io.BytesIO()
    pixels(64, 48, seed=5).save(buf, "JPEG", quality=90, optimize=True)  # room for more codes
    data = _used_ac_table_with(buf.getvalue(), b"Anna at 51.50N")  # (room for 14 codes)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))),
                          np.asarray(Image.open(buf)))
    src = tmp_path / "dht.jpg"
    src.write_bytes(data)
    problem = "JPEG Huffman table holds values no coder writes"
    assert any(problem in p for p in inspect(src).problems), inspect(src).problems
    result = export(tmp_path, "dht.jpg", data)
    assert not result.ok and problem in result.reason
