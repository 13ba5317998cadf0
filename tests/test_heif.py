"""HEIC/HEIF/AVIF: Exif/XMP items, thumbnails and Motion Photo videos are found and removed
without touching the coded picture. Fixtures come from pillow-heif / Pillow."""

from __future__ import annotations

import hashlib
import random
import struct
import subprocess
from pathlib import Path

import bmff_fixtures as fx
import numpy as np
import pytest
from checks import export_consented, strip_to

from share_guard.core.errors import ShareGuardError
from share_guard.core.inspect import inspect
from share_guard.core.report import Category


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("photos")
    video = fx.encode_movie(tmp / "clip.mp4", frames=4).read_bytes()
    return {
        "heic": fx.heic(tmp / "p.heic"),
        "heic-upright": fx.heic(tmp / "u.heic", thumbnails=False, orientation=1),
        "avif": fx.avif(tmp / "p.avif"),
        "motion-mpvd": fx.motion_photo(tmp / "m.heic", video),
        "motion-trailer": fx.motion_photo(tmp / "t.heic", video, as_box=False),
    }


def pixels(path: Path) -> np.ndarray:
    import pillow_heif
    from PIL import Image

    if path.suffix == ".avif":
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    return np.asarray(pillow_heif.open_heif(str(path), convert_hdr_to_8bit=False))


EXIF_XMP = [(Category.LOCATION, "Exif", "43.46700, 11.88500"),
            (Category.DEVICE, "Exif", fx.EXIF_MAKE), (Category.TIME, "Exif", fx.EXIF_DATE),
            (Category.IDENTITY, "XMP", fx.XMP_CREATOR)]
EXPECT = {
    "heic": EXIF_XMP + [(Category.HIDDEN, "HEIF", "Thumbnail"),
                        (Category.KEPT, "irot", "Rotation")],
    "heic-upright": EXIF_XMP,
    "avif": EXIF_XMP,
    "motion-mpvd": EXIF_XMP + [(Category.HIDDEN, "mpvd", "Motion Photo video")],
    "motion-trailer": EXIF_XMP + [(Category.HIDDEN, "trailer", "Motion Photo video")],
}


@pytest.mark.parametrize("name", list(EXPECT))
def test_inspect_finds_items(photos: dict[str, Path], name: str) -> None:
    report = inspect(photos[name])
    assert report.error is None and report.problems == []
    assert report.format == "heif" and report.kind == "image"
    for category, where, text in EXPECT[name]:
        assert any(f.category is category and where in f.where and text in (f.name + f.value)
                   for f in report.findings), (category, where, text)
    # the EXIF orientation is not what HEIF displays by: never reported as kept
    assert not any(f.category is Category.KEPT and "Exif" in f.where for f in report.findings)


def test_motion_photo_is_described_in_plain_words(photos: dict[str, Path]) -> None:
    report = inspect(photos["motion-mpvd"])
    video = next(f for f in report.findings if f.name == "Motion Photo video")
    assert video.value.endswith("kB video recorded around the photo")


@pytest.mark.exiftool
@pytest.mark.parametrize("name", list(EXPECT))
def test_clean_keeps_pixels_and_drops_metadata(photos: dict[str, Path], name: str,
                                               tmp_path: Path, witness) -> None:
    original = photos[name]
    before = hashlib.sha256(original.read_bytes()).hexdigest()
    planted_dump = witness.text(original)
    out = export_consented(original, tmp_path)

    assert hashlib.sha256(original.read_bytes()).hexdigest() == before
    again = inspect(out)
    assert again.error is None and again.problems == []
    assert again.identifying() == [], [f.name for f in again.identifying()]
    dump = witness.tags(out)
    text = witness.text(out)
    for value in fx.PLANTED_PHOTO:
        assert value in planted_dump, value
        assert value not in text, f"{witness.name} still reads {value!r}"
    assert not any(k.startswith(("IFD0:", "GPS:", "XMP")) for k in dump)
    assert np.array_equal(pixels(out), pixels(original))
    assert dump.get("QuickTime:Rotation") == witness.tags(original).get(
        "QuickTime:Rotation")
    assert b"ftyp" not in out.read_bytes()[32:], "no appended video may remain"


def test_thumbnail_is_gone_for_decoders(photos: dict[str, Path], tmp_path: Path) -> None:
    import pillow_heif

    out = tmp_path / "o.heic"
    strip_to(photos["heic"], out)
    before = pillow_heif.open_heif(str(photos["heic"])).info
    after = pillow_heif.open_heif(str(out)).info
    assert before["thumbnails"] and before["exif"] and before["xmp"]
    assert after["thumbnails"] == [] and not after.get("exif") and not after.get("xmp")


def test_motion_photo_output_ends_with_the_picture(photos: dict[str, Path],
                                                    tmp_path: Path) -> None:
    out = tmp_path / "o.heic"
    strip_to(photos["motion-mpvd"], out)
    data = photos["motion-mpvd"].read_bytes()
    assert out.stat().st_size == data.index(b"mpvd") - 4


def test_clean_twice_is_stable(photos: dict[str, Path], tmp_path: Path) -> None:
    once, twice = tmp_path / "1.heic", tmp_path / "2.heic"
    strip_to(photos["heic"], once)
    strip_to(once, twice)
    assert once.read_bytes() == twice.read_bytes()


def _error(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "bad.heic"
    path.write_bytes(data)
    report = inspect(path)
    assert report.error is not None and "\n" not in report.error
    return report.error


def _iloc_offset(data: bytes) -> int:
    return data.index(b"iloc") - 4


def test_item_pointing_past_the_end(photos: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(photos["heic-upright"].read_bytes())
    at = _iloc_offset(bytes(data))
    # iloc v0/v1: sizes at +12/+13, item count; make every extent length huge
    version = data[at + 8]
    off_size, len_size = data[at + 12] >> 4, data[at + 12] & 0xF
    base_size = data[at + 13] >> 4
    assert len_size == 4
    pos = at + 14
    count = struct.unpack(">H", data[pos : pos + 2])[0]
    pos += 2
    for _ in range(count):
        pos += 2 + (2 if version else 0) + 2 + base_size
        n = struct.unpack(">H", data[pos : pos + 2])[0]
        pos += 2
        for _ in range(n):
            pos += off_size
            data[pos : pos + 4] = struct.pack(">I", 2**31)
            pos += len_size
    assert "outside the file" in _error(tmp_path, bytes(data))


def test_missing_meta_is_an_error(tmp_path: Path) -> None:
    ftyp = fx.box(b"ftyp", b"heic\0\0\0\0mif1heic")
    assert "meta" in _error(tmp_path, ftyp + fx.box(b"mdat", b"x" * 100))


def test_truncated_heic(photos: dict[str, Path], tmp_path: Path) -> None:
    data = photos["heic"].read_bytes()
    error = _error(tmp_path, data[: len(data) // 3])
    assert "claims" in error or "cut short" in error


def test_mutated_heics_never_crash(photos: dict[str, Path], tmp_path: Path) -> None:
    data = photos["heic"].read_bytes()
    end = data.index(b"mdat")
    rng = random.Random(99)
    path = tmp_path / "m.heic"
    for _ in range(150):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(24, end)] = rng.randrange(256)
        path.write_bytes(bytes(buf))
        report = inspect(path)
        if report.error is None and not report.problems:
            try:
                strip_to(path, tmp_path / "o.heic")
            except ShareGuardError:
                pass


@pytest.mark.parametrize("angle, mirror", [(a, m) for a in (0, 90, 180, 270) for m in (None, 0, 1)])
def test_irot_imir_map_to_the_same_exif_orientation(angle: int, mirror: int | None) -> None:
    """HEIF turns by irot (counter-clockwise) then mirrors; EXIF orientation must agree."""
    from PIL import Image, ImageOps

    from share_guard.core.containers.heif import exif_orientation

    arr = np.arange(6 * 4 * 3, dtype=np.uint8).reshape(6, 4, 3)
    shown = np.rot90(arr, angle // 90)
    if mirror == 0:  # top and bottom exchanged (as amended; libheif and Apple agree)
        shown = shown[::-1]
    elif mirror == 1:
        shown = shown[:, ::-1]
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = exif_orientation(angle, mirror)
    img.info["exif"] = exif.tobytes()
    assert np.array_equal(np.asarray(ImageOps.exif_transpose(img)), shown)


@pytest.mark.parametrize("head", [
    b"\x00\x00\x00\x08ftyp" + bytes(8), b"\x00\x00\x00\x0cftypheic" + bytes(4),
    b"\x00\x00\x00\x00ftyp" + bytes(12),
])
def test_tiny_ftyp_is_never_a_crash(head: bytes, tmp_path: Path) -> None:
    path = tmp_path / "tiny.heic"
    path.write_bytes(head)
    report = inspect(path)
    assert report.error is not None or report.problems


def test_avif_image_sequence(tmp_path: Path) -> None:
    """An animated AVIF holds a movie ('moov') beside or instead of items: kept bit-exact."""
    import shutil

    import av

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    path = tmp_path / "seq.avif"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5",
                    "-t", "1", "-c:v", "libaom-av1", "-cpu-used", "8", str(path)], check=True)
    report = inspect(path)
    assert report.format == "heif" and report.problems == [] and report.error is None
    assert report.properties["tracks"] == ["pict"]
    (tmp_path / "out").mkdir()
    out = export_consented(path, tmp_path / "out")

    def packets(p: Path) -> list[bytes]:
        with av.open(str(p)) as c:
            return [bytes(pkt) for pkt in c.demux(video=0) if pkt.size]

    assert packets(out) and packets(out) == packets(path)
    assert b"PictureHandler" in path.read_bytes() and b"PictureHandler" not in out.read_bytes()
