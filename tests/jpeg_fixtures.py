"""Build JPEG fixtures in code: pixels from numpy, metadata from piexif and segment writers."""

from __future__ import annotations

import io
import struct

import numpy as np
import piexif
from PIL import Image

GPS_LAT = (43, 28, 2.81)
GPS_LON = (11, 53, 6.46)
PLANTED = {
    "artist": "Planted Artist Name",
    "serial": "SN-PLANTED-4711",
    "make": "PlantedMake",
    "model": "PlantedModel X1",
    "date": "2021:03:04 05:06:07",
    "comment": "planted comment text",
    "xmp_creator": "Xmp Creator Planted",
    "iptc_byline": "Iptc Byline Planted",
    "iptc_city": "Plantedville",
    "owner": "Planted Owner",
}


def pixels(width: int = 96, height: int = 64, seed: int = 1) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                     (x + y) % 256], axis=-1).astype(np.int16)
    noise = rng.integers(-20, 20, size=base.shape)
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")


def _rational(v: float) -> tuple[int, int]:
    return (round(v * 100), 100)


def exif_bytes(*, gps: bool = False, serial: bool = False, artist: bool = False,
               dates: bool = False, thumbnail: bytes | None = None, orientation: int = 1,
               owner: bool = False) -> bytes:
    zeroth: dict[int, object] = {piexif.ImageIFD.Make: PLANTED["make"],
                                 piexif.ImageIFD.Model: PLANTED["model"]}
    exif: dict[int, object] = {}
    gps_ifd: dict[int, object] = {}
    first: dict[int, object] = {}
    if orientation != 1:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    if artist:
        zeroth[piexif.ImageIFD.Artist] = PLANTED["artist"]
    if dates:
        zeroth[piexif.ImageIFD.DateTime] = PLANTED["date"]
        exif[piexif.ExifIFD.DateTimeOriginal] = PLANTED["date"]
    if serial:
        exif[piexif.ExifIFD.BodySerialNumber] = PLANTED["serial"]
    if owner:
        exif[piexif.ExifIFD.CameraOwnerName] = PLANTED["owner"]
    if gps:
        gps_ifd = {
            piexif.GPSIFD.GPSLatitudeRef: "N",
            piexif.GPSIFD.GPSLatitude: tuple(_rational(v) for v in GPS_LAT),
            piexif.GPSIFD.GPSLongitudeRef: "E",
            piexif.GPSIFD.GPSLongitude: tuple(_rational(v) for v in GPS_LON),
            piexif.GPSIFD.GPSAltitude: (120, 1),
        }
    if thumbnail is not None:
        first = {piexif.ImageIFD.Compression: 6}
    return piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps_ifd, "1st": first,
                        "thumbnail": thumbnail})


def thumbnail_of(img: Image.Image, size: tuple[int, int] = (48, 32)) -> bytes:
    buf = io.BytesIO()
    img.resize(size).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def plain_jpeg(img: Image.Image | None = None, quality: int = 90, **save: object) -> bytes:
    buf = io.BytesIO()
    (img or pixels()).save(buf, "JPEG", quality=quality, **save)
    return buf.getvalue()


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def insert_after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    """Insert segments after SOI and any APP0 JFIF segment."""
    pos = 2
    if jpeg[2:4] == b"\xff\xe0":
        pos = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:pos] + b"".join(segments) + jpeg[pos:]


def xmp_segment(gps: bool = True) -> bytes:
    gps_attrs = 'exif:GPSLatitude="43,28.0468N" exif:GPSLongitude="11,53.1077E"' if gps else ""
    xml = f"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
 {gps_attrs}><dc:creator><rdf:Seq><rdf:li>{PLANTED["xmp_creator"]}</rdf:li></rdf:Seq></dc:creator>
 <xmpMM:History><rdf:Seq><rdf:li stEvt:action="cropped" stEvt:when="2020-01-02T03:04:05"/></rdf:Seq>
 </xmpMM:History></rdf:Description></rdf:RDF></x:xmpmeta>"""
    return segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xml.encode())


def iptc_segment() -> bytes:
    def dataset(num: int, value: str) -> bytes:
        raw = value.encode()
        return bytes([0x1C, 2, num]) + struct.pack(">H", len(raw)) + raw

    iptc = dataset(80, PLANTED["iptc_byline"]) + dataset(90, PLANTED["iptc_city"])
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    if len(iptc) % 2:
        resource += b"\x00"
    return segment(0xED, b"Photoshop 3.0\x00" + resource)


def fake_mp4(size: int = 4096) -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftypmp42" + b"\x00\x00\x00\x00" + b"mp42isom"
    mdat_payload = bytes(range(256)) * (size // 256)
    return ftyp + struct.pack(">I", len(mdat_payload) + 8) + b"mdat" + mdat_payload


def mpf_segment() -> bytes:
    """A minimal MPF index (APP2 "MPF\\0" + TIFF) like phones write for secondary images."""
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">H", 1) + struct.pack(
        ">HHI4s", 0xB000, 7, 4, b"0100") + b"\x00\x00\x00\x00"
    return segment(0xE2, b"MPF\x00" + tiff)
