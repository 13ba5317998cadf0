"""WebP hiding places an attacker would try: each one planted with a unique marker, found by
inspect, gone from a real consented export (raw, UTF-16, hex, zlib; exiftool -ee), every
frame's pixels unchanged, every byte of the copy accounted for."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

import pytest
from PIL import Image
from witness import Witness

from share_guard.core.containers import webp_clean
from share_guard.core.inspect import inspect
from tests.image_fixtures import gradient, riff_chunk, riff_chunks, webp_bytes
from tests.leak_fixtures import export, export_checked, marker, profile_with


def riff(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(riff_chunk(f, p) for f, p in chunks)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def lossy(mode: str = "RGB", size: tuple[int, int] = (48, 32)) -> bytes:
    buf = io.BytesIO()
    gradient(size, mode=mode, seed=2).save(buf, "WEBP", quality=70)
    return buf.getvalue()


def vp8x(flags: int, w: int = 48, h: int = 32) -> tuple[bytes, bytes]:
    return (b"VP8X", bytes([flags, 0, 0, 0]) + (w - 1).to_bytes(3, "little")
            + (h - 1).to_bytes(3, "little"))


def edit(data: bytes, fourcc: bytes, new: Callable[[bytes], bytes]) -> bytes:
    chunks = riff_chunks(data)
    i = next(k for k, (f, _) in enumerate(chunks) if f == fourcc)
    chunks[i] = (fourcc, new(chunks[i][1]))
    return riff(chunks)


def in_first_partition(vp8: bytes, text: bytes) -> bytes:
    """``text`` inside the VP8 modes partition, after what the decoder reads (its size grown)."""
    tag = int.from_bytes(vp8[:3], "little")
    first = tag >> 5
    tag = (tag & 0x1F) | (first + len(text)) << 5
    return tag.to_bytes(3, "little") + vp8[3 : 10 + first] + text + vp8[10 + first :]


def with_alpha(alpha_body: Callable[[bytes, bytes], bytes]) -> bytes:
    """A lossy still with an ALPH chunk rebuilt by ``alpha_body(original ALPH, VP8)``."""
    chunks = dict(riff_chunks(lossy("RGBA")))
    return riff([vp8x(0x10), (b"ALPH", alpha_body(chunks[b"ALPH"], chunks[b"VP8 "])),
                 (b"VP8 ", chunks[b"VP8 "])])


def raw_alpha(_alph: bytes, _vp8: bytes) -> bytes:
    return b"\x00" + bytes((x * 5) % 256 for x in range(48 * 32))


M = {name: marker(f"webp-{name}") for name in (
    "iccp", "anim", "vp8x", "vp8-tail", "vp8-p1", "vp8l-tail", "alph-tail", "alph-raw-tail",
    "second-image", "simple-exif", "frame-tail", "trailer")}
E = {name: value.encode() for name, value in M.items()}

# name -> (builder, finding inspect must show)
CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "iccp": (lambda: riff([vp8x(0x20), (b"ICCP", profile_with(M["iccp"])),
                           *riff_chunks(webp_bytes())]), "Colour profile description"),
    "anim": (lambda: edit(webp_bytes(frames=2), b"ANIM", lambda b: b + E["anim"]),
             "Data in the ANIM header"),
    "vp8-tail": (lambda: edit(lossy(), b"VP8 ", lambda b: b + E["vp8-tail"]),
                 "Data after the coded image"),
    "vp8-p1": (lambda: edit(lossy(), b"VP8 ", lambda b: in_first_partition(b, E["vp8-p1"])),
               "Data after the coded image"),
    "vp8l-tail": (lambda: edit(webp_bytes(), b"VP8L", lambda b: b + E["vp8l-tail"]),
                  "Data after the coded image"),
    "alph-tail": (lambda: with_alpha(lambda a, v: a + E["alph-tail"]),
                  "Data after the coded image"),
    "alph-raw-tail": (lambda: with_alpha(lambda a, v: raw_alpha(a, v) + E["alph-raw-tail"]),
                      "Data after the coded image"),
    "simple-exif": (lambda: riff([*riff_chunks(webp_bytes()), (b"EXIF", b"MM\x00\x2a"
                                                                + E["simple-exif"])]), ""),
    "frame-tail": (lambda: edit(webp_bytes(frames=2), b"ANMF", lambda b: b[:16] + riff_chunk(
        b[16:20], b[24 : 24 + int.from_bytes(b[20:24], "little")] + E["frame-tail"])),
                   "Data after the coded image"),
    "trailer": (lambda: webp_bytes() + E["trailer"] * 3, "Data after the image"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hiding_place_is_found_and_cleaned(case: str, tmp_path, witness: Witness) -> None:
    build, finding = CASES[case]
    data = build()
    src = tmp_path / "probe.webp"
    src.write_bytes(data)
    report = inspect(src)
    assert report.ok and report.understood, report.problems
    if finding:
        assert finding in [f.name for f in report.findings], [f.name for f in report.findings]
    export_checked(tmp_path, "image.webp", data, [M[case]], witness)


def test_vp8x_with_extra_bytes_is_written_from_its_fields(tmp_path, witness: Witness) -> None:
    # libwebp refuses a VP8X chunk that is not 10 bytes, so the pixels are compared with
    # the same file without the planted bytes
    plain = riff([vp8x(0), *riff_chunks(webp_bytes())])
    data = edit(plain, b"VP8X", lambda b: b + E["vp8x"])
    src = tmp_path / "probe.webp"
    src.write_bytes(data)
    assert "Data in the VP8X header" in [f.name for f in inspect(src).findings]
    export_checked(tmp_path, "image.webp", data, [M["vp8x"]], witness, reference=plain)


def test_second_image_chunk_is_dropped(tmp_path, witness: Witness) -> None:
    # libwebp refuses a still with two image chunks: compared with the file holding one
    plain = riff([vp8x(0), *riff_chunks(webp_bytes())])
    data = riff([*riff_chunks(plain), (b"VP8L", riff_chunks(webp_bytes())[0][1]
                                       + E["second-image"])])
    src = tmp_path / "probe.webp"
    src.write_bytes(data)
    assert "Unused VP8L chunk" in [f.name for f in inspect(src).findings]
    export_checked(tmp_path, "image.webp", data, [M["second-image"]], witness, reference=plain)


def test_header_bits_no_decoder_reads_are_cleared(tmp_path) -> None:
    data = webp_bytes(frames=2)
    data = edit(data, b"VP8X", lambda b: bytes([b[0] | 0x01]) + b"\x55\x66\x77" + b[4:])
    data = edit(data, b"ANMF", lambda b: b[:15] + bytes([b[15] | 0xA8]) + b[16:])
    result = export(tmp_path, "a.webp", data)
    assert result.ok, result.reason
    chunks = riff_chunks(result.output.read_bytes())
    head = dict(chunks)[b"VP8X"]
    assert head[0] & 0xC1 == 0 and head[1:4] == b"\x00\x00\x00"
    assert all(p[15] & 0xFC == 0 for f, p in chunks if f == b"ANMF")


def test_ordinary_encoder_output_keeps_its_bytes(tmp_path) -> None:
    """libwebp's own flush bytes are zero: a plain lossless file comes out byte for byte."""
    data = riff([vp8x(0), *riff_chunks(webp_bytes())])
    result = export(tmp_path, "a.webp", data)
    assert result.ok, result.reason
    assert result.output.read_bytes() == data


def test_the_verifier_refuses_unread_bytes_left_in_place(tmp_path, monkeypatch) -> None:
    """A strip that left a few unread bytes after the coded image (too few for inspect to
    call them identifying): the ledger refuses the copy."""
    monkeypatch.setattr(webp_clean, "zero_after", lambda body, parts: body)
    data = edit(webp_bytes(), b"VP8L", lambda b: b + b"\x01\x02\x03")
    result = export(tmp_path, "a.webp", data)
    assert not result.ok
    assert "cannot account for" in result.reason and "coded image" in result.reason
    assert not list((tmp_path / "out").iterdir())


def test_lossy_alpha_frames_decode_the_same(tmp_path) -> None:
    ims = [gradient(mode="RGBA", seed=i) for i in range(3)]
    buf = io.BytesIO()
    ims[0].save(buf, "WEBP", save_all=True, append_images=ims[1:], duration=50, quality=60)
    result = export(tmp_path, "a.webp", buf.getvalue())
    assert result.ok, result.reason
    with Image.open(result.output) as a, Image.open(io.BytesIO(buf.getvalue())) as b:
        assert a.n_frames == b.n_frames == 3


def test_image_data_that_does_not_decode_is_refused_with_a_reason(tmp_path) -> None:
    data = edit(webp_bytes(), b"VP8L", lambda b: b[:5] + bytes(len(b) - 5))
    src = tmp_path / "broken.webp"
    src.write_bytes(data)
    report = inspect(src)
    assert not report.understood and "does not decode" in report.problems[0]
    result = export(tmp_path, "broken.webp", data)
    assert not result.ok and "does not decode" in result.reason
