"""Our own independent reader (tests/witness.py) reads what was planted in each format, and
nothing after cleaning: the round-trip tests fall back on it where exiftool is missing, so
it must be a witness that sees, not one that passes by reading nothing."""

from __future__ import annotations

from pathlib import Path

import bmff_fixtures as fx
import pytest
from checks import strip_to
from image_fixtures import (
    ARTIST,
    SERIAL,
    exif_tiff,
    gif_bytes,
    gif_comment_ext,
    gif_insert,
    gif_xmp_ext,
    itxt_chunk,
    png_bytes,
    png_chunk,
    png_insert,
    text_chunk,
    webp_bytes,
    xmp_packet,
    ztxt_chunk,
)
from jpeg_fixtures import exif_bytes, insert_after_soi, iptc_segment, pixels, plain_jpeg, xmp_segment
from PIL import Image
from witness import Witness

OWN = Witness()


def _tiff(tmp: Path) -> Path:
    path = tmp / "t.tif"
    Image.new("RGB", (32, 24), (40, 90, 160)).save(path, "TIFF", tiffinfo={315: ARTIST, 271: "Make"})
    return path


def _write(tmp: Path, name: str, data: bytes) -> Path:
    (tmp / name).write_bytes(data)
    return tmp / name


PHOTOS = {
    "jpeg": (lambda t: _write(t, "p.jpg", insert_after_soi(
        plain_jpeg(pixels(), exif=exif_bytes(gps=True, serial=True, artist=True)),
        xmp_segment(), iptc_segment())),
        ["GPS:GPSLatitude", "ExifIFD:SerialNumber", "IFD0:Artist", "XMP:XMP", "IPTC:IPTCData"]),
    "png": (lambda t: _write(t, "p.png", png_insert(png_bytes(), [
        text_chunk("Author", ARTIST), ztxt_chunk("Comment", SERIAL.encode()),
        itxt_chunk("XML:com.adobe.xmp", xmp_packet(), compressed=True),
        png_chunk(b"eXIf", exif_tiff())])),
        ["PNG:Author", "PNG:Comment", "XMP:XMP", "GPS:GPSLatitude", "IFD0:Artist"]),
    "webp": (lambda t: _write(t, "p.webp", webp_bytes(exif=exif_tiff(), xmp=xmp_packet())),
             ["GPS:GPSLatitude", "IFD0:Artist", "XMP:XMP"]),
    "gif": (lambda t: _write(t, "p.gif", gif_insert(gif_bytes(), gif_comment_ext(ARTIST.encode()),
                                                    gif_xmp_ext(xmp_packet()))),
            ["GIF:Comment", "XMP:XMP"]),
    "tiff": (_tiff, ["IFD0:Artist", "IFD0:Make", "IFD0:StripOffsets"]),
    "heif": (lambda t: fx.heic(t / "p.heic"), ["IFD0:Make", "GPS:GPSLatitude", "XMP:XMP"]),
}


@pytest.mark.parametrize("name", list(PHOTOS))
def test_own_reader_sees_planted_photo_metadata_and_none_after_cleaning(name, tmp_path):
    make, keys = PHOTOS[name]
    dirty = make(tmp_path)
    tags = OWN.tags(dirty)
    assert set(keys) <= set(tags), sorted(tags)
    out = tmp_path / f"clean-{dirty.name}"
    strip_to(dirty, out)
    after = OWN.tags(out)
    assert not [k for k in after if k.startswith(("GPS", "XMP", "IPTC", "ExifIFD", "PNG:Author",
                                                  "IFD0:Artist", "GIF:Comment"))], after


def test_own_reader_reads_values_as_exiftool_shows_them(tmp_path):
    jpeg = tmp_path / "p.jpg"
    jpeg.write_bytes(plain_jpeg(pixels(), exif=exif_bytes(gps=True)))
    latitude = OWN.tags(jpeg)["GPS:GPSLatitude"]
    assert latitude.startswith(("43 deg", "52 deg")) or " deg " in latitude
    png = png_insert(png_bytes(), [ztxt_chunk("Comment", b"inflated secret")])
    assert OWN.tags(_write(tmp_path, "z.png", png))["PNG:Comment"] == "inflated secret"
    assert "inflated secret" in OWN.text(tmp_path / "z.png")  # compressed: not in the raw bytes
    assert b"inflated secret" not in png


def test_own_reader_sees_movie_metadata(tmp_path):
    from test_mp4 import FULL

    movie = fx.movie(tmp_path, "m.mp4", spec=FULL)
    tags = OWN.tags(movie)
    assert tags["Composite:Rotation"] == 90
    text = OWN.text(movie)
    for value in (fx.MAKE, fx.KEYS_MAKE, fx.XMP_CREATOR, "2024:05:01", "2024:05:02"):
        assert value in text, value
    assert any(v == fx.KEYS_MAKE for v in tags.values())  # read as a Keys item, not by chance


def test_own_reader_sees_matroska_and_avi_metadata(tmp_path):
    from test_avi import ARTIST as AVI_ARTIST
    from test_avi import IDIT, STREAM_NAME, plant
    from video_fixtures import make_video

    mkv = make_video(tmp_path / "m.mkv", container="matroska", vcodec="libx264", acodec="aac",
                     metadata={"title": "Planted Title", "artist": ARTIST}, frames=6)
    tags = OWN.tags(mkv)
    assert tags["Matroska:Title"] == "Planted Title" and tags["Matroska:Artist"] == ARTIST
    assert tags.get("Matroska:MuxingApp", "").startswith("Lavf")
    avi = plant(make_video(tmp_path / "a.avi", container="avi", vcodec="mjpeg",
                           acodec="pcm_s16le", frames=6))
    tags = OWN.tags(avi)
    assert tags["RIFF:DateTimeOriginal"].startswith(IDIT) and tags["RIFF:StreamName"] == STREAM_NAME
    assert "XMP:XMP" in tags and tags["RIFF:Artist"] == AVI_ARTIST


def test_the_witness_never_skips():
    from witness import witness

    assert witness().name in ("exiftool", "own reader")

