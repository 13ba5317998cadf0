"""PNG/APNG hiding places an attacker would try: each one planted with a unique marker, found
by inspect, gone from a real consented export (raw, UTF-16, hex, zlib; exiftool -ee), pixels
unchanged, every byte of the copy accounted for."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import ImageCms
from witness import Witness

from share_guard.core.containers import png_clean
from share_guard.core.inspect import inspect
from tests.image_fixtures import apng_bytes, gradient, png_bytes, png_chunk, png_chunks
from tests.leak_fixtures import export, export_checked, marker, profile_with, written


def rebuild(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(png_chunk(t, b) for t, b in chunks)


def with_chunk(data: bytes, ctype: bytes, body: bytes, before: bytes = b"IDAT") -> bytes:
    """``data`` with a chunk inserted before the first ``before`` chunk."""
    chunks = png_chunks(data)
    at = next(i for i, (t, _) in enumerate(chunks) if t == before)
    return rebuild(chunks[:at] + [(ctype, body)] + chunks[at:])


def edited(data: bytes, ctype: bytes, edit: Callable[[bytes], bytes], last: bool = False) -> bytes:
    """``data`` with the body of its first (or last) ``ctype`` chunk changed by ``edit``."""
    chunks = png_chunks(data)
    picks = [i for i, (t, _) in enumerate(chunks) if t == ctype]
    i = picks[-1] if last else picks[0]
    chunks[i] = (ctype, edit(chunks[i][1]))
    return rebuild(chunks)


def extra_scanlines(data: bytes, text: bytes) -> bytes:
    """The image data re-compressed with extra scanline bytes after the picture's own."""
    chunks = png_chunks(data)
    raw = zlib.decompress(b"".join(b for t, b in chunks if t == b"IDAT"))
    first = next(i for i, (t, _) in enumerate(chunks) if t == b"IDAT")
    rest = [c for c in chunks if c[0] != b"IDAT"]
    return rebuild(rest[:first] + [(b"IDAT", zlib.compress(raw + text))] + rest[first:])


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def rgb() -> bytes:
    return png_bytes(gradient(seed=3))


def indexed() -> bytes:
    return png_bytes(gradient(seed=4).convert("P"), transparency=2)


M = {name: marker(f"png-{name}") for name in (
    "iccp-name", "iccp-text", "iccp-tail", "idat-tail", "idat-extra", "fdat-tail", "gama",
    "chrm", "srgb", "phys", "sbit", "cicp", "bkgd", "trns", "trns-palette", "actl", "fctl",
    "dup-phys", "iend", "plte", "trailer", "clli", "mdcv")}


def tail(name: str) -> Callable[[bytes], bytes]:
    return lambda body: body + M[name].encode()


def iccp(name: bytes, profile: bytes, after: bytes = b"") -> bytes:
    return name + b"\x00\x00" + zlib.compress(profile) + after


# name -> (builder, finding inspect must show)
CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "iccp-name": (lambda: with_chunk(rgb(), b"iCCP", iccp(M["iccp-name"].encode(), srgb_icc())),
                  "ICC profile name"),
    "iccp-text": (lambda: with_chunk(rgb(), b"iCCP", iccp(b"icc", profile_with(M["iccp-text"]))),
                  "Colour profile description"),
    "iccp-tail": (lambda: with_chunk(rgb(), b"iCCP", iccp(b"icc", srgb_icc(),
                                                          M["iccp-tail"].encode())),
                  "Data after the colour profile"),
    "idat-tail": (lambda: edited(rgb(), b"IDAT", tail("idat-tail"), last=True),
                  "Data hidden in the image data"),
    "idat-extra": (lambda: extra_scanlines(rgb(), M["idat-extra"].encode()),
                   "Data hidden in the image data"),
    "fdat-tail": (lambda: edited(apng_bytes(3), b"fdAT", tail("fdat-tail"), last=True),
                  "Data hidden in the image data"),
    "gama": (lambda: with_chunk(rgb(), b"gAMA", struct.pack(">I", 45455) + M["gama"].encode()),
             "Data after the gAMA fields"),
    "chrm": (lambda: with_chunk(rgb(), b"cHRM", struct.pack(">8I", *[31270, 32900, 64000, 33000,
                                                                    30000, 60000, 15000, 6000])
                                + M["chrm"].encode()), "Data after the cHRM fields"),
    "srgb": (lambda: with_chunk(rgb(), b"sRGB", b"\x00" + M["srgb"].encode()),
             "Data after the sRGB fields"),
    "phys": (lambda: with_chunk(rgb(), b"pHYs", struct.pack(">IIB", 2835, 2835, 1)
                                + M["phys"].encode()), "Data after the pHYs fields"),
    "sbit": (lambda: with_chunk(rgb(), b"sBIT", b"\x08\x08\x08" + M["sbit"].encode()),
             "Data after the sBIT fields"),
    "cicp": (lambda: with_chunk(rgb(), b"cICP", b"\x01\x0d\x00\x01" + M["cicp"].encode()),
             "Data after the cICP fields"),
    "clli": (lambda: with_chunk(rgb(), b"cLLi", bytes(8) + M["clli"].encode()),
             "Data after the cLLi fields"),
    "mdcv": (lambda: with_chunk(rgb(), b"mDCv", struct.pack(
        ">8HII", 35400, 14600, 8500, 39850, 6550, 2300, 15635, 16450, 10_000_000, 50)
        + M["mdcv"].encode()),
             "Data after the mDCv fields"),
    "bkgd": (lambda: with_chunk(rgb(), b"bKGD", bytes(6) + M["bkgd"].encode()),
             "Data after the bKGD fields"),
    "trns": (lambda: with_chunk(rgb(), b"tRNS", bytes(6) + M["trns"].encode()),
             "Data after the tRNS fields"),
    "trns-palette": (lambda: edited(indexed(), b"tRNS", lambda b: b.ljust(256, b"\xff")[:200]
                                    + M["trns-palette"].encode()), "Data after the tRNS fields"),
    "actl": (lambda: edited(apng_bytes(2), b"acTL", tail("actl")), "Data after the acTL fields"),
    "fctl": (lambda: edited(apng_bytes(2), b"fcTL", tail("fctl"), last=True), ""),
    "dup-phys": (lambda: with_chunk(with_chunk(rgb(), b"pHYs", struct.pack(">IIB", 1, 1, 0)),
                                    b"pHYs", struct.pack(">IIB", 7, 7, 0) + M["dup-phys"].encode()),
                 "Second pHYs chunk"),
    "iend": (lambda: edited(rgb(), b"IEND", tail("iend")), "Data inside the end chunk"),
    "plte": (lambda: with_chunk(rgb(), b"PLTE", M["plte"].encode().ljust(48, b"!")),
             "Suggested palette"),
    "trailer": (lambda: rgb() + M["trailer"].encode() * 3, "Data after the image"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hiding_place_is_found_and_cleaned(case: str, tmp_path, witness: Witness) -> None:
    build, finding = CASES[case]
    data = build()
    src = tmp_path / "probe.png"
    src.write_bytes(data)
    report = inspect(src)
    assert report.ok and report.understood, report.problems
    if finding:
        assert finding in [f.name for f in report.findings], [f.name for f in report.findings]
    export_checked(tmp_path, "image.png", data, [M[case]], witness)


def test_apng_sequence_numbers_are_written_afresh(tmp_path) -> None:
    data = apng_bytes(3)
    chunks = png_chunks(data)
    for i, (ctype, body) in enumerate(chunks):  # sequence numbers carrying data
        if ctype in (b"fcTL", b"fdAT"):
            chunks[i] = (ctype, struct.pack(">I", 1000 + 7 * i) + body[4:])
    result = export(tmp_path, "a.png", rebuild(chunks))
    assert result.ok, result.reason
    seqs = [struct.unpack(">I", b[:4])[0] for t, b in png_chunks(result.output.read_bytes())
            if t in (b"fcTL", b"fdAT")]
    assert seqs == list(range(len(seqs)))


def test_image_data_is_cut_into_chunks_of_one_size(tmp_path) -> None:
    data = png_bytes(gradient((400, 300), seed=9))
    chunks = png_chunks(data)
    stream = b"".join(b for t, b in chunks if t == b"IDAT")
    pieces = [stream[i : i + 7] for i in range(0, len(stream), 7)]  # sizes could carry data
    rest = [c for c in chunks if c[0] != b"IDAT"]
    result = export(tmp_path, "a.png", rebuild(rest[:-1] + [(b"IDAT", p) for p in pieces]
                                              + rest[-1:]))
    assert result.ok, result.reason
    sizes = [len(b) for t, b in png_chunks(result.output.read_bytes()) if t == b"IDAT"]
    assert all(n == png_clean.DATA_CHUNK for n in sizes[:-1]) and sum(sizes) == len(stream)


def test_the_verifier_refuses_a_profile_under_another_name(tmp_path, monkeypatch) -> None:
    """A strip that kept the profile under its (neutral-looking) own name: inspect sees
    nothing identifying, the ledger refuses it."""
    from share_guard.core.metadata.icc import neutral_profile

    monkeypatch.setattr(png_clean, "neutral_iccp",
                        lambda body: iccp(b"sRGB", neutral_profile(srgb_icc())))
    data = with_chunk(rgb(), b"iCCP", iccp(b"sRGB", srgb_icc()))
    result = export(tmp_path, "a.png", data)
    assert not result.ok
    assert "cannot account for" in result.reason and "iCCP" in result.reason
    assert not list((tmp_path / "out").iterdir())


def unused_palette(text: bytes) -> bytes:
    """An indexed picture using 4 colours of a 256-entry palette whose other entries (and
    their transparency) hold ``text``."""
    import numpy as np
    from PIL import Image

    arr = (np.add.outer(np.arange(24), np.arange(32)) // 9 % 4).astype(np.uint8)
    im = Image.fromarray(arr, "P")
    im.putpalette(bytes([200, 0, 0, 0, 200, 0, 0, 0, 200, 90, 90, 90]) + text.ljust(756, b"?"))
    data = png_bytes(im, transparency=bytes([255, 128, 255, 255]) + text)
    assert len(dict(png_chunks(data))[b"PLTE"]) == 768
    return data


def test_unused_palette_entries_are_cleared(tmp_path, witness: Witness) -> None:
    secret = marker("png-palette")
    data = unused_palette(secret.encode())
    src = tmp_path / "probe.png"
    src.write_bytes(data)
    assert "Unused palette entries" in [f.name for f in inspect(src).findings]
    result = export_checked(tmp_path, "p.png", data, [secret], witness)
    chunks = dict(png_chunks(result.output.read_bytes()))
    assert chunks[b"PLTE"][:12] == bytes([200, 0, 0, 0, 200, 0, 0, 0, 200, 90, 90, 90])
    assert not any(chunks[b"PLTE"][12:]) and chunks[b"tRNS"][:4] == bytes([255, 128, 255, 255])


def _spelled(text: str, size: int, count: int) -> list[int]:
    raw = text.encode().ljust(size * count, b"_")[: size * count]
    return [int.from_bytes(raw[i : i + size], "big") for i in range(0, len(raw), size)]


#: allow-listed chunks whose *numbers* spell text (found by the red team): kept only when the
#: numbers are ones a display or a decoder can have (chromaticities up to 1.0, a standard
#: mastering display, luminance up to 10 000 nits, up to 2^24 pixels per metre)
NUMBERS = {
    "cHRM": (lambda m: struct.pack(">8I", *_spelled(m, 4, 8)), 32),
    "mDCv": (lambda m: struct.pack(">8H", *_spelled(m, 2, 8)) + struct.pack(">II", 10**7, 50), 16),
    "cLLi": (lambda m: struct.pack(">2I", *_spelled(m, 4, 2)), 8),
    "pHYs": (lambda m: struct.pack(">2IB", *_spelled(m, 4, 2), 1), 8),
    "acTL": (lambda m: struct.pack(">2I", 2, _spelled(m, 4, 1)[0]), 4),
}


@pytest.mark.parametrize("ctype", sorted(NUMBERS))
def test_numbers_that_spell_text_are_not_kept(ctype: str, tmp_path, witness: Witness) -> None:
    build, room = NUMBERS[ctype]
    secret = f"RT{ctype}numbers-spell-a-name"[:room]
    if ctype == b"acTL".decode():
        data = edited(apng_bytes(2), b"acTL", lambda b: build(secret))
    else:
        data = with_chunk(rgb(), ctype.encode(), build(secret))
    export_checked(tmp_path, "n.png", data, [secret], witness)


def test_a_standard_mastering_display_is_kept_exactly() -> None:
    from share_guard.core.containers.png_fields import Header, canonical

    h = Header(8, 8, 8, 2, 0)
    near = struct.pack(">8HII", 34000, 16000, 13250, 34500, 7500, 3000, 15640, 16450, 10**7, 1)
    kept = canonical(b"mDCv", near, h)
    assert kept is not None and kept != near  # the white point snapped to D65's exact numbers
    assert canonical(b"mDCv", kept, h) == kept


def test_palette_entries_no_pixel_can_name_are_left_out(tmp_path, witness: Witness) -> None:
    """A 4-bit picture whose palette has 64 entries: libpng reads 16, Pillow all of them;
    the copy keeps the 16 a pixel can name (the palette itself must not be dropped)."""
    from PIL import Image

    im = gradient(seed=6).quantize(16)
    data = png_bytes(im)
    chunks = png_chunks(data)
    secret = marker("png-plte-beyond-depth")
    assert dict(chunks)[b"IHDR"][8] == 4
    pal = dict(chunks)[b"PLTE"].ljust(48, b"\0") + secret.encode().ljust(144, b"_")
    data = rebuild([(t, pal if t == b"PLTE" else b) for t, b in chunks])
    result = export_checked(tmp_path, "d.png", data, [secret], witness)
    with Image.open(result.output) as out:
        assert len(out.getpalette()) // 3 == 16


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def padded_rows(text: bytes, depth: int = 1, palette: bool = False, interlace: int = 0,
                kind: int = 0) -> bytes:
    """A picture 1 pixel wide whose rows (each one byte) hold ``text`` in the bits after the
    pixel (depth 1: seven bits of each character; depth 4: a character in two rows), every
    pixel 0, rows filtered with filter ``kind`` (found by the red team with filter 0)."""
    rows = list(text) if depth == 1 else [n for c in text for n in (c >> 4, c & 15)]
    assert all(r < 1 << (8 - depth) for r in rows)  # (the pixel's own bits stay 0)
    raw, prev = bytearray(), 0
    for x in rows:  # one byte a row: left and upper-left are 0
        pred = {0: 0, 1: 0, 2: prev, 3: prev >> 1, 4: _paeth(0, prev, 0)}[kind]
        raw += bytes([kind, (x - pred) & 0xFF])
        prev = x
    head = struct.pack(">IIBBBBB", 1, len(rows), depth, 3 if palette else 0, 0, 0, interlace)
    chunks = [(b"IHDR", head)]
    if palette:
        chunks.append((b"PLTE", bytes(range(48))))
    return rebuild([*chunks, (b"IDAT", zlib.compress(bytes(raw))), (b"IEND", b"")])


def test_bits_after_the_last_pixel_of_each_row_are_cleared(tmp_path, witness: Witness) -> None:
    m = marker("png-row-bits")
    data = padded_rows(m.encode())
    report = inspect(written(tmp_path / "rows.png", data))
    [found] = [f for f in report.findings if f.name == "Data in the bits after each row"]
    assert found.value == f"{len(m)} rows"
    result = export_checked(tmp_path, "rows.png", data, [m], witness)
    assert [f.name for f in inspect(result.output).findings
            if f.name == "Data in the bits after each row"] == []


@pytest.mark.parametrize(("depth", "palette", "interlace", "kind"), [
    (1, False, 0, 1), (1, False, 0, 2), (1, False, 0, 3), (1, False, 0, 4), (4, True, 0, 4),
    (4, True, 1, 0), (1, False, 1, 0)])  # (interlaced: one pass after another, unfiltered)
def test_row_bits_are_found_through_every_filter(tmp_path, depth: int, palette: bool,
                                                 interlace: int, kind: int) -> None:
    text = b"Anna, 51.5074 N"
    data = padded_rows(text, depth, palette, interlace, kind)
    bits = list(text) if depth == 1 else [n for c in text for n in (c >> 4, c & 15)]
    report = inspect(written(tmp_path / "rows.png", data))
    found = [f.value for f in report.findings if f.name == "Data in the bits after each row"]
    assert found == [f"{sum(1 for r in bits if r)} rows"]  # each row whose bits are not 0
    result = export(tmp_path, "rows.png", data)
    assert result.ok, result.reason
    assert result.accounting is not None
    from PIL import Image

    with Image.open(tmp_path / "in" / "rows.png") as a, Image.open(result.output) as b:
        assert a.mode == b.mode and a.tobytes() == b.tobytes()
    assert [f for f in inspect(result.output).findings
            if f.name == "Data in the bits after each row"] == []


def test_the_verifier_refuses_rows_with_bits_set(tmp_path, monkeypatch) -> None:
    """A cleaner that left the bits: the re-inspection refuses the copy, and so does the
    byte proof on its own."""
    from share_guard.core.containers.png_account import account_png

    data = padded_rows(b"Anna, 51.5 N")
    ledger = account_png(data)
    assert any("bits after the last pixel of a row" in p for p in ledger.problems), \
        ledger.problems
    monkeypatch.setattr(png_clean.png_rows, "cleared",
                        lambda rows, h, w, ht, level: zlib.compress(rows, level))
    result = export(tmp_path, "rows.png", data)
    assert not result.ok and "bits after each row" in result.reason
    assert not list((tmp_path / "out").iterdir())
