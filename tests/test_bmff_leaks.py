"""MP4/MOV hiding places, one row each: a unique marker is planted into a real encoded movie
(PyAV/ffmpeg) where the format allows it, the movie is cleaned through the real consented
export (verified and byte-accounted), and the marker must be gone (raw, UTF-16, hex,
inflated), unread by witness, while every decoded video and audio frame stays identical
(``ffmpeg -f framemd5``). inspect must name each place before cleaning."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import bmff_fixtures as fx
import bmff_plant as bp
import pytest
from checks import assert_witness_clean, export_consented
from heif_builder import sef_archive
from leakscan import assert_no_markers, leaked_markers
from video_fixtures import frame_md5s, make_video
from witness import Witness

from share_guard.core.inspect import inspect

box, full, Node = fx.box, fx.full, bp.Node
XMP = fx.XMP_PACKET.replace(fx.XMP_CREATOR.encode(), b"MARKER_ENTRYXMP")


def _mjpeg_with_exif(raw: Path, out: Path) -> Path:
    """Motion-JPEG whose every frame carries an EXIF block (artist, GPS) and a comment."""
    import av
    import piexif

    exif = piexif.dump({"0th": {piexif.ImageIFD.Artist: b"MARKER_MJPEGARTIST"},
                        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N",
                                piexif.GPSIFD.GPSLatitude: ((43, 1), (28, 1), (1, 1))}})
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    com = b"\xff\xfe" + struct.pack(">H", 18) + b"MARKER_MJPEGCOM\0"
    with av.open(str(raw)) as src, av.open(str(out), "w", format="mov") as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if not packet.size:
                continue
            data = bytes(packet)
            new = av.Packet(data[:2] + app1 + com + data[2:])
            new.pts, new.dts, new.time_base = packet.pts, packet.dts, packet.time_base
            new.stream = stream
            dst.mux(new)
    return out


def _av1_with_metadata(raw: Path, out: Path) -> Path:
    """AV1 whose every sample opens with a metadata OBU: ITU-T T.35 user data (a marker)."""
    import av

    payload = b"\x04\xb5" + b"MARKER_AV1T35 serial 0042" + b"\x80"
    meta = bytes([(5 << 3) | 0x02, len(payload)]) + payload
    with av.open(str(raw)) as src, av.open(str(out), "w", format="mp4") as dst:
        video = src.streams.video[0]
        stream = dst.add_stream("libsvtav1", rate=10)  # muxed as is, never encoded
        stream.width, stream.height, stream.pix_fmt = video.width, video.height, "yuv420p"
        stream.codec_context.extradata = video.codec_context.extradata
        stream.time_base = video.time_base
        for packet in src.demux(video):
            if not packet.size:
                continue
            new = av.Packet(meta + bytes(packet))
            new.pts, new.dts, new.time_base = packet.pts, packet.dts, packet.time_base
            new.is_keyframe = packet.is_keyframe
            new.stream = stream
            dst.mux(new)
    return out


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("bases")
    mjpeg = make_video(tmp / "mj.mov", container="mov", vcodec="mjpeg", acodec=None)
    av1 = make_video(tmp / "a1.mp4", container="mp4", vcodec="libsvtav1", acodec=None)
    return {
        "h264": fx.encode_movie(tmp / "h.mp4").read_bytes(),
        "mov": fx.encode_movie(tmp / "m.mov", fmt="mov").read_bytes(),
        "frag": fx.encode_movie(tmp / "f.mp4", fragmented=True).read_bytes(),
        "hevc": make_video(tmp / "x.mp4", container="mp4", vcodec="libx265").read_bytes(),
        "mpeg4": make_video(tmp / "p.mp4", container="mp4", vcodec="mpeg4").read_bytes(),
        "mjpeg": _mjpeg_with_exif(mjpeg, tmp / "mje.mov").read_bytes(),
        "av1": _av1_with_metadata(av1, tmp / "a1m.mp4").read_bytes(),
    }


def _video(movie: bp.Movie) -> Node:
    return movie.track(b"vide")


def meco(m: bp.Movie) -> None:
    m.moov.children.append(Node(b"meco", full(b"meta", 0, 0, b"MARKER_MECO")[8:]))


def entry_xmp(m: bp.Movie) -> None:
    bp.sample_entry(m).children.append(Node(b"uuid", fx.XMP_UUID + XMP))


def entry_icc(m: bp.Movie) -> None:
    bp.sample_entry(m).children.append(
        Node(b"colr", b"prof" + fx.icc_profile("MARKER_ICCMOV calibrated for Jane")))


def entry_box(m: bp.Movie) -> None:
    bp.sample_entry(m).children.append(Node(b"zzzz", b"MARKER_ENTRYBOX"))


def _second_dref(m: bp.Movie, entry: bytes) -> None:
    dref = _video(m).get(b"mdia", b"minf", b"dinf", b"dref")
    dref.children.append(Node(entry[4:8], entry[8:]))
    dref.prefix = dref.prefix[:4] + struct.pack(">I", len(dref.children))


def dref_url(m: bp.Movie) -> None:
    _second_dref(m, bp.url("file:///Users/MARKER_DREFUSER/Movies/clip.mov"))


def dref_alis(m: bp.Movie) -> None:
    record = bytes(10) + b"Macintosh HD\0" + b"/Users/MARKER_ALIASUSER/Movies/take1.mov\0"
    _second_dref(m, full(b"alis", 0, 0, record))


def gmhd(m: bp.Movie) -> None:
    minf = _video(m).get(b"mdia", b"minf")
    minf.children.append(Node(b"gmhd", children=[
        Node(b"gmin", struct.pack(">IHHHHHHH", 0, 0x40, 0x8000, 0x8000, 0x8000, 0, 0, 0)),
        Node(b"text", b"MARKER_GMHDTEXT font Helvetica")]))


def elng(m: bp.Movie) -> None:
    _video(m).get(b"mdia").children.append(Node(b"elng", bytes(4) + b"MARKER_ELNG\0"))


def sample_group(m: bp.Movie) -> None:
    stbl = _video(m).get(b"mdia", b"minf", b"stbl")
    stbl.children.append(Node(b"sgpd", b"\x01\0\0\0zzzz" + struct.pack(">II", 16, 1)
                              + b"MARKER_SGPD_0123"))
    stbl.children.append(Node(b"sbgp", b"\0\0\0\0zzzz" + struct.pack(">III", 1, 10, 1)))


def pssh(m: bp.Movie) -> None:
    m.moov.children.append(Node(b"pssh", bytes(4) + bytes(range(16)) + struct.pack(">I", 11)
                                + b"MARKER_PSSH"))


def avcc_sei(m: bp.Movie) -> None:
    bp.avcc_with_sei(bp.sample_entry(m).get(b"avcC"), "MARKER_AVCCSEI settings")


def sps_tail(m: bp.Movie) -> None:
    """Found by the red team: text after the last field of the SPS in avcC (decoders stop
    reading at the last field)."""
    avcc = bp.sample_entry(m).get(b"avcC")
    p = avcc.payload
    n = struct.unpack(">H", p[6:8])[0]
    sps = p[8 : 8 + n] + b"MARKER_SPSTAIL"
    avcc.payload = p[:6] + struct.pack(">H", len(sps)) + sps + p[8 + n :]


def compressor(m: bp.Movie) -> None:
    entry = bp.sample_entry(m)
    name = b"MARKER_COMPRESSOR"
    entry.prefix = entry.prefix[:42] + bytes([len(name)]) + name.ljust(31, b"\0") \
        + entry.prefix[74:]


def vendor(m: bp.Movie) -> None:
    entry = bp.sample_entry(m)
    entry.prefix = entry.prefix[:12] + b"MRKD" + entry.prefix[16:]


def handler_name(m: bp.Movie) -> None:
    hdlr = _video(m).get(b"mdia", b"hdlr")
    hdlr.payload = hdlr.payload[:24] + b"MARKER_HDLR\0"


def tkhd_reserved(m: bp.Movie) -> None:
    tkhd = _video(m).get(b"tkhd")
    tkhd.payload = tkhd.payload[:16] + b"MRKC" + tkhd.payload[20:]


def tkhd_size_text(m: bp.Movie) -> None:
    """Found by the red team: the track's display size (16.16) spelling text."""
    tkhd = _video(m).get(b"tkhd")
    tkhd.payload = tkhd.payload[:-8] + b"MRKTKWHS"


def matrix_translation_text(m: bp.Movie) -> None:
    """Found by the red team: the display matrix's translation spelling text."""
    tkhd = _video(m).get(b"tkhd")
    at = len(tkhd.payload) - 8 - 36 + 24
    tkhd.payload = tkhd.payload[:at] + b"MRKTRANS" + tkhd.payload[at + 8 :]


def resolution_text(m: bp.Movie) -> None:
    """Found by the red team: the sample entry's resolution spelling text."""
    entry = bp.sample_entry(m)
    entry.prefix = entry.prefix[:28] + b"MRKHVRES" + entry.prefix[36:]


def entry_numbers(m: bp.Movie) -> None:
    """Found by the red team: a Dolby Vision configuration's reserved bytes, a pixel aspect
    ratio and a bitrate box whose numbers spell text."""
    bp.sample_entry(m).children.extend([
        Node(b"dvcC", bytes([1, 0, 0x10, 0x35]) + b"MARKER_DVCCRESERVED_"),
        Node(b"pasp", b"MRKPASP1"), Node(b"btrt", b"MRKBTRT_1234")])


def mvhd_predefined(m: bp.Movie) -> None:
    mvhd = m.moov.get(b"mvhd")
    mvhd.payload = mvhd.payload[:72] + b"MARKER_MVHD".ljust(24, b"\0") + mvhd.payload[96:]


def stts_slack(m: bp.Movie) -> None:
    stts = _video(m).get(b"mdia", b"minf", b"stbl", b"stts")
    stts.payload += b"MARKER_SLACK"


def free_in_moov(m: bp.Movie) -> None:
    m.moov.children.append(Node(b"free", b"MARKER_FREEMOOV"))


def track_udta(m: bp.Movie) -> None:
    _video(m).children.append(Node(b"udta", box(b"\xa9nam", fx.qt_text("MARKER_TRACKNAME"))))


def hvcc_numbers(m: bp.Movie) -> None:
    """Found by a second red-team pass: the nine bytes after hvcC's level (reserved bits,
    segmentation, parallelism, chroma format, bit depths, average frame rate) spelling text."""
    hvcc = bp.sample_entry(m).get(b"hvcC")
    hvcc.payload = hvcc.payload[:13] + b"MRKHVCC_" + hvcc.payload[21:]


def _movie(change: Callable[[bp.Movie], None]) -> Callable[[bytes], bytes]:
    return lambda data: bp.edit(data, change)


def udta(text: str) -> bytes:
    return box(b"udta", box(b"\xa9nam", fx.qt_text(text)))


def _over_banner(unit: Callable[[int], bytes]) -> Callable[[bytes], bytes]:
    """Found by the red team: NAL units decoders skip, written over x264's banner SEI (the
    same size, so nothing moves): ``unit(size)`` makes the replacement."""
    def plant(data: bytes) -> bytes:
        at = data.index(b"x264 - core")
        start = data.rindex(b"\x06\x05", 0, at)
        size = int.from_bytes(data[start - 4 : start], "big")
        new = unit(size)
        assert len(new) == size
        return data[:start] + new + data[start + size :]
    return plant


def _padded(head: bytes, text: bytes, size: int, tail: bytes = b"") -> bytes:
    return head + text + b"_" * (size - len(head) - len(text) - len(tail)) + tail


def _sei(ptype: int, text: bytes) -> Callable[[int], bytes]:
    def unit(n: int) -> bytes:
        for k in range(1, 8):
            body = n - 3 - k
            size = b"\xff" * (body // 255) + bytes([body % 255])
            if len(size) == k:
                return _padded(bytes([6, ptype]) + size, text, n, b"\x80")
        raise ValueError(n)
    return unit


def _sei_then_filler(ptype: int, payload: bytes) -> Callable[[int], bytes]:
    """Found by the red team: one SEI message of a kept type whose fields are ``payload``
    (within the room the type had), then a filler-payload message to the unit's size."""
    def enc(value: int) -> bytes:
        return b"\xff" * (value // 255) + bytes([value % 255])

    def unit(n: int) -> bytes:
        first = bytes([6, ptype]) + enc(len(payload)) + payload
        for k in range(1, 8):
            rest = n - len(first) - 1 - k - 1
            if rest >= 0 and len(enc(rest)) == k:
                return first + b"\x03" + enc(rest) + b"\xff" * rest + b"\x80"
        raise ValueError(n)
    return unit


def _aac_data_element(data: bytes) -> bytes:
    """Found by the red team: every AAC frame opens with a data-stream element holding text
    (decoders skip its bytes); remuxed by PyAV, video untouched."""
    from tests.leak_video_fixtures import aac_with_data_element

    return aac_with_data_element(data, "mp4", b"MARKER_AACDSE___")


Row = tuple[str, Callable[[bytes], bytes], list[str], str]
ROWS: dict[str, Row] = {
    "access unit delimiter with data": (
        "h264", _over_banner(lambda n: _padded(b"\x09\xf0", b"MARKER_AUDDATA", n)),
        ["MARKER_AUDDATA"], "MARKER_AUDDATA"),
    "end of sequence with data": (
        "h264", _over_banner(lambda n: _padded(b"\x0a", b"MARKER_EOSDATA", n)),
        ["MARKER_EOSDATA"], "MARKER_EOSDATA"),
    "SVC prefix NAL unit": (
        "h264", _over_banner(lambda n: _padded(b"\x0e\x80", b"MARKER_NAL14", n)),
        ["MARKER_NAL14"], "MARKER_NAL14"),
    "SEI filler payload holding text": (
        "h264", _over_banner(_sei(3, b"MARKER_SEIFILL")), ["MARKER_SEIFILL"],
        "MARKER_SEIFILL"),
    "picture timing SEI holding text": (
        "h264", _over_banner(_sei_then_filler(1, b"MARKER_PICTIMING".ljust(500, b"_"))),
        ["MARKER_PICTIMING"], "MARKER_PICTIMING"),
    "buffering period SEI holding text": (
        "h264", _over_banner(_sei_then_filler(0, b"MARKER_BUFPERIOD".ljust(500, b"_"))),
        ["MARKER_BUFPERIOD"], "MARKER_BUFPERIOD"),
    "frame packing SEI holding text": (
        "h264", _over_banner(_sei_then_filler(45, b"MARKER_FRAMEPACK")), ["MARKER_FRAMEPACK"],
        "MARKER_FRAMEPACK"),
    "mastering display SEI spelling text": (
        "h264", _over_banner(_sei_then_filler(137, b"MARKER_MASTERINGDISPLAY_")),
        ["MARKER_MASTERINGDISPLAY"], "MARKER_MASTERINGDISPLAY"),
    "recovery point SEI larger than its fields": (
        "h264", _over_banner(_sei(6, b"\x88MARKER_SEIRECOV")), ["MARKER_SEIRECOV"],
        "MARKER_SEIRECOV"),
    "display size that spells text": ("h264", _movie(tkhd_size_text), ["MRKTKWHS"], ""),
    "matrix translation that spells text": ("h264", _movie(matrix_translation_text),
                                            ["MRKTRANS"], ""),
    "sample entry resolution that spells text": ("h264", _movie(resolution_text),
                                                 ["MRKHVRES"], ""),
    "numbers and reserved bytes of sample-entry boxes": (
        "h264", _movie(entry_numbers), ["MARKER_DVCCRESERVED", "MRKPASP1", "MRKBTRT_"], ""),
    "bytes after the SPS fields": ("h264", _movie(sps_tail), ["MARKER_SPSTAIL"],
                                   "parameter set"),
    "AAC data-stream elements": ("h264", _aac_data_element, ["MARKER_AACDSE"],
                                 "MARKER_AACDSE"),
    # name: (base movie, plant, markers, text inspect must show)
    "meco": ("h264", _movie(meco), ["MARKER_MECO"], "Additional metadata container"),
    "uuid XMP in a sample entry": ("h264", _movie(entry_xmp), ["MARKER_ENTRYXMP"],
                                   "MARKER_ENTRYXMP"),
    "colr ICC in a sample entry": ("h264", _movie(entry_icc),
                                   ["MARKER_ICCMOV", "MARKER_CPRT", "MARKER_ICCMODEL", "MRKA"],
                                   "MARKER_ICCMOV"),
    "unknown box in a sample entry": ("h264", _movie(entry_box), ["MARKER_ENTRYBOX"], "zzzz"),
    "dref url with a path": ("h264", _movie(dref_url), ["MARKER_DREFUSER"], "MARKER_DREFUSER"),
    "dref alis record": ("mov", _movie(dref_alis), ["MARKER_ALIASUSER"], "MARKER_ALIASUSER"),
    "unknown child of gmhd": ("h264", _movie(gmhd), ["MARKER_GMHDTEXT"], ""),
    "elng": ("h264", _movie(elng), ["MARKER_ELNG"], "MARKER_ELNG"),
    "sample group": ("h264", _movie(sample_group), ["MARKER_SGPD"], ""),
    "pssh": ("h264", _movie(pssh), ["MARKER_PSSH"], "Content protection data"),
    "SEI user data in a sample": (
        "h264", lambda d: bp.replace_bytes(d, b"x264 - core", b"MARKER_SEI1"),
        ["MARKER_SEI1", "x264"], "MARKER_SEI1"),
    "SEI in avcC": ("h264", _movie(avcc_sei), ["MARKER_AVCCSEI"], "MARKER_AVCCSEI"),
    "compressor name": ("h264", _movie(compressor), ["MARKER_COMPRESSOR"],
                        "MARKER_COMPRESSOR"),
    "vendor field": ("h264", _movie(vendor), ["MRKD"], ""),
    "handler name": ("h264", _movie(handler_name), ["MARKER_HDLR"], "MARKER_HDLR"),
    "tkhd reserved bytes": ("h264", _movie(tkhd_reserved), ["MRKC"], "unused fields"),
    "mvhd pre-defined bytes": ("h264", _movie(mvhd_predefined), ["MARKER_MVHD"],
                               "unused fields"),
    "bytes after a table": ("h264", _movie(stts_slack), ["MARKER_SLACK"], "unused fields"),
    "free box in moov": ("h264", _movie(free_in_moov), ["MARKER_FREEMOOV"], "Leftover data"),
    "udta in a track": ("h264", _movie(track_udta), ["MARKER_TRACKNAME"], "MARKER_TRACKNAME"),
    "unreferenced mdat bytes": (
        "h264", lambda d: bp.grow_mdat(d, b"GPSLOG MARKER_GPSLOG 43.4670 11.8850"),
        ["MARKER_GPSLOG"], "Data no track uses"),
    "data after the last box": (
        "h264", lambda d: d + b"\x01\x02\x03\x04\xff\xfe\x00\x01MARKER_TRAIL",
        ["MARKER_TRAIL"], "Data after the end"),
    "file type brands": ("h264", lambda d: bp.replace_bytes(d, b"isomiso2", b"isomMRKF"),
                         ["MRKF"], ""),
    "Samsung sefd archive": (
        "h264", lambda d: d + box(b"sefd", sef_archive([
            (0x0A01, "Image_UTC_Data", b"1714560000123"), (0x0AA1, "MCC_Data", b"262"),
            (0x0C61, "Camera_Capture_Mode_Info", b"MARKER_SEFVIDEO")])),
        ["MARKER_SEFVIDEO", "1714560000123", "SEFT"], "262 (Germany)"),
    "event message box": ("h264", lambda d: d + full(b"emsg", 0, 0, b"MARKER_EMSG\0"),
                          ["MARKER_EMSG"], "Event message"),
    "text track under a video handler": (
        "h264", lambda d: fx.plant(d, fx.Plant(telemetry=True, data_kind=(b"vide", b"tx3g"))),
        [fx.TELEMETRY], "Text track"),
    "SEI in a fragment's sample": (
        "frag", lambda d: bp.replace_bytes(d, b"x264 - core", b"MARKER_SEI2"),
        ["MARKER_SEI2", "x264"], "MARKER_SEI2"),
    "udta inside traf": ("frag", lambda d: bp.add_to_traf(d, udta("MARKER_TRAFUDTA")),
                         ["MARKER_TRAFUDTA"], "MARKER_TRAFUDTA"),
    "udta inside mfra": ("frag", lambda d: bp.add_to_mfra(d, udta("MARKER_MFRAUDTA")),
                         ["MARKER_MFRAUDTA"], "MARKER_MFRAUDTA"),
    "x265 banner in hvcC": ("hevc", lambda d: d, ["x265 (build", "options:"], "x265"),
    "hvcC numbers spelling text": ("hevc", _movie(hvcc_numbers), ["MRKHVCC_"], ""),
    "Lavc user data in esds": ("mpeg4", lambda d: d, ["Lavc"], "Lavc"),
    "AV1 metadata OBU (T.35 user data)": ("av1", lambda d: d, ["MARKER_AV1T35"],
                                          "T.35"),
    "EXIF and comments in Motion-JPEG frames": (
        "mjpeg", lambda d: d, ["MARKER_MJPEGARTIST", "MARKER_MJPEGCOM"], "MARKER_MJPEGARTIST"),
}
#: streams compared by frame: a telemetry track under a video handler cannot be decoded
MAPS = {"text track under a video handler": ("0:v:0", "0:a")}


@pytest.mark.parametrize("name", list(ROWS))
def test_hiding_place_is_cleaned(name: str, bases: dict[str, bytes], tmp_path: Path,
                                 witness: Witness) -> None:
    base, plant, markers, shown = ROWS[name]
    suffix = ".mov" if base in ("mov", "mjpeg") else ".mp4"
    path = tmp_path / f"in{suffix}"
    path.write_bytes(plant(bases[base]))
    assert leaked_markers(path.read_bytes(), markers) == markers, "the fixture holds them"
    maps = MAPS.get(name, ("0:V?", "0:a?"))
    before = frame_md5s(path, maps)
    report = inspect(path)
    assert report.error is None and report.problems == [], report.problems
    text = " | ".join(f"{f.where} {f.name} {f.value}" for f in report.findings)
    assert shown in text, text
    (tmp_path / "out").mkdir()
    out = export_consented(path, tmp_path / "out")
    assert_no_markers(out, markers)
    assert_witness_clean(witness, out, markers)
    assert frame_md5s(out, maps) == before
    again = inspect(out)
    assert again.problems == [] and again.identifying() == [], again.identifying()


def test_a_banner_the_decoder_reads_is_kept(bases: dict[str, bytes], tmp_path: Path) -> None:
    """libavcodec skips libfaac's priming samples when the first AAC frame names libfaac: that
    fill text is coded data (removing it would add a frame of sound), while libavcodec's own
    banner in the same place is removed."""
    data = bases["mpeg4"]
    at = data.index(b"Lavc")  # the fill element opening the first AAC frame (mdat first)
    assert at < data.index(b"moov")
    banner = data[at : data.index(b"\0", at)]
    path = tmp_path / "faac.mp4"
    path.write_bytes(bp.replace_bytes(data, banner, b"libfaac 1.28".ljust(len(banner), b" ")))
    (tmp_path / "out").mkdir()
    out = export_consented(path, tmp_path / "out")
    assert b"libfaac 1.28" in out.read_bytes()
    assert frame_md5s(out) == frame_md5s(path)


def test_eac3_configuration_keeps_its_substreams_and_blanks_the_rest() -> None:
    """Found by the red team: the whole 'dec3' box was kept; bytes after its substreams
    (and the optional Atmos pair) are blank now."""
    from share_guard.core.containers.bmff_boxes import Buffer, parse_header
    from share_guard.core.containers.bmff_entries import CHILD_LAYOUTS
    from share_guard.core.containers.bmff_fields import W, Z, segments

    body = bytes([0x06, 0x00]) + bytes([0x20, 0x0F, 0x00]) + bytes([0x01, 0x10]) \
        + b"MARKER_DEC3TAIL"
    raw = box(b"dec3", body)
    segs = segments(Buffer(raw, 0), parse_header(raw[:40], 0, len(raw)), CHILD_LAYOUTS[b"dec3"])
    kept = sum(s.end - s.start for s in segs if s.cls == W)
    assert kept == 8 + 2 + 3 + 2
    assert [s for s in segs if s.cls == Z][-1].end == len(raw)


def _stbl(m: bp.Movie) -> Node:
    return _video(m).get(b"mdia", b"minf", b"stbl")


def _sync_text(m: bp.Movie) -> None:
    stbl = _stbl(m)
    stbl.children = [c for c in stbl.children or [] if c.type != b"stss"]
    stbl.children.append(Node(b"stss", struct.pack(">II", 0, 2) + b"ABCDEFGH"))


def _edit_rate_text(m: bp.Movie) -> None:
    trak = _video(m)
    trak.children = [c for c in trak.children or [] if c.type != b"edts"]
    elst = full(b"elst", 0, 0, struct.pack(">Iii", 1, 100, 0) + b"MRK1")
    trak.children.insert(1, Node(b"edts", children=[Node(b"elst", elst[8:])]))


def _aux_type_text(m: bp.Movie) -> None:
    _stbl(m).children.append(Node(b"saiz", struct.pack(">I", 1) + b"MRKAUXTY" + bytes(5)))


@pytest.mark.parametrize(("change", "why"), [
    (_sync_text, "a sync-sample table whose numbers are not the track's samples"),
    (_edit_rate_text, "an edit played at a rate other than 1"),
    (_aux_type_text, "auxiliary sample information of an unknown kind")])
def test_sample_table_numbers_that_spell_text_are_refused(
        change: Callable[[bp.Movie], None], why: str, bases: dict[str, bytes],
        tmp_path: Path) -> None:
    """Found by a second red-team pass: sync-sample numbers past the last sample, an edit's
    rate and an auxiliary-information type carried chosen bytes into the copy."""
    path = tmp_path / "in.mp4"
    path.write_bytes(bp.edit(bases["h264"], change))
    (tmp_path / "out").mkdir()
    from share_guard.core.engine.compose import Features, build_engine
    from share_guard.core.export.consent import ConsentAnswer, ConsentChannel
    from share_guard.core.export.pipeline import ExportOptions

    engine = build_engine(Features(isolated=False, faces=False, takedown=False,
                                   data_dir=tmp_path / "data"))
    [result] = engine.export([path], ExportOptions(output_dir=tmp_path / "out"),
                             lambda r: ConsentAnswer(True, tuple(r.confirmations),
                                                     via=ConsentChannel.FLAG)).results
    assert not result.ok and why in (result.reason or ""), result.reason
    assert list((tmp_path / "out").iterdir()) == []
