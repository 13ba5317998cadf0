"""Shared pieces of byte accounting: the ledger, ICC profiles, NAL units, JPEG frames."""

from __future__ import annotations

import io
import struct

import av
import numpy as np
import piexif
import pytest
from PIL import Image, ImageCms

from share_guard.core.containers import jpeg_frames, nal
from share_guard.core.containers.ledger import Ledger, Unaccounted
from share_guard.core.metadata import icc
from share_guard.core.report import Category

# -- the ledger -------------------------------------------------------------------------------

def test_ledger_totals_and_coalescing():
    data = bytes(4) + b"AB" + bytes(4)
    ledger = Ledger(len(data))
    ledger.written(4, 6, "header")
    ledger.zeroed(data, 0, 4, "pad")
    ledger.zeroed(data, 6, 10, "pad")
    totals = ledger.close()
    assert (totals.written, totals.payload, totals.zeroed) == (2, 0, 8)


@pytest.mark.parametrize("case, message", [
    ("gap", "nothing accounts for at bytes 4-6"),
    ("overlap", "claimed twice"),
    ("blank", "filler that is not blank"),
    ("tail", "nothing accounts for at bytes 6-10"),
])
def test_ledger_refuses_what_is_not_accounted(case, message):
    data = bytes(4) + b"AB" + b"\0\0X\0"
    ledger = Ledger(len(data))
    ledger.zeroed(data, 0, 4, "pad")
    if case == "overlap":
        ledger.written(3, 6, "header")
    elif case != "gap":
        ledger.written(4, 6, "header")
    if case == "blank":
        ledger.zeroed(data, 6, 10, "pad")
    elif case in ("gap", "overlap"):
        ledger.payload(6, 10, "data")
    with pytest.raises(Unaccounted, match=message):
        ledger.close()


# -- ICC profiles -------------------------------------------------------------------------------

def _profile_with(desc: str = "Jane's MacBook Pro", cprt: str = "Copyright MARKER_CPRT",
                  extra: bytes = b"") -> bytes:
    """An lcms sRGB profile rebuilt with planted text tags, a private tag and a vendor header."""
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    tags = icc.parse(base)
    blocks: list[tuple[bytes, bytes]] = []
    for tag in tags:
        if tag.sig in icc.COLOUR_TAGS:
            blocks.append((tag.sig, base[tag.offset : tag.offset + tag.size]))
    blocks.append((b"desc", icc._text_tag(b"mluc", desc)))
    blocks.append((b"cprt", icc._text_tag(b"text", cprt)))
    blocks.append((b"dmdd", icc._text_tag(b"desc", "MARKER_MODEL serial 12345")))
    blocks.append((b"mmod", b"mmod" + bytes(4) + b"MARKER_MMOD".ljust(32, b"\0")))
    if extra:
        blocks.append((b"zzzz", extra))
    table = 132 + 12 * len(blocks)
    body = bytearray()
    entries = []
    for sig, block in blocks:
        entries.append((sig, table + len(body), len(block)))
        body += block + bytes(-len(block) % 4)
    head = bytearray(base[:128])
    head[48:52], head[52:56], head[80:84] = b"APPL", b"MRKR", b"MRKC"
    head[24:36] = struct.pack(">6H", 2024, 3, 12, 14, 22, 10)
    out = head + struct.pack(">I", len(blocks)) + b"".join(struct.pack(">4sII", *e) for e in entries) + body
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


def _convert(profile: bytes) -> bytes:
    im = Image.linear_gradient("L").convert("RGB").resize((32, 32))
    im.putpixel((3, 3), (250, 10, 90))
    target = ImageCms.createProfile("LAB")
    return ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(profile)), target,
                                     outputMode="LAB").tobytes()


def test_icc_findings_name_every_text_place():
    profile = _profile_with()
    found = {f.name: f for f in icc.icc_findings(profile, "ICC")}
    assert found["Colour profile description"].value == "Jane's MacBook Pro"
    assert found["Colour profile description"].category is Category.IDENTITY
    assert "MARKER_CPRT" in found["Colour profile maker"].value
    assert "APPL" in found["Colour profile maker"].value
    assert found["Colour profile date"].value.startswith("2024-03-12")
    assert "mmod" in found["Colour profile extra tags"].value


def test_icc_neutral_profile_keeps_colours_and_drops_text():
    profile = _profile_with(extra=b"MARKER_PRIVATE")
    clean = icc.neutral_profile(profile)
    assert len(clean) == len(profile)
    for marker in (b"MARKER", b"Jane", b"APPL", b"MRK", "Jane".encode("utf-16-be")):
        assert marker not in clean
    assert _convert(clean) == _convert(profile)  # same colour transform
    icc.check_icc(clean)  # every byte accounted for
    assert [f.category for f in icc.icc_findings(clean, "ICC")] == [Category.KEPT]


def test_icc_known_colour_space_name_survives():
    clean = icc.neutral_profile(_profile_with(desc="Display P3"))
    assert "Display P3".encode("utf-16-be") in clean


def test_icc_refuses_what_is_not_a_profile():
    with pytest.raises(icc.IccError):
        icc.neutral_profile(b"ICC-looking bytes MARKER" * 10)
    findings = icc.icc_findings(b"x" * 200, "ICC")
    assert findings[0].category is Category.HIDDEN and findings[0].identifying


def test_icc_proof_rejects_a_profile_that_was_not_neutralised():
    with pytest.raises(Unaccounted, match="colour profile"):
        icc.check_icc(_profile_with())


# -- NAL units ----------------------------------------------------------------------------------

def _h264_stream() -> bytes:
    buf = io.BytesIO()
    out = av.open(buf, "w", format="h264")
    stream = out.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    for i in range(6):
        frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 30, np.uint8), format="rgb24")
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    return buf.getvalue()


def _frames(stream: bytes) -> list[bytes]:
    with av.open(io.BytesIO(stream), format="h264") as c:
        return [f.to_ndarray(format="rgb24").tobytes() for f in c.decode(video=0)]


def test_sei_user_data_becomes_filler_of_the_same_size():
    raw = bytearray(_h264_stream())
    assert b"x264" in raw
    before = _frames(bytes(raw))
    size = len(raw)
    assert nal.scrub(raw, nal.H264, None) == ["encoder or camera text (SEI user data)"]
    assert len(raw) == size and b"x264" not in raw
    assert _frames(bytes(raw)) == before
    ledger = Ledger(len(raw))
    nal.account(raw, nal.H264, None, ledger, 0, "stream")
    assert ledger.close().zeroed > 0


def test_unscrubbed_sei_is_refused_by_the_proof():
    raw = _h264_stream()
    ledger = Ledger(len(raw))
    nal.account(raw, nal.H264, None, ledger, 0, "stream")
    with pytest.raises(Unaccounted, match="SEI user data"):
        ledger.close()


def test_length_prefixed_hevc_sei_and_unknown_types():
    sei = bytes([nal._HEVC_PREFIX_SEI << 1, 1]) + bytes([5, 20]) + b"\x11" * 16 + b"MARK" + b"\x80"
    odd = bytes([50 << 1, 1]) + b"MARKER_UNSPEC"
    keep = bytes([1 << 1, 1]) + b"\x55" * 10
    sample = bytearray()
    for unit in (sei, odd, keep):
        sample += struct.pack(">I", len(unit)) + unit
    found = nal.scrub(sample, nal.HEVC, 4)
    assert b"MARK" not in sample and keep in sample
    assert found == ["encoder or camera text (SEI user data)", "unspecified NAL unit type 50"]


# -- JPEG frames --------------------------------------------------------------------------------

def test_jpeg_frame_metadata_is_zeroed_in_place():
    im = Image.new("RGB", (32, 32), (10, 200, 30))
    exif = piexif.dump({"0th": {piexif.ImageIFD.Artist: b"MARKER_ARTIST"},
                        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N"}})
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, comment=b"MARKER_COM")
    frame = bytearray(out.getvalue() + b"MARKER_TRAILER")
    pixels = Image.open(io.BytesIO(bytes(frame))).tobytes()
    size = len(frame)
    assert jpeg_frames.scrub_frame(frame) == ["EXIF", "comment", "data after the end of a frame"]
    assert len(frame) == size and b"MARKER" not in frame
    assert Image.open(io.BytesIO(bytes(frame))).tobytes() == pixels
    ledger = Ledger(len(frame))
    jpeg_frames.account_frame(frame, ledger, 0, "frame")
    assert ledger.close().payload > 0


def test_jpeg_frame_that_cannot_be_walked_is_refused():
    with pytest.raises(jpeg_frames.FrameError):
        jpeg_frames.scrub_frame(bytearray(b"\xff\xd8\xff\xe1\x00\x30MARKER"))
