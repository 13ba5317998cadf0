"""HEIF hiding places, one row each: a unique marker is planted where the format allows it,
the file is cleaned through the real consented export (verified, byte-accounted), and the
marker must be gone (raw, UTF-16, hex, inflated), unread by witness, while the picture
stays pixel-identical. Files are written by tests/heif_builder.py around a real coded
picture; inspect must name each place before cleaning."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import bmff_fixtures as fx
import heif_builder as hb
import pytest
from checks import assert_same_pixels, assert_witness_clean, clean_files, consent_yes, export_consented
from leakscan import assert_no_markers, leaked_markers
from witness import Witness

from share_guard.core.containers.heif_items import ALPHA_AUX
from share_guard.core.export.pipeline import ExportOptions
from share_guard.core.inspect import inspect

box, full = fx.box, fx.full


@pytest.fixture(scope="module")
def coded() -> hb.Coded:
    return hb.coded_picture()


def _extra_item(heif: hb.Heif, item: hb.Item) -> hb.Heif:
    heif.items.append(item)
    return heif


def item_name(c: hb.Coded) -> hb.Heif:
    heif = hb.simple(c)
    heif.items[0].name = "MARKER_ITEMNAME Jane"
    return heif


def uri_item(c: hb.Coded) -> hb.Heif:
    heif = hb.simple(c)
    return _extra_item(heif, hb.Item(2, b"uri ", b"MARKER_URIDATA payload",
                                     uri="urn:example:MARKER_URITYPE"))


def mime_item(c: hb.Coded) -> hb.Heif:
    heif = hb.simple(c, refs=[(b"cdsc", 2, [1])])
    return _extra_item(heif, hb.Item(2, b"mime", b"MARKER_MIMEDATA jane@example.org",
                                     name="MARKER_MIMENAME", content_type="text/x-MARKER_CT",
                                     encoding="MARKER_ENC"))


def exif_xmp(c: hb.Coded) -> hb.Heif:
    heif = hb.simple(c, refs=[(b"cdsc", 2, [1]), (b"cdsc", 3, [1])])
    heif.items.append(hb.Item(2, b"Exif", bytes(4) + fx.exif_bytes(1)))
    heif.items.append(hb.Item(3, b"mime", fx.XMP_PACKET, content_type="application/rdf+xml"))
    return heif


def udes(c: hb.Coded) -> hb.Heif:
    heif = hb.simple(c)
    heif.props.append(full(b"udes", 0, 0, b"en\0MARKER_UDESNAME\0MARKER_UDESDESC\0tag\0"))
    heif.items[0].props.append((3, False))
    return heif


def unknown_prop(c: hb.Coded) -> hb.Heif:
    heif = hb.simple(c)
    heif.props.append(box(b"zzzz", b"MARKER_PROP vendor serial 0042"))
    heif.items[0].props.append((3, False))
    return heif


def xml_box(c: hb.Coded) -> hb.Heif:
    return hb.simple(c, meta_extra=[full(b"xml ", 0, 0, b"<x>MARKER_XMLBOX</x>")])


def uuid_meta(c: hb.Coded) -> hb.Heif:
    return hb.simple(c, meta_extra=[box(b"uuid", bytes(range(16)) + b"MARKER_UUIDMETA")])


def uuid_top(c: hb.Coded) -> hb.Heif:
    return hb.simple(c, top_extra=[box(b"uuid", bytes(range(16)) + b"MARKER_UUIDTOP")])


def groups(c: hb.Coded) -> hb.Heif:
    group = full(b"altr", 0, 0, struct.pack(">III", 7, 1, 1)) + box(b"zzzz", b"MARKER_GRPL")
    return hb.simple(c, meta_extra=[box(b"grpl", group)])


def icc(c: hb.Coded) -> hb.Heif:
    heif = hb.simple(c)
    heif.props.append(box(b"colr", b"prof" + fx.icc_profile("MARKER_ICCDESC Jane's MacBook")))
    heif.items[0].props.append((3, True))
    return heif


def hvcc_sei(c: hb.Coded) -> hb.Heif:
    return hb.simple(hb.Coded(hb.hvcc_with_sei(c.hvcc, "MARKER_HVCCSEI x265 settings"), c.ispe,
                              c.data))


def hvcc_flags(c: hb.Coded) -> hb.Heif:
    """Found by the red team: hvcC's compatibility and constraint flags (ten bytes no decoder
    reads there) spelling text."""
    return hb.simple(hb.Coded(box(b"hvcC", c.hvcc[8:10] + b"MARKFLAGS_" + c.hvcc[20:]), c.ispe,
                              c.data))


def item_sei(c: hb.Coded) -> hb.Heif:
    return hb.simple(hb.Coded(c.hvcc, c.ispe, hb.sei_nal("MARKER_ITEMSEI serial 99") + c.data))


def depth_map(c: hb.Coded) -> hb.Heif:
    heif = hb.simple(c, refs=[(b"auxl", 2, [1])])
    heif.props.append(full(b"auxC", 0, 0, b"urn:com:apple:photo:2020:aux:depth\0MARKER_AUXC"))
    heif.items.append(hb.Item(2, b"hvc1", b"MARKER_DEPTHDATA" * 4, props=[(1, True), (3, True)]))
    return heif


def thumbnail(c: hb.Coded) -> hb.Heif:
    heif = hb.simple(c, refs=[(b"thmb", 2, [1])])
    heif.items.append(hb.Item(2, b"hvc1", b"MARKER_THUMB" + c.data, props=[(1, True)]))
    return heif


def mdat_gap(c: hb.Coded) -> hb.Heif:
    return hb.simple(c, mdat_extra=b"MARKER_GAP GPS 43.4670 11.8850")


def trailer(c: hb.Coded) -> hb.Heif:
    return hb.simple(c, trailer=b"\x01\x02\x03\x04\xff\xfe\x00\x01MARKER_TRAILER after the boxes")


def dref_url(c: hb.Coded) -> hb.Heif:
    url = full(b"url ", 0, 0, b"file:///Users/MARKER_DREF/Pictures/x.heic\0")
    return hb.simple(c, dinf=box(b"dinf", full(b"dref", 0, 0, struct.pack(">I", 1) + url)))


def hdlr_name(c: hb.Coded) -> hb.Heif:
    return hb.simple(c, hdlr_name="MARKER_HDLRNAME")


def free_data(c: hb.Coded) -> hb.Heif:
    return hb.simple(c, meta_extra=[box(b"free", b"MARKER_FREEMETA")],
                     top_extra=[box(b"free", b"MARKER_FREETOP")])


def alpha_slack(c: hb.Coded) -> hb.Heif:
    """An alpha plane is kept, but nothing may ride along in its auxC subtype."""
    heif = hb.simple(c, refs=[(b"auxl", 2, [1])])
    heif.props.append(full(b"auxC", 0, 0, ALPHA_AUX[0].encode() + b"\0MARKER_ALPHASUB"))
    heif.items.append(hb.Item(2, b"hvc1", c.data, props=[(1, True), (2, False), (3, True)]))
    return heif


def mastering_numbers(c: hb.Coded) -> hb.Heif:
    """Found by the red team: a mastering display whose chromaticities spell text."""
    heif = hb.simple(c)
    heif.props.append(box(b"mdcv", b"MARKER_MDCVPRIM" + b"_" + struct.pack(">II", 10**7, 50)))
    heif.items[0].props.append((3, False))
    return heif


def delimiter_payload(c: hb.Coded) -> hb.Heif:
    """Found by the red team: an access unit delimiter with text after its one byte."""
    heif = hb.simple(c)
    aud = bytes([35 << 1, 1, 0x50]) + b"MARKER_AUDDATA"
    heif.items[0].data = len(aud).to_bytes(4, "big") + aud + c.data
    return heif


def free_in_iprp(c: hb.Coded) -> hb.Heif:
    """Found by the red team: a 'free' box inside iprp was blanked, then refused."""
    return hb.simple(c, iprp_extra=[box(b"free", b"MARKER_IPRPFREE")])


def text_trailer(c: hb.Coded) -> hb.Heif:
    """Found by the red team: appended text reading as a box header was called a cut file."""
    return hb.simple(c, trailer=b"MARKER_TEXTTRAILER appended by an app")


ROWS: dict[str, tuple[Callable[[hb.Coded], hb.Heif], list[str], str]] = {
    "hvcC profile flags": (hvcc_flags, ["MARKFLAGS_"], ""),
    "mastering display numbers": (mastering_numbers, ["MARKER_MDCVPRIM"], ""),
    "delimiter with data": (delimiter_payload, ["MARKER_AUDDATA"], ""),
    "free box in iprp": (free_in_iprp, ["MARKER_IPRPFREE"], ""),
    "text after the last box": (text_trailer, ["MARKER_TEXTTRAILER"], "Data after the image"),
    # name: (builder, markers, text inspect must show)
    "infe item name": (item_name, ["MARKER_ITEMNAME"], "MARKER_ITEMNAME"),
    "uri item": (uri_item, ["MARKER_URIDATA", "MARKER_URITYPE"], "MARKER_URITYPE"),
    "mime item": (mime_item, ["MARKER_MIMEDATA", "MARKER_MIMENAME", "MARKER_CT", "MARKER_ENC",
                              "jane@example.org"], "MARKER_CT"),
    "exif and xmp items": (exif_xmp, fx.PLANTED_PHOTO, fx.EXIF_MAKE),
    "udes description": (udes, ["MARKER_UDESNAME", "MARKER_UDESDESC"], "MARKER_UDESNAME"),
    "unknown property": (unknown_prop, ["MARKER_PROP"], "zzzz"),
    "xml box in meta": (xml_box, ["MARKER_XMLBOX"], "XML"),
    "uuid in meta": (uuid_meta, ["MARKER_UUIDMETA"], "Vendor data"),
    "uuid at top": (uuid_top, ["MARKER_UUIDTOP"], "uuid"),
    "entity groups": (groups, ["MARKER_GRPL"], "Entity groups"),
    "colr prof ICC": (icc, ["MARKER_ICCDESC", "Jane's MacBook", "MARKER_CPRT"], "MARKER_ICCDESC"),
    "SEI in hvcC": (hvcc_sei, ["MARKER_HVCCSEI"], "MARKER_HVCCSEI"),
    "SEI before item data": (item_sei, ["MARKER_ITEMSEI"], "MARKER_ITEMSEI"),
    "depth map": (depth_map, ["MARKER_DEPTHDATA", "MARKER_AUXC"], "Depth map"),
    "thumbnail": (thumbnail, ["MARKER_THUMB"], "Thumbnail"),
    "unreferenced mdat": (mdat_gap, ["MARKER_GAP"], "Data no track uses"),
    "data after the last box": (trailer, ["MARKER_TRAILER"], "Data after the image"),
    "dref url": (dref_url, ["MARKER_DREF"], "MARKER_DREF"),
    "hdlr name": (hdlr_name, ["MARKER_HDLRNAME"], ""),
    "free boxes": (free_data, ["MARKER_FREEMETA", "MARKER_FREETOP"], "Leftover data"),
    "alpha auxC subtype": (alpha_slack, ["MARKER_ALPHASUB"], ""),
}


@pytest.mark.parametrize("name", list(ROWS))
def test_hiding_place_is_cleaned(name: str, coded: hb.Coded, tmp_path: Path,
                                 witness: Witness) -> None:
    build, markers, shown = ROWS[name]
    path = tmp_path / "in.heic"
    path.write_bytes(build(coded).encode())
    planted = [m for m in markers if m not in ("43 deg 28",)]  # exiftool's wording only
    assert leaked_markers(path.read_bytes(), planted) == planted, "the fixture holds them"
    report = inspect(path)
    assert report.error is None and report.problems == [], report.problems
    text = " | ".join(f"{f.where} {f.name} {f.value}" for f in report.findings)
    assert shown in text, text
    (tmp_path / "out").mkdir()
    out = export_consented(path, tmp_path / "out")
    assert_no_markers(out, markers)
    assert_witness_clean(witness, out, markers)
    assert_same_pixels(path, out)
    again = inspect(out)
    assert again.problems == [] and again.identifying() == [], again.identifying()


def test_essential_unknown_property_is_refused(coded: hb.Coded, tmp_path: Path) -> None:
    heif = hb.simple(coded)
    heif.props.append(box(b"zzzz", b"MARKER_ESSENTIAL"))
    heif.items[0].props.append((3, True))
    path = tmp_path / "in.heic"
    path.write_bytes(heif.encode())
    report = inspect(path)
    assert any("essential property 'zzzz'" in p for p in report.problems)


def samsung(coded: hb.Coded, video: bytes, layout: str) -> bytes:
    """A One UI motion photo: the picture, an 'mpvd' video and a 'sefd' SEF archive."""
    records = [(0x0A01, "Image_UTC_Data", b"1714560000123"), (0x0AA1, "MCC_Data", b"262"),
               (0x0C61, "Camera_Capture_Mode_Info", b"MARKER_SEFMODE owner Jane")]
    # as a Galaxy writes it: Exif and an XMP packet announcing the motion photo, too
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:GCamera="http://ns.google.com/photos/'
           b'1.0/camera/" GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1" '
           b'GCamera:MotionPhotoPresentationTimestampUs="1245000"/></rdf:RDF></x:xmpmeta>')
    heif = hb.simple(coded, refs=[(b"cdsc", 2, [1]), (b"cdsc", 3, [1])])
    heif.items.append(hb.Item(2, b"Exif", bytes(4) + fx.exif_bytes(1)))
    heif.items.append(hb.Item(3, b"mime", xmp, content_type="application/rdf+xml"))
    base = len(heif.encode())
    if layout == "pointer":  # video in 'mpvd', the archive points at it
        pointer = b"mpv2" + struct.pack(">II", base + 8, len(video))
        records.append((0x0A30, "MotionPhoto_Data", pointer))
        records.append((0x0A31, "MotionPhoto_Version", b"mpv3"))
        heif.tail = [box(b"mpvd", video), box(b"sefd", hb.sef_archive(records))]
    elif layout == "inline":  # the video inside the archive itself
        records.append((0x0A30, "MotionPhoto_Data", video))
        heif.tail = [box(b"sefd", hb.sef_archive(records))]
    else:  # archive before the media data: becomes 'free'
        records.append((0x0A30, "MotionPhoto_Data", video))
        heif.top_extra = [box(b"sefd", hb.sef_archive(records))]
    return heif.encode()


@pytest.mark.parametrize("layout", ["pointer", "inline", "middle"])
def test_samsung_motion_photo_is_reported_and_removed(coded: hb.Coded, tmp_path: Path,
                                                      witness: Witness, layout: str) -> None:
    video = fx.movie(tmp_path, "clip.mp4", spec=fx.Plant(udta=fx.udta_atoms())).read_bytes()
    path = tmp_path / "motion.heic"
    path.write_bytes(samsung(coded, video, layout))
    report = inspect(path)
    assert report.error is None and report.problems == [], report.problems
    found = {f.name: f for f in report.findings}
    assert found["Capture time (Samsung)"].value == "2024-05-01 10:40:00 UTC"
    assert found["Mobile country code"].value == "262 (Germany)"
    assert found["Motion Photo video"].value.endswith("video recorded around the photo")
    assert "Camera_Capture_Mode_Info" in found["Samsung data 'Camera_Capture_Mode_Info'"].name
    (tmp_path / "out").mkdir()
    out = export_consented(path, tmp_path / "out")
    markers = ["MARKER_SEFMODE", "1714560000123", "SEFT", "MotionPhoto", fx.MAKE, fx.MODEL,
               fx.EXIF_MAKE, fx.EXIF_MODEL]
    assert_no_markers(out, markers)
    assert_witness_clean(witness, out, markers)
    assert_same_pixels(path, out)
    if layout != "middle":  # Samsung's boxes at the end are cut off
        data = path.read_bytes()
        first = data.index(b"mpvd" if layout == "pointer" else b"sefd") - 4
        assert out.stat().st_size == first


def test_verification_refuses_a_box_the_cleaner_left(coded: hb.Coded, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A cleaner that forgets a structure (and an inspect blind to it) is caught by the
    byte accounting: the copy is not published."""
    from share_guard.core.containers import heif_meta

    path = tmp_path / "in.heic"
    path.write_bytes(xml_box(coded).encode())
    monkeypatch.setattr(heif_meta.MetaCleaner, "dropped", lambda self, box: None)
    (tmp_path / "out").mkdir()
    [result] = clean_files([path], ExportOptions(output_dir=tmp_path / "out"),
                            consent=consent_yes)
    assert not result.ok and "cannot account for" in (result.reason or ""), result.reason
    assert "xml" in (result.reason or "")
    assert list((tmp_path / "out").iterdir()) == []
