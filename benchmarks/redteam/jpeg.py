"""JPEG: colour profiles of every shape, tables, scans and the layouts phones write."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

from . import ICC_PLACES, Case, case, icc_marker, icc_variant, picture


def jpeg(im=None, **kw: object) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    (im or picture()).save(out, "JPEG", quality=kw.pop("quality", 90), **kw)
    return out.getvalue()


def seg(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def after_soi(data: bytes, *segments: bytes) -> bytes:
    return data[:2] + b"".join(segments) + data[2:]


def before_sos(data: bytes, *segments: bytes) -> bytes:
    at = data.index(b"\xff\xda")
    return data[:at] + b"".join(segments) + data[at:]


def scan_ends(data: bytes) -> list[int]:
    """Offsets of the marker that ends each scan's entropy-coded data."""
    ends, pos = [], 0
    while True:
        sos = data.find(b"\xff\xda", pos)
        if sos < 0:
            return ends
        p = sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")
        while True:
            p = data.index(b"\xff", p)
            if data[p + 1] == 0 or 0xD0 <= data[p + 1] <= 0xD7:
                p += 2
                continue
            break
        ends.append(p)
        pos = p


def exif_gps(artist: str, lat_note: str = "", orientation: int = 1,
             thumbnail: bytes | None = None, maker_note: bytes | None = None) -> bytes:
    import piexif

    gps = {piexif.GPSIFD.GPSLatitudeRef: b"N",
           piexif.GPSIFD.GPSLatitude: ((48, 1), (51, 1), (2400, 100)),
           piexif.GPSIFD.GPSLongitudeRef: b"E",
           piexif.GPSIFD.GPSLongitude: ((2, 1), (17, 1), (4000, 100))}
    if lat_note:
        gps[piexif.GPSIFD.GPSProcessingMethod] = b"ASCII\0\0\0" + lat_note.encode()
    exif: dict = {piexif.ExifIFD.BodySerialNumber: artist.encode() + b"-SN"}
    if maker_note is not None:
        exif[piexif.ExifIFD.MakerNote] = maker_note
    d = {"0th": {piexif.ImageIFD.Artist: artist.encode(), piexif.ImageIFD.Make: b"Google",
                 piexif.ImageIFD.Model: b"Pixel 8", piexif.ImageIFD.Orientation: orientation},
         "Exif": exif, "GPS": gps}
    if thumbnail is not None:
        d["1st"] = {piexif.ImageIFD.JPEGInterchangeFormat: 0,
                    piexif.ImageIFD.JPEGInterchangeFormatLength: 0}
        d["thumbnail"] = thumbnail
    return piexif.dump(d)


def xmp(body: str) -> bytes:
    return (b"http://ns.adobe.com/xap/1.0/\0<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>"
            b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/"
            b"02/22-rdf-syntax-ns#'><rdf:Description " + body.encode()
            + b"/></rdf:RDF></x:xmpmeta><?xpacket end='w'?>")


def mpf(primary_size: int, second_size: int, second_offset: int) -> bytes:
    """An MPF APP2 payload indexing the primary image and one more (offsets from the MPF
    TIFF header, which sits 8 bytes into the APP2 segment)."""
    entries = (struct.pack(">IIIHH", 0x20030000, primary_size, 0, 0, 0)
               + struct.pack(">IIIHH", 0x00010002, second_size, second_offset, 0, 0))
    ifd = struct.pack(">H", 3)
    data_at = 8 + 2 + 3 * 12 + 4
    ifd += struct.pack(">HHI4s", 0xB000, 7, 4, b"0100")
    ifd += struct.pack(">HHII", 0xB001, 4, 1, 2)
    ifd += struct.pack(">HHII", 0xB002, 7, len(entries), data_at)
    ifd += struct.pack(">I", 0)
    return b"MPF\0" + b"MM\0*" + struct.pack(">I", 8) + ifd + entries


def motion_photo(video: bytes, marker: str) -> bytes:
    """An Android motion photo: EXIF (GPS), XMP naming the video, MPF indexing a second
    (gain-map-like) JPEG, and the MP4 after both."""
    second = after_soi(jpeg(picture(32, 24, seed=9)), seg(0xFE, f"{marker}_SECOND".encode()))
    desc = (f"xmlns:GCamera='http://ns.google.com/photos/1.0/camera/' GCamera:MotionPhoto='1' "
            f"GCamera:MotionPhotoVersion='1' GCamera:MicroVideoOffset='{len(video)}' "
            f"xmlns:dc='http://purl.org/dc/elements/1.1/' dc:creator='{marker}_XMP'")
    head = [seg(0xE1, b"Exif\0\0" + exif_gps(f"{marker}_EXIF")), seg(0xE1, xmp(desc))]
    body = jpeg()[2:]
    size = 0
    for _ in range(3):  # the MPF segment's size does not depend on the offsets it holds
        app2 = seg(0xE2, mpf(size, len(second), 0))
        primary = b"\xff\xd8" + b"".join(head) + app2 + body
        size = len(primary)
    mpf_header = 2 + sum(map(len, head)) + 4 + 4  # SOI, APP1s, APP2 marker+length, "MPF\0"
    app2 = seg(0xE2, mpf(size, len(second), size - mpf_header))
    primary = b"\xff\xd8" + b"".join(head) + app2 + body
    return primary + second + video


def sef_trailer(marker: str) -> bytes:
    """A Samsung SEF trailer (after EOI): records, their directory, SEFH ... SEFT."""
    records = [(0x0A01, b"Image_UTC_Data", b"1700000000123"),
               (0x0A20, b"MCC_Data", b"262"),
               (0x0A30, b"Camera_Capture_Mode_Info", f"{marker}_SEF".encode())]
    blobs, directory = b"", b""
    for kind, name, value in records:
        block = struct.pack("<HHI", 0, kind, len(name)) + name + value
        directory += struct.pack("<HHII", 0, kind, 0, len(block))
        blobs += block
    sefh = b"SEFH" + struct.pack("<II", 107, len(records)) + directory
    return blobs + sefh + struct.pack("<I", len(sefh)) + b"SEFT"


def tiny_mp4(marker: str) -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        out.metadata["title"] = f"{marker}_MP4"
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(4):
            for p in s.encode(av.VideoFrame.from_image(picture(seed=i))):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return buf.getvalue()


@case
def icc_places() -> Iterator[Case]:
    for place in ICC_PLACES:
        marker = f"RT_JICC_{place.upper().replace('-', '_')}"
        yield Case(f"jpeg-icc-{place}", jpeg(icc_profile=icc_variant(place, marker)),
                   [icc_marker(place, marker)], 1)


@case
def jpeg_cases() -> Iterator[Case]:
    # an ICC profile split across many small APP2 chunks, the text straddling two of them
    profile = icc_variant("dmnd-dmdd", "RT_J_ICCSPLIT_0123456789")
    n = 7
    size = -(-len(profile) // n)
    chunks = [profile[i : i + size] for i in range(0, len(profile), size)]
    segs = [seg(0xE2, b"ICC_PROFILE\0" + bytes([i + 1, len(chunks)]) + c)
            for i, c in enumerate(chunks)]
    yield Case("jpeg-icc-many-chunks", after_soi(jpeg(), *segs), ["RT_J_ICCSPLIT"], 1)

    # a Huffman table no scan uses, its symbols spelling a marker
    sym = b"RT_J_SPARE_DHT"
    counts = bytearray(16)
    counts[7] = len(sym)
    yield Case("jpeg-spare-dht", before_sos(jpeg(), seg(0xC4, bytes([0x13]) + counts + sym)),
               ["RT_J_SPARE_DHT"], 6)

    # 16-bit quantisation table id 2 nobody uses
    q = bytes([0x12]) + b"RT_J_SPARE_DQT16".ljust(128, b"_")
    yield Case("jpeg-spare-dqt16", before_sos(jpeg(), seg(0xDB, q)), ["RT_J_SPARE_DQT16"], 6)

    # bytes after the end of the last scan's entropy-coded data (before EOI)
    base = jpeg()
    end = scan_ends(base)[-1]
    yield Case("jpeg-last-scan-tail", base[:end] + b"RT_J_LASTSCAN_TAIL" + base[end:],
               ["RT_J_LASTSCAN_TAIL"], 6)

    # bytes after the end of an earlier scan of a progressive JPEG
    prog = jpeg(progressive=True)
    first = scan_ends(prog)[0]
    yield Case("jpeg-progressive-scan-tail", prog[:first] + b"RT_J_PROGSCAN_TAIL" + prog[first:],
               ["RT_J_PROGSCAN_TAIL"], 6)

    # APP1 EXIF with GPS between two scans of a progressive JPEG
    second = scan_ends(prog)[1]
    app1 = seg(0xE1, b"Exif\0\0" + exif_gps("RT_J_MIDSCAN_EXIF"))
    yield Case("jpeg-exif-between-scans", prog[:second] + app1 + prog[second:],
               ["RT_J_MIDSCAN_EXIF"], 3)

    # JFXX extension thumbnail (JPEG-coded) holding a comment
    thumb = after_soi(jpeg(picture(16, 12)), seg(0xFE, b"RT_J_JFXX_THUMB"))
    yield Case("jpeg-jfxx-thumbnail", after_soi(jpeg(), seg(0xE0, b"JFXX\0\x10" + thumb)),
               ["RT_J_JFXX_THUMB"], 3)

    # EXIF with an IFD1 thumbnail carrying its own comment, and a maker note with a serial
    thumb = after_soi(jpeg(picture(16, 12)), seg(0xFE, b"RT_J_EXIFTHUMB_COM"))
    exif = exif_gps("RT_J_EXIF_ART", thumbnail=thumb, maker_note=b"Nikon\0\x02\x10\0\0RT_J_MKN")
    yield Case("jpeg-exif-thumbnail-makernote", jpeg(exif=exif),
               ["RT_J_EXIFTHUMB_COM", "RT_J_MKN", "RT_J_EXIF_ART"], 3)

    # a comment written as UTF-16
    yield Case("jpeg-com-utf16", after_soi(jpeg(), seg(0xFE, "RT_J_COM16".encode("utf-16-le"))),
               ["RT_J_COM16"], 3)

    # extended XMP (the overflow Google phones use for depth maps)
    ext = (b"http://ns.adobe.com/xmp/extension/\0" + b"0" * 32 + struct.pack(">II", 40, 0)
           + b"<x>RT_J_XMPEXT_DEPTH</x>".ljust(40))
    yield Case("jpeg-xmp-extension", after_soi(jpeg(), seg(0xE1, ext)), ["RT_J_XMPEXT"], 3)

    # APP segments after the first scan's header: APP13 Photoshop with IPTC by-line
    irb = (b"Photoshop 3.0\0" + b"8BIM\x04\x04\0\0" + struct.pack(">I", 20)
           + b"\x1c\x02\x50\x00\x0eRT_J_IPTC_BYL\0")
    yield Case("jpeg-app13-iptc-byline", before_sos(jpeg(), seg(0xED, irb)), ["RT_J_IPTC_BYL"], 3)

    # APP0 JFIF with a thumbnail and the Adobe block both with trailing text
    jfif = b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x01\x01" + b"\x10\x20\x30" + b"RT_J_JFIFTHUMB"
    base = jpeg()
    app0 = base.index(b"\xff\xe0")
    length = int.from_bytes(base[app0 + 2 : app0 + 4], "big")
    yield Case("jpeg-jfif-thumbnail", base[:app0] + seg(0xE0, jfif) + base[app0 + 2 + length :],
               ["RT_J_JFIFTHUMB"], 5)

    # an APP2 that is not ICC (FlashPix) and an APP4 with a serial
    yield Case("jpeg-app2-flashpix", after_soi(jpeg(), seg(0xE2, b"FPXR\0\0RT_J_FPXR"),
                                               seg(0xE4, b"RT_J_APP4_SERIAL")),
               ["RT_J_FPXR", "RT_J_APP4_SERIAL"], 3)

    # the Android motion-photo layout (a real phone writes this): must be cleaned
    yield Case("jpeg-android-motion-photo", motion_photo(tiny_mp4("RT_J_MOTION"), "RT_J_MOTION"),
               ["RT_J_MOTION_EXIF", "RT_J_MOTION_XMP", "RT_J_MOTION_SECOND", "RT_J_MOTION_MP4"],
               0)

    # a Samsung photo: EXIF and the SEF trailer after EOI
    yield Case("jpeg-samsung-sef", jpeg(exif=exif_gps("RT_J_SAMSUNG_EXIF"))
               + sef_trailer("RT_J_SAMSUNG"), ["RT_J_SAMSUNG_SEF", "RT_J_SAMSUNG_EXIF"], 0)

    # what WhatsApp sends: re-encoded, JFIF only, 4:2:0, no metadata (cleaned, not refused)
    yield Case("jpeg-whatsapp-reencoded", jpeg(picture(160, 120), quality=75, progressive=True,
                                               optimize=True, subsampling=2), [], 0)

    # an iPhone-style JPEG: EXIF (GPS, orientation 6), Display P3 profile, MPF + HDR gain map
    p3 = icc_variant("text-type-cprt", "RT_J_IPHONE_CPRT")
    phone = jpeg(exif=exif_gps("RT_J_IPHONE_EXIF", orientation=6), icc_profile=p3)
    gain = after_soi(jpeg(picture(32, 24, "L")),
                     seg(0xE1, xmp("xmlns:HDRGainMap='http://ns.apple.com/HDRGainMap/1.0/' "
                                   "HDRGainMap:HDRGainMapVersion='65536' "
                                   "xmlns:tiff='http://ns.adobe.com/tiff/1.0/' "
                                   "tiff:Model='RT_J_IPHONE_GAINMAP'")))
    yield Case("jpeg-iphone-gainmap", phone + gain,
               ["RT_J_IPHONE_EXIF", "RT_J_IPHONE_CPRT", "RT_J_IPHONE_GAINMAP"], 0)

    # restart markers and a DRI; text after the last restart interval's data
    rst = jpeg(picture(64, 48), restart_marker_blocks=1)
    end = scan_ends(rst)[-1]
    yield Case("jpeg-restart-tail", rst[:end] + b"RT_J_RST_TAIL" + rst[end:], ["RT_J_RST_TAIL"], 6)
