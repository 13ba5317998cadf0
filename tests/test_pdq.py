"""PDQ and the other hashes: pinned values, reference cross-check, robustness to everyday edits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from share_guard.core.hashing.image import (
    VARIANTS,
    dihedral,
    fit,
    hash_array,
    hash_image,
    load_rgb,
    trim_borders,
)
from share_guard.core.hashing.pdq import pdq_from_rgb
from share_guard.core.hashing.values import (
    FileDigest,
    HashType,
    MalformedHash,
    PDQHash,
    PHash,
    file_digests,
    normalize_value,
)

skdata = pytest.importorskip("skimage.data")


def _grad() -> np.ndarray:
    y, x = np.mgrid[0:96, 0:128]
    return np.stack([(x * 2) % 256, (y * 2) % 256, (x + y) % 256], -1).astype(np.uint8)


def _noise() -> np.ndarray:
    return np.random.default_rng(1234).integers(0, 256, (200, 150, 3), dtype=np.uint8)


def _rings() -> np.ndarray:
    y, x = np.mgrid[0:96, 0:128]
    r = (128 + 127 * np.sin(np.hypot(x - 64, y - 48) / 4)).astype(np.uint8)
    return np.stack([r] * 3, -1)


# Pinned so a code change cannot silently invalidate stored lists. The values
# equal the reference C++ (via the pdqhash bindings) on the same arrays.
PINNED = [
    (_grad, "ad66d9ec57a0dcb6bf0caa7d8ac4f0bc5d60544e0950aeadcff85a030054b5d5", 22),
    (_noise, "51187640bdf0d5986e1c0f8708be30fbe12fb3c9d5756a4ce8810aef64d35a6d", 100),
    (_rings, "302d665bccbdd908707c625fcdad88597164336c5da61423229352a7fb45efb4", 100),
]
PINNED_PHASH = [(_grad, "803b1258ae7baa7b"), (_noise, "83fba5da4038d3a5"), (_rings, "a00755b775a6669a")]


@pytest.mark.parametrize(("make", "hex_", "quality"), PINNED)
def test_pdq_pinned(make, hex_, quality):
    value, q = pdq_from_rgb(make())
    assert (format(value, "064x"), q) == (hex_, quality)


@pytest.mark.parametrize(("make", "hex_"), PINNED_PHASH)
def test_phash_pinned(make, hex_):
    from share_guard.core.hashing.image import phash_hash

    assert phash_hash(make()).hex == hex_


def _photos() -> dict[str, np.ndarray]:
    out = {}
    for name in ("astronaut", "chelsea", "coffee", "rocket", "camera", "immunohistochemistry"):
        im = getattr(skdata, name)()
        if im.ndim == 2:
            im = np.stack([im] * 3, -1)
        out[name] = np.ascontiguousarray(im[..., :3])
    return out


PHOTOS = _photos()


def test_bit_for_bit_with_reference_bindings():
    """Same bits and quality as Meta's C++ (pdqhash bindings) on photos, noise, odd sizes."""
    pdqhash = pytest.importorskip("pdqhash")
    rng = np.random.default_rng(7)
    arrays = list(PHOTOS.values()) + [make() for make, _, _ in PINNED]
    for _ in range(12):
        h, w = (int(v) for v in rng.integers(5, 400, 2))
        arrays.append(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    arrays.append(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))  # unfiltered path
    for a in arrays:
        bits, quality = pdqhash.compute(a)
        ref = int("".join(str(int(b)) for b in bits), 2)
        assert pdq_from_rgb(a) == (ref, quality), a.shape


def test_phash_bit_for_bit_with_imagehash():
    """Our numpy pHash equals imagehash.phash (SciPy's DCT) on photos, noise, flat pictures,
    gradients and checkerboards, where many DCT coefficients tie."""
    imagehash = pytest.importorskip("imagehash")
    from share_guard.core.hashing.image import phash_hash

    rng = np.random.default_rng(11)
    arrays = list(PHOTOS.values()) + [make() for make, _ in PINNED_PHASH]
    for i in range(150):
        h, w = (int(v) for v in rng.integers(8, 300, 2))
        kind = i % 5
        if kind == 0:
            a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        elif kind == 1:
            a = np.full((h, w, 3), rng.integers(1, 256), np.uint8)
        elif kind == 2:
            a = np.tile(np.linspace(0, 255, w).astype(np.uint8)[None, :, None], (h, 1, 3))
        elif kind == 3:
            a = ((np.indices((h, w)).sum(0) // int(rng.integers(1, 20))) % 2 * 255).astype(np.uint8)
        else:
            a = np.asarray(Image.fromarray(PHOTOS["coffee"]).resize((w, h)))
        arrays.append(np.ascontiguousarray(a))
    for a in arrays:
        ref = int(str(imagehash.phash(Image.fromarray(a))), 16)
        ours = phash_hash(a)
        assert (ours.value if ours else 0) == ref, a.shape


def test_too_small_gives_blank_hash():
    assert pdq_from_rgb(np.zeros((4, 100, 3), np.uint8)) == (0, 0)


# -- value objects ----------------------------------------------------------------------


def test_value_objects_hex_round_trip_and_distance():
    a = PDQHash.from_hex(PINNED[0][1], quality=22)
    assert a.hex == PINNED[0][1] and str(a) == a.hex and a.quality == 22
    b = PDQHash(a.value ^ 0b1011, 90)
    assert a - b == 3 and b - a == 3 and a - a == 0
    p = PHash.from_hex("803B1258AE7BAA7B")
    assert p.hex == "803b1258ae7baa7b"
    with pytest.raises(TypeError):
        _ = a - p  # different widths have no distance


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (HashType.PDQ, "ab" * 31),  # too short
        (HashType.PDQ, "ab" * 33),  # too long
        (HashType.PDQ, "zz" + "ab" * 31),  # not hex
        (HashType.PDQ, "0" * 64),  # all zero
        (HashType.PHASH, "0" * 16),
        (HashType.PHASH, "12345"),
        (HashType.MD5, "g" * 32),
        (HashType.SHA256, "a" * 63),
        (HashType.VPDQ, "a" * 64),
    ],
)
def test_malformed_hashes_rejected(kind, text):
    with pytest.raises(MalformedHash):
        normalize_value(kind, text)


def test_file_digests(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"hello")
    d = file_digests(f)
    assert d[HashType.MD5].hex == "5d41402abc4b2a76b9719d911017c592"
    assert d[HashType.SHA256] == FileDigest(
        HashType.SHA256, "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"
    )


# -- preprocessing ----------------------------------------------------------------------


def test_dihedral_variants_are_the_eight_transforms():
    a = np.arange(6).reshape(2, 3)
    got = {name: v.tolist() for name, v in dihedral(a)}
    assert list(got) == list(VARIANTS)
    assert got["rotate90"] == np.rot90(a, -1).tolist()
    assert got["transpose"] == a.T.tolist()
    assert len({str(v) for v in got.values()}) == 8


def test_trim_borders_finds_letterbox_and_ignores_plain_images():
    photo = PHOTOS["coffee"]
    h, w = photo.shape[:2]
    boxed = np.zeros((h + 120, w, 3), np.uint8)
    boxed[60 : 60 + h] = photo
    cut = trim_borders(boxed)
    assert cut is not None and abs(cut.shape[0] - h) <= 2 and cut.shape[1] == w
    assert trim_borders(photo) is None
    assert trim_borders(np.zeros((50, 50, 3), np.uint8)) is None


def test_exif_orientation_applied_before_hashing(tmp_path):
    photo = PHOTOS["astronaut"]
    upright = hash_array(fit(photo), queries=False).pdq
    # Store the pixels turned on their side and say so in EXIF (orientation 6 = rotate 90 CW).
    sideways = Image.fromarray(np.ascontiguousarray(np.rot90(photo, 1)))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "oriented.jpg"
    sideways.save(path, "JPEG", quality=95, exif=exif)
    assert hash_image(path, queries=False).pdq - upright <= 8
    assert load_rgb(path).shape[:2] == fit(photo).shape[:2]


def test_large_jpeg_uses_draft_and_stays_close(tmp_path):
    big = np.asarray(Image.fromarray(PHOTOS["chelsea"]).resize((2400, 1800)))
    path = tmp_path / "big.jpg"
    Image.fromarray(big).save(path, "JPEG", quality=90)
    assert max(load_rgb(path).shape[:2]) == 512
    assert hash_image(path, queries=False).pdq - hash_array(fit(big), queries=False).pdq <= 8


def test_list_entries_use_the_full_size_decode(tmp_path):
    """What the list stores is the reference value: the JPEG decoded whole, then fitted."""
    from PIL import ImageOps

    big = np.asarray(Image.fromarray(PHOTOS["coffee"]).resize((2400, 1600)))
    path = tmp_path / "big.jpg"
    Image.fromarray(big).save(path, "JPEG", quality=90)
    with Image.open(path) as im:
        decoded = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    full = hash_array(fit(decoded), queries=False).pdq
    assert hash_image(path, queries=False, draft=False).pdq == full
    assert np.array_equal(load_rgb(path, draft=False), fit(decoded))


# -- robustness: everyday edits of real photos still match ---------------------------


def _jpeg(a: np.ndarray, q: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "JPEG", quality=q)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def _letterbox(a: np.ndarray) -> np.ndarray:
    h, w = a.shape[:2]
    out = np.zeros((h + h // 2, w, 3), np.uint8)
    out[h // 4 : h // 4 + h] = a
    return _jpeg(out, 85)


EDITS = {
    "resize": lambda a: np.asarray(Image.fromarray(a).resize((a.shape[1] // 3, a.shape[0] // 3))),
    "jpeg-q30": lambda a: _jpeg(a, 30),
    "brightness": lambda a: np.asarray(ImageEnhance.Brightness(Image.fromarray(a)).enhance(1.3)),
    "grayscale": lambda a: np.asarray(Image.fromarray(a).convert("L").convert("RGB")),
    "rotate90": lambda a: np.ascontiguousarray(np.rot90(a)),
    "rotate180": lambda a: np.ascontiguousarray(np.rot90(a, 2)),
    "flip": lambda a: np.ascontiguousarray(a[:, ::-1]),
    "letterbox": _letterbox,
}
STORED = {name: hash_array(fit(a), queries=False).pdq for name, a in PHOTOS.items()}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_edited_photos_still_match(edit):
    for name, photo in PHOTOS.items():
        queries = hash_array(fit(EDITS[edit](photo))).queries
        best = min(h - STORED[name] for _, h in queries)
        assert best <= 31, (name, edit, best)


def test_distinct_photos_do_not_match():
    for name, photo in PHOTOS.items():
        queries = hash_array(fit(photo)).queries
        for other, stored in STORED.items():
            if other != name:
                assert min(h - stored for _, h in queries) > 52, (name, other)


def test_dihedral_hashes_equal_hashing_each_turned_copy():
    """pdq_dihedral computes the 8 variants together; each must be the variant's own PDQ."""
    from share_guard.core.hashing.pdq import luma_from_rgb, pdq_dihedral, pdq_from_luma

    rng = np.random.default_rng(11)
    planes = [luma_from_rgb(fit(p)) for p in PHOTOS.values()]
    planes += [rng.random((h, w), dtype=np.float32) * 255
               for h, w in ((64, 64), (5, 9), (7, 400), (129, 130), (300, 200), (512, 384))]
    for luma in planes:
        assert pdq_dihedral(luma) == [pdq_from_luma(v) for _, v in dihedral(luma)], luma.shape
