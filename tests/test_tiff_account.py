"""The TIFF byte proof: it accounts for every byte of a real clean copy and refuses a copy
that keeps anything else (a cleaner bug must fail the export, not leak); and the LZW
walker it relies on agrees with an independent decoder."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import imagecodecs  # a dev dependency: an LZW/PackBits codec independent of ours
import numpy as np
import pytest
from PIL import Image

from share_guard.core.containers import Source, tiff_blocks, tiff_lzw, tiff_plan, tiff_write
from share_guard.core.containers.ledger import ByteClass, Ledger, Unaccounted
from share_guard.core.containers.tiff import TiffHandler
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.metadata.tiff_ifd import parse_tiff
from tests.checks import clean_files, consent_yes
from tests.test_tiff_leaks import icc_text, lzw_bytes_after_eoi, thumbnail_page
from tests.tiff_fixtures import pillow_tiff, tifffile_pages


def _clean(data: bytes, tmp_path: Path) -> bytes:
    src = tmp_path / "in.tif"
    src.write_bytes(data)
    out = io.BytesIO()
    TiffHandler().strip(Source(src), out)
    return out.getvalue()


def _ledger(data: bytes, tmp_path: Path) -> Ledger:
    path = tmp_path / "copy.tif"
    path.write_bytes(data)
    return TiffHandler().account(Source(path))


@pytest.mark.parametrize("compression", ["raw", "tiff_lzw", "tiff_adobe_deflate", "packbits",
                                         "jpeg"])
def test_every_byte_of_a_clean_copy_is_accounted(compression: str, tmp_path: Path) -> None:
    clean = _clean(pillow_tiff(compression), tmp_path)
    totals = _ledger(clean, tmp_path).close()
    assert totals.size == len(clean) == totals.written + totals.payload + totals.zeroed
    assert totals.payload > totals.written


def _two_pages() -> bytes:
    """Two LZW pages whose data ends at odd offsets, so the second IFD needs an alignment
    byte."""
    from tests.tiff_fixtures import picture

    for seed in range(20):
        first, second = picture((63, 40), seed=seed), picture((63, 40), seed=seed + 50)
        buf = io.BytesIO()
        first.save(buf, "TIFF", compression="tiff_lzw", save_all=True, append_images=[second])
        data = buf.getvalue()
        pages = [i for i in parse_tiff(data).ifds if i.name.startswith("IFD")]
        counts = pages[0].get(0x0117)
        if len(pages) == 2 and counts is not None and sum(counts.value) % 2:  # type: ignore[arg-type]
            return data
    raise AssertionError("no odd-sized first page")


def _inline_entry(clean: bytes) -> int:
    """Offset of the spare bytes of a SHORT value stored inside its entry."""
    for entry in parse_tiff(clean).ifds[0].entries:
        if entry.type == 3 and entry.count == 1:
            return entry.entry_offset + 10
    raise AssertionError("no inline SHORT")


@pytest.mark.parametrize(("damage", "message"), [
    ("spare bytes of an entry", "bytes after its value"),
    ("a byte after the end", "nothing accounts for"),
    ("a tag we do not keep", "keeps tag"),
    ("an alignment byte", "not blank"),
])
def test_the_proof_refuses_bytes_it_cannot_vouch_for(damage: str, message: str,
                                                     tmp_path: Path) -> None:
    clean = bytearray(_clean(_two_pages(), tmp_path))
    if damage == "spare bytes of an entry":
        clean[_inline_entry(bytes(clean))] = 0x4D
    elif damage == "a byte after the end":
        clean += b"M"
    elif damage == "a tag we do not keep":
        entry = parse_tiff(bytes(clean)).ifds[0].get(0x011C)  # PlanarConfiguration -> Artist
        assert entry is not None
        struct.pack_into("<H", clean, entry.entry_offset, 315)
    else:
        ledger = _ledger(bytes(clean), tmp_path)
        ledger.close()
        pads = [s for s, e, cls, _ in ledger.spans if cls is ByteClass.ZEROED and e - s == 1]
        assert pads, "the layout has no alignment byte to damage"
        clean[pads[0]] = 0x4D
    with pytest.raises(Unaccounted, match=message):
        _ledger(bytes(clean), tmp_path).close()


def _export_refused(data: bytes, tmp_path: Path) -> str:
    src = tmp_path / "in.tif"
    src.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    [result] = clean_files([src], ExportOptions(output_dir=out), consent=consent_yes)
    assert not result.ok
    assert list(out.iterdir()) == []
    return result.reason


def test_verifier_refuses_a_strip_left_with_bytes_after_its_stream(monkeypatch, tmp_path):
    data, *_ = lzw_bytes_after_eoi()
    monkeypatch.setattr(tiff_plan, "clean_block",
                        lambda data, off, count, lay, expected, *rest: tiff_blocks.Kept(count))
    assert "strip holds more than its picture" in _export_refused(data, tmp_path)


def test_verifier_refuses_a_profile_left_as_it_was(monkeypatch, tmp_path):
    data, *_ = icc_text()
    monkeypatch.setattr(tiff_plan, "neutral_profile", lambda raw: raw)
    # and inspection blind to it: the proof alone must stop the copy
    monkeypatch.setattr("share_guard.core.containers.tiff.icc_findings", lambda raw, where: [])
    assert "colour profile" in _export_refused(data, tmp_path)


def test_verifier_refuses_a_thumbnail_page_left_in(monkeypatch, tmp_path):
    data, *_ = thumbnail_page()
    monkeypatch.setattr(tiff_plan, "not_a_page", lambda ifd, first: None)
    assert "not a full page" in _export_refused(data, tmp_path)


def test_verifier_refuses_bytes_written_after_the_last_structure(monkeypatch, tmp_path):
    data = pillow_tiff("packbits")
    real = tiff_write.write_clean

    def leaky(data: bytes, tp, out) -> int:  # type: ignore[no-untyped-def]
        size = real(data, tp, out)
        out.write(b"MARKER_TIFF_LEFT_BEHIND")
        return size

    monkeypatch.setattr("share_guard.core.containers.tiff.write_clean", leaky)
    monkeypatch.setattr(tiff_plan, "_unreferenced", lambda data, result: 0)
    assert "nothing accounts for" in _export_refused(data, tmp_path)


# -- the LZW walker ----------------------------------------------------------------------------

def _streams() -> list[tuple[bytes, int]]:
    rng = np.random.default_rng(11)
    out = []
    for n in (1, 2, 7, 300, 4000, 9000, 60_000):
        for kind in range(3):
            data = (rng.integers(0, 256, n, dtype=np.uint8).tobytes() if kind == 0 else
                    rng.integers(0, 3, n, dtype=np.uint8).tobytes() if kind == 1 else bytes(n))
            out.append((bytes(imagecodecs.lzw_encode(data)), n))
    return out


@pytest.mark.parametrize("cut", [1.0, 0.5])
def test_lzw_walker_agrees_with_an_independent_decoder(cut: float) -> None:
    for stream, n in _streams():
        expected = max(1, int(n * cut))
        for tail in (b"", b"MARKER"):
            raw = stream + tail
            found = tiff_lzw.scan(raw, expected)
            assert found.done_bit <= 8 * len(raw)
            fixed = tiff_lzw.canonical(raw, expected)
            kept = raw if fixed is None else fixed
            assert tiff_lzw.is_canonical(kept, expected)
            decoded = imagecodecs.lzw_decode(kept)
            assert decoded[:expected] == imagecodecs.lzw_decode(stream)[:expected]
            assert len(decoded) < expected + 4096  # nothing long after the picture
            assert b"MARKER" not in kept


def test_lzw_small_and_vector_walks_agree() -> None:
    rng = np.random.default_rng(3)
    for trial in range(400):
        n = int(rng.integers(1, 1500))
        data = rng.integers(0, 256 if trial % 2 else 4, n, dtype=np.uint8).tobytes()
        raw = bytes(imagecodecs.lzw_encode(data))
        if trial % 3 == 0:
            raw = raw[: max(2, len(raw) - 2)]
        expected = n if trial % 4 else max(1, n // 3)
        results = []
        for walk in (tiff_lzw._scan_small, tiff_lzw._scan_numpy):
            try:
                results.append(walk(raw, expected))
            except tiff_lzw.LzwError as exc:
                results.append(str(exc))
        assert results[0] == results[1], (trial, results)


@pytest.mark.parametrize(("raw", "words"), [
    (b"\x00\x01\x02", "old-style"),
    (b"\x80" + bytes(6), "fewer|decodes to"),
    (bytes([0x80, 0x40, 0x80, 0x00]), "does not hold"),
])
def test_lzw_walker_refuses_what_libtiff_would_not_read(raw: bytes, words: str) -> None:
    with pytest.raises(tiff_lzw.LzwError, match=words):
        tiff_lzw.scan(raw, 100)


# -- layouts and codecs real writers produce: cleaned, proven, pixels identical --------------

def _tifffile(arr: np.ndarray, **options: object) -> bytes:
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, arr, metadata=None, **options)  # type: ignore[arg-type]
    return buf.getvalue()


def _pillow(mode: str, **options: object) -> bytes:
    from tests.tiff_fixtures import picture

    buf = io.BytesIO()
    picture((53, 37)).convert(mode).save(buf, "TIFF", **options)
    return buf.getvalue()


_RNG = np.random.default_rng(0)
_RGB = _RNG.integers(0, 256, (37, 53, 3), dtype=np.uint8)
LAYOUTS = {
    "JPEG, YCbCr": lambda: _tifffile(_RGB, compression="jpeg", photometric="rgb"),
    "JPEG tiles": lambda: _tifffile(_RGB, compression="jpeg", tile=(16, 16)),
    "LZW 16-bit with predictor": lambda: _tifffile(
        _RNG.integers(0, 65535, (37, 53, 3), dtype=np.uint16), compression="lzw", predictor=True),
    "Deflate float with predictor": lambda: _tifffile(
        _RNG.random((37, 53)).astype(np.float32), compression="zlib", predictor=True),
    "PackBits planes": lambda: _tifffile(np.moveaxis(_RGB, -1, 0), planarconfig="separate",
                                         photometric="rgb", compression="packbits",
                                         rowsperstrip=8),
    "LZW CMYK": lambda: _tifffile(_RNG.integers(0, 256, (37, 53, 4), dtype=np.uint8),
                                  photometric="separated", compression="lzw"),
    "palette": lambda: _tifffile(_RNG.integers(0, 256, (37, 53), dtype=np.uint8),
                                 photometric="palette",
                                 colormap=_RNG.integers(0, 65535, (3, 256), dtype=np.uint16)),
    "bilevel PackBits": lambda: _tifffile(_RNG.integers(0, 2, (37, 53), dtype=bool),
                                          compression="packbits"),
    "RGBA Deflate": lambda: _tifffile(_RNG.integers(0, 256, (37, 53, 4), dtype=np.uint8),
                                      photometric="rgb", extrasamples=["unassalpha"],
                                      compression="zlib"),
    "three LZW pages": lambda: _tifffile(_RNG.integers(0, 256, (3, 37, 53, 3), dtype=np.uint8),
                                         photometric="rgb", compression="lzw"),
    "CCITT G4": lambda: _pillow("1", compression="group4"),
    "palette LZW": lambda: _pillow("P", compression="tiff_lzw"),
    "16-bit grey LZW": lambda: _pillow("I;16", compression="tiff_lzw"),
    "YCbCr JPEG": lambda: _pillow("YCbCr", compression="jpeg"),
    "CMYK LZW": lambda: _pillow("CMYK", compression="tiff_lzw"),
    "CIELab": lambda: _pillow("LAB"),
}


@pytest.mark.parametrize("case", list(LAYOUTS))
def test_layouts_and_codecs_clean_losslessly(case: str, tmp_path: Path) -> None:
    data = LAYOUTS[case]()
    clean = _clean(data, tmp_path)
    _ledger(clean, tmp_path).close()
    assert len(clean) <= len(data) + 16
    before, after = tifffile_pages(data), tifffile_pages(clean)
    assert len(before) == len(after)
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    with Image.open(io.BytesIO(data)) as source, Image.open(io.BytesIO(clean)) as copy:
        assert getattr(source, "n_frames", 1) == getattr(copy, "n_frames", 1)
        for i in range(getattr(source, "n_frames", 1)):
            source.seek(i)
            copy.seek(i)
            assert np.array_equal(np.asarray(source), np.asarray(copy))


@pytest.mark.parametrize("case", ["LZW with zero bytes after its end",
                                  "Deflate of whole last strip rows (zeros past the picture)",
                                  "uncompressed with zero padding"])
def test_blank_padding_is_dropped_without_alarm(case: str, tmp_path: Path) -> None:
    """Writers pad strips (zero bytes, or a last strip encoded with all its rows): the copy
    drops the padding like any other extra bytes, but the report does not call it hidden."""
    import zlib

    from share_guard.core.inspect import inspect
    from tests.test_tiff_leaks import _codec_blocks, _strip_pixels, _uncompressed
    from tests.tiff_fixtures import assemble, value

    if case.startswith("LZW"):
        data = _codec_blocks(lambda s: bytes(imagecodecs.lzw_encode(s)) + bytes(5), 5)
    elif case.startswith("Deflate"):
        strips = _strip_pixels(rows=16)  # 16, 16 and 8 rows: the last one padded to 16
        bo, page = _uncompressed([zlib.compress(s.ljust(len(strips[0]), b"\x00"))
                                  for s in strips])
        page.entries.update({278: value(bo, 3, [16]), 259: value(bo, 3, [8])})
        data = assemble(bo, [page])
    else:
        bo, page = _uncompressed([s + bytes(7) for s in _strip_pixels()])
        data = assemble(bo, [page])
    src = tmp_path / "padded.tif"
    src.write_bytes(data)
    report = inspect(src)
    assert report.problems == [] and not [f for f in report.findings
                                          if f.where in ("TIFF strips", "TIFF")], report.findings
    clean = _clean(data, tmp_path)
    assert len(clean) < len(data)
    _ledger(clean, tmp_path).close()
    assert tifffile_pages(clean)[0].tobytes() == b"".join(_strip_pixels())


def test_block_sizes_follow_libtiff() -> None:
    """Every block's decoded size as libtiff computes it (tifffile agrees on the shapes)."""
    for build in LAYOUTS.values():
        tp = tiff_plan.plan(build())
        for page in tp.pages:
            lay = page.layout
            assert lay is not None
            assert lay.expected_all() == [lay.expected(i) for i in range(lay.blocks)]
    lay = tiff_plan.plan(LAYOUTS["PackBits planes"]()).pages[0].layout
    assert lay is not None and lay.blocks == 3 * 5 and lay.expected(4) == 53 * 5


def test_verifier_refuses_a_fax_strip_left_with_bytes_after_its_codes(monkeypatch, tmp_path):
    """Found by the red team: a CCITT strip was kept whole; the ledger now decodes it."""
    import io

    from PIL import Image

    from tests.tiff_fixtures import assemble, decompose

    y, x = np.mgrid[0:40, 0:64]
    im = Image.fromarray(((x // 5 + y // 7) % 2 * 255).astype(np.uint8)).convert("1")
    buf = io.BytesIO()
    im.save(buf, "TIFF", compression="group4")
    bo, [page] = decompose(buf.getvalue())
    page.blocks = [b + b"MARKER_G4_LEFT" for b in page.blocks]
    monkeypatch.setattr(tiff_plan, "clean_block",
                        lambda data, off, count, lay, expected, *rest: tiff_blocks.Kept(count))
    assert "strip holds more than its picture" in _export_refused(assemble(bo, [page]), tmp_path)


def test_verifier_refuses_a_jpeg_strip_left_with_a_spare_table(monkeypatch, tmp_path):
    """Found by the red team: a JPEG strip kept a quantisation table no scan uses."""
    from tests.tiff_fixtures import assemble, decompose, pillow_tiff, segment

    bo, [page] = decompose(pillow_tiff("jpeg"))
    spare = segment(0xDB, bytes([0x03]) + b"MARKER_SPAREQT".ljust(64, b"_"))
    page.blocks = [b[: b.index(b"\xff\xda")] + spare + b[b.index(b"\xff\xda"):]
                   for b in page.blocks]
    monkeypatch.setattr(tiff_plan, "clean_block",
                        lambda data, off, count, lay, expected, *rest: tiff_blocks.Kept(count))
    assert "coding table no scan uses" in _export_refused(assemble(bo, [page]), tmp_path)
