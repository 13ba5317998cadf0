"""GIF (still and animated): comments, XMP and application data found and cleaned; frames intact."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from share_guard.core.containers.gif import walk_blocks
from share_guard.core.errors import ExportRefused
from share_guard.core.report import Category
from tests.image_fixtures import (
    COMMENT,
    XMP_CREATOR,
    check_round_trip,
    gif_app_ext,
    gif_bytes,
    gif_comment_ext,
    gif_header_end,
    gif_insert,
    gif_plain_text_ext,
    gif_xmp_ext,
    inspect_bytes,
    mutation_failures,
    raw_frames,
    strip_bytes,
    xmp_packet,
)

GCE = b"\x21\xf9\x04\x00\x32\x00\x00\x00"  # 0.5 s delay, for the plain-text block

CASES = {
    "comment": (lambda: gif_bytes(comment=COMMENT.encode()), {Category.HIDDEN}, [COMMENT]),
    "XMP with GPS": (lambda: gif_insert(gif_bytes(), gif_xmp_ext(xmp_packet())),
                     {Category.LOCATION, Category.IDENTITY}, [XMP_CREATOR]),
    "animated + comment + XMP": (
        lambda: gif_insert(gif_bytes(frames=3, comment=COMMENT.encode()),
                           gif_xmp_ext(xmp_packet())),
        {Category.HIDDEN, Category.LOCATION}, [COMMENT, XMP_CREATOR]),
    "other application data": (
        lambda: gif_insert(gif_bytes(), gif_app_ext(b"MGK8BIM0000", b"photoshop secret")),
        {Category.UNKNOWN}, ["photoshop secret"]),
    "plain text overlay": (
        lambda: gif_insert(gif_bytes(), GCE, gif_plain_text_ext(b"overlay secret")),
        {Category.OTHER}, ["overlay secret"]),
    "trailer": (lambda: gif_bytes() + b"TRAILERSECRET" * 5, {Category.HIDDEN}, ["TRAILERSECRET"]),
    "many comments": (lambda: gif_insert(gif_bytes(), *[gif_comment_ext(b"c%d" % i)
                                                        for i in range(80)]),
                      {Category.HIDDEN}, []),
}


def _frame_blocks(data: bytes) -> list[bytes]:
    layout = walk_blocks(data)
    return [data[b.start : b.end] for b in layout.blocks if b.kind == "image"]


@pytest.mark.parametrize("case", list(CASES))
def test_planted_metadata_found_and_cleaned(case: str, tmp_path, witness) -> None:
    build, categories, planted = CASES[case]
    data = build()
    before = inspect_bytes(tmp_path, "in.gif", data)
    assert before.error is None and before.problems == []
    assert categories <= {f.category for f in before.identifying()}
    out, after = check_round_trip(tmp_path, "in.gif", data, witness, planted)
    for secret in planted:
        assert secret.encode() not in out
    assert _frame_blocks(out) == _frame_blocks(data)  # coded frames byte-identical
    assert after.properties["frames"] == before.properties["frames"]
    kinds = {b.kind for b in walk_blocks(out).blocks}
    assert kinds <= {"image", "gce", "app"}


def test_loop_extension_and_timing_are_kept(tmp_path) -> None:
    data = gif_insert(gif_bytes(frames=3, comment=b"x"), gif_xmp_ext(xmp_packet()))
    out, result = strip_bytes(tmp_path, "a.gif", data)
    apps = [b.app_id for b in walk_blocks(out).blocks if b.kind == "app"]
    assert apps == [b"NETSCAPE2.0"]
    assert "animation loop setting" in result.kept
    with Image.open(io.BytesIO(out)) as im, Image.open(io.BytesIO(data)) as orig:
        assert im.info.get("loop") == orig.info.get("loop") == 0
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            orig.seek(i)
            durations.append((im.info.get("duration"), orig.info.get("duration")))
        assert all(a == b for a, b in durations)


def test_colour_profile_extension_is_kept_neutral(tmp_path) -> None:
    from PIL import ImageCms

    from share_guard.core.containers.gif_clean import joined
    from share_guard.core.metadata.icc import neutral_profile

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = gif_insert(gif_bytes(), gif_app_ext(b"ICCRGBG1012", profile))
    report = inspect_bytes(tmp_path, "icc.gif", data)
    assert "Colour profile maker" in [f.name for f in report.findings]  # lcms names itself
    out, result = strip_bytes(tmp_path, "icc.gif", data)
    [app] = [b for b in walk_blocks(out).blocks if b.kind == "app"]
    assert app.app_id == b"ICCRGBG1012"
    assert joined(out, app.data_start, app.end) == neutral_profile(profile)
    assert "colour profile (its text made neutral)" in result.kept


def test_something_else_behind_the_profile_signature_is_dropped(tmp_path) -> None:
    data = gif_insert(gif_bytes(), gif_app_ext(b"ICCRGBG1012", b"MARKER not a profile" * 20))
    assert "Data behind a colour-profile signature" in [
        f.name for f in inspect_bytes(tmp_path, "icc.gif", data).findings]
    out, _ = strip_bytes(tmp_path, "icc.gif", data)
    assert b"MARKER" not in out and b"ICCRGBG1" not in out


def test_plain_text_goes_but_its_control_block_stays(tmp_path) -> None:
    # A control block with transparency before the text: decoders that skip the
    # text apply it to the next frame, so it must stay for the frame to look the same.
    gce = b"\x21\xf9\x04\x01\x32\x00\x00\x00"
    plain = gif_bytes()
    assert b"\x21\xf9" not in plain  # (the frame has no control block of its own)
    data = gif_insert(plain, gce, gif_plain_text_ext(b"overlay"))
    out, _ = strip_bytes(tmp_path, "t.gif", data)
    assert gce in out and b"overlay" not in out
    kinds_in = [b.kind for b in walk_blocks(data).blocks]
    assert [b.kind for b in walk_blocks(out).blocks] == [k for k in kinds_in if k != "text"]
    for a, b in zip(raw_frames(data), raw_frames(out), strict=True):
        assert np.array_equal(a, b)


def test_two_control_blocks_for_one_frame_are_refused(tmp_path) -> None:
    # the format allows one; Pillow takes the first's transparency, browsers the last's
    first = b"\x21\xf9\x04\x01\x32\x00\x07\x00"
    data = gif_insert(gif_bytes(frames=2), first, gif_plain_text_ext(b"overlay"))
    assert "GIF has two control blocks for one frame (viewers disagree on which applies)" \
        in inspect_bytes(tmp_path, "t.gif", data).problems
    with pytest.raises(ExportRefused, match="two control blocks"):
        strip_bytes(tmp_path, "t.gif", data)


def test_gif_without_trailer_byte_is_cleaned_with_one(tmp_path) -> None:
    data = gif_bytes(comment=b"note")[:-1]
    assert inspect_bytes(tmp_path, "nt.gif", data).error is None
    out, _ = strip_bytes(tmp_path, "nt.gif", data)
    assert out.endswith(b";") and b"note" not in out


@pytest.mark.parametrize(
    ("name", "build", "words"),
    [
        ("cut inside the frame", lambda: gif_bytes()[:-30], "truncated"),
        ("cut inside the colour table", lambda: gif_bytes()[:100], "truncated"),
        ("garbage block", lambda: gif_insert(gif_bytes(), b"\x99junk"), "unexpected byte"),
        ("no image", lambda: (lambda d: d[: gif_header_end(d)] + b";")(gif_bytes()), "no image"),
        ("header only", lambda: b"GIF89a", "bad header"),
        ("bad application header", lambda: gif_insert(gif_bytes(), b"\x21\xff\x05abcde\x00"),
         "malformed application"),
    ],
)
def test_damaged_files_get_one_line_errors(name, build, words, tmp_path) -> None:
    report = inspect_bytes(tmp_path, "bad.gif", build())
    assert report.error is not None, name
    assert "\n" not in report.error and words in report.error


def test_damaged_variants_fail_cleanly(tmp_path) -> None:
    data = gif_insert(gif_bytes(frames=2, comment=b"hi"), gif_xmp_ext(xmp_packet()))
    assert mutation_failures(tmp_path, data) == []
