"""Decoding pictures for the takedown hashes: exact, upright, and in bounded memory."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import PIL
import pytest
from PIL import Image, ImageOps

from share_guard.core.errors import CorruptFile
from share_guard.core.hashing import decode, png_stream
from share_guard.core.hashing.image import hash_image, load_rgb
from share_guard.core.hashing.resample import OrientedBoxFit
from share_guard.core.media.images import open_image

skdata = pytest.importorskip("skimage.data")
PILLOW_13 = int(PIL.__version__.split(".")[0]) >= 13
TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
             4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
             6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
             8: Image.Transpose.ROTATE_90}


def reference(path, side=512):
    """The chain the hashes are defined on (what load_rgb did before it was bounded)."""
    with open_image(path) as im:
        if im.format == "JPEG":
            im.draft("RGB", (side, side))
        im.load()
        rgb = ImageOps.exif_transpose(im).convert("RGB")
    w, h = rgb.size
    if max(w, h) > side:
        s = side / max(w, h)
        rgb = rgb.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BOX)
    return np.asarray(rgb)


@pytest.mark.skipif(not PILLOW_13, reason="the fit follows Pillow 13's pass order")
def test_streamed_fit_equals_pillow_in_every_orientation():
    rng = np.random.default_rng(0)
    # wide, tall (Pillow 13 then resizes vertically first), nearly square, barely above 512
    sizes = [(600, 800), (3000, 420), (1999, 777), (777, 1999), (513, 1000), (531, 529), (200, 4000)]
    for h, w in sizes:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        for o in range(1, 9):
            pil = Image.fromarray(img)
            up = pil.transpose(TRANSPOSE[o]) if o in TRANSPOSE else pil
            s = 512 / max(up.size)
            size = (max(1, round(up.size[0] * s)), max(1, round(up.size[1] * s)))
            expected = np.asarray(up.resize(size, Image.Resampling.BOX))
            fitter = OrientedBoxFit((w, h), o, size)
            step = int(rng.integers(1, 400))
            for top in range(0, h, step):
                fitter.feed(img[top : top + step])
            assert np.array_equal(fitter.result(), expected), ((h, w), o)


def _exif(orientation):
    e = Image.Exif()
    e[0x0112] = orientation
    return e


@pytest.fixture
def streamed(monkeypatch):
    """Force the bounded paths (PNG bands, band-wise conversion) on small test pictures."""
    monkeypatch.setattr(decode, "STREAM_PIXELS", 1000)
    monkeypatch.setattr(decode, "BAND_PIXELS", 30_000)
    monkeypatch.setattr(png_stream, "BAND_BYTES", 40_000)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
def test_png_bands_equal_the_whole_decode(tmp_path, streamed, mode):
    base = Image.fromarray(skdata.astronaut()).resize((800, 560))
    picture = base.convert("L").convert("I;16") if mode == "I;16" else base.convert(mode)
    for o in (1, 3, 6, 8):
        path = tmp_path / f"{o}.png"
        picture.save(path, exif=_exif(o))
        assert png_stream.read_layout(path) is not None  # really the band-by-band decoder
        assert np.array_equal(load_rgb(path), reference(path)), o


@pytest.mark.parametrize(("fmt", "suffix"), [("JPEG", "jpg"), ("TIFF", "tif"), ("WEBP", "webp")])
def test_other_formats_equal_the_whole_decode(tmp_path, streamed, fmt, suffix):
    base = Image.fromarray(skdata.coffee()).resize((800, 520))
    for o in (1, 2, 5, 7):
        path = tmp_path / f"{o}.{suffix}"
        base.save(path, fmt, exif=_exif(o))
        assert np.array_equal(load_rgb(path), reference(path)), o


def test_sixteen_bit_colour_and_gif_use_the_whole_decode(tmp_path, streamed):
    rgb16 = tmp_path / "rgb16.png"
    rows = np.random.default_rng(2).integers(0, 65535, (300, 700 * 3), dtype=np.uint16).astype(">u2")
    raw = b"".join(b"\x00" + r.tobytes() for r in rows)
    _write_png(rgb16, 700, 300, 16, 2, zlib.compress(raw))
    assert png_stream.read_layout(rgb16) is None
    gif = tmp_path / "x.gif"
    Image.fromarray(skdata.chelsea()).save(gif)
    for path in (rgb16, gif):
        assert np.array_equal(load_rgb(path), reference(path))


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _write_png(path, w, h, depth, colour, idat):
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth,
                                                                          colour, 0, 0, 0))
                     + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


def big_png(path, w, h):
    """A w x h RGBA PNG made of a few distinct rows (Up filter), written in a second or two."""
    x = np.arange(w)
    first = np.zeros((w, 4), np.uint8)
    first[:, 0], first[:, 1], first[:, 2], first[:, 3] = x * 255 // w, (x // 97) % 2 * 200, 90, 255
    delta = np.zeros((w, 4), np.uint8)
    delta[:, 2] = (x // 500) % 3
    z = zlib.compressobj(1)
    parts = [z.compress(b"\x00" + first.tobytes())]
    zero = b"\x02" + bytes(4 * w)
    block = zero * 49 + b"\x02" + delta.tobytes()
    for y in range(0, h - 1, 50):
        n = min(50, h - 1 - y)
        parts.append(z.compress(block if n == 50 else zero * n))
    parts.append(z.flush())
    _write_png(path, w, h, 8, 6, b"".join(parts))


def test_truncated_png_is_a_clear_error(tmp_path, streamed):
    path = tmp_path / "t.png"
    big_png(path, 400, 300)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + _chunk(b"IEND", b""))
    with pytest.raises(CorruptFile):
        load_rgb(path)


@pytest.mark.slow
def test_144_megapixel_rgba_png_hashes_inside_a_worker_memory_cap(tmp_path):
    """Issue 19.6: 12,000 x 12,000 RGBA reached 1.9 GB and was refused; now a few hundred MB."""
    path = tmp_path / "big.png"
    big_png(path, 12_000, 12_000)
    code = f"""
import resource
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))  # the sandbox worker's cap
from share_guard.core.hashing.image import hash_image
h = hash_image({str(path)!r})
print(h.pdq.hex, h.pdq.quality, len(h.queries))
print([int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    first, peak_kb = out.stdout.split("\n")[:2]
    assert len(first.split()[0]) == 64 and int(first.split()[2]) == 8
    assert int(peak_kb) < 600 * 1024  # resident peak, parser and libraries included


def test_progress_is_reported_while_a_big_picture_decodes(tmp_path, streamed):
    path = tmp_path / "p.png"
    big_png(path, 800, 600)
    seen = []
    hash_image(path, progress=lambda f, text: seen.append(f))
    assert len(seen) > 3 and seen[-1] == 1.0
