"""Colour-profile hiding places inside the colour tags themselves (found by the red team):
extra XYZ numbers after a single-colour tag, an adaptation matrix longer than 3x3, bytes of
an ``mAB `` transform no offset reaches, a header illuminant that is text, numbers no colour
has. Each is planted with a unique marker in every container that keeps a profile and must
be gone from a real consented export, pixels unchanged, every byte accounted for; the colour
data itself keeps converting exactly as before."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

import numpy as np
import pytest
from PIL import ImageCms

from share_guard.core.metadata import icc
from share_guard.core.metadata.icc_tags import IccError, clean_block
from tests.image_fixtures import gradient
from tests.leak_fixtures import export_checked


def _tags(kind: str = "sRGB") -> list[tuple[bytes, bytes]]:
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile(kind)).tobytes()
    return [(t.sig, base[t.offset : t.offset + t.size]) for t in icc.parse(base)]


def _profile(tags: list[tuple[bytes, bytes]], patch: dict[int, bytes] | None = None) -> bytes:
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    table = 132 + 12 * len(tags)
    body, entries = bytearray(), []
    for sig, block in tags:
        entries.append(struct.pack(">4sII", sig, table + len(body), len(block)))
        body += block + bytes(-len(block) % 4)
    out = bytearray(base[:128]) + struct.pack(">I", len(tags)) + b"".join(entries) + body
    for at, value in (patch or {}).items():
        out[at : at + len(value)] = value
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


def _grown(sig: bytes, extra: bytes) -> Callable[[str], bytes]:
    return lambda m: _profile([(s, b + (extra + m.encode()).ljust(24, b"_") if s == sig else b)
                               for s, b in _tags()])


def _mab_gap(m: str) -> bytes:
    gap = m.encode() + bytes(-len(m) % 4)
    curves = (b"curv" + bytes(8)) * 3
    mab = (b"mAB " + bytes(4) + bytes([3, 3, 0, 0]) + struct.pack(">5I", 32 + len(gap), 0, 0, 0, 0)
           + gap + curves)
    return _profile([*_tags(), (b"A2B0", mab)])


PLACES: dict[str, tuple[Callable[[str], bytes], Callable[[str], str]]] = {
    "extra XYZ numbers": (_grown(b"wtpt", b""), lambda m: m),
    "adaptation matrix longer than 3x3": (_grown(b"chad", b""), lambda m: m),
    "mAB bytes no offset reaches": (_mab_gap, lambda m: m),
    "header illuminant": (lambda m: _profile(_tags(), {68: m.encode()[:12]}), lambda m: m[:12]),
    "XYZ numbers that are text": (
        lambda m: _profile([(s, b[:8] + m.encode()[:12] if s == b"bkpt" else b)
                            for s, b in _tags()] + [(b"bkpt", b"XYZ " + bytes(4)
                                                     + m.encode()[:12])]), lambda m: m[:12]),
}


def _jpeg(profile: bytes) -> tuple[str, bytes]:
    out = io.BytesIO()
    gradient(seed=5).save(out, "JPEG", quality=92, icc_profile=profile)
    return "p.jpg", out.getvalue()


def _png(profile: bytes) -> tuple[str, bytes]:
    out = io.BytesIO()
    gradient(seed=5).save(out, "PNG", icc_profile=profile)
    return "p.png", out.getvalue()


def _webp(profile: bytes) -> tuple[str, bytes]:
    out = io.BytesIO()
    gradient(seed=5).save(out, "WEBP", lossless=True, icc_profile=profile)
    return "p.webp", out.getvalue()


def _tiff(profile: bytes) -> tuple[str, bytes]:
    out = io.BytesIO()
    gradient(seed=5).save(out, "TIFF", icc_profile=profile)
    return "p.tif", out.getvalue()


CONTAINERS = {"jpeg": _jpeg, "png": _png, "webp": _webp, "tiff": _tiff}


@pytest.mark.parametrize("container", sorted(CONTAINERS))
@pytest.mark.parametrize("place", sorted(PLACES))
def test_colour_tag_hiding_place_is_emptied(tmp_path, witness, place, container):
    build, planted = PLACES[place]
    marker = f"RT-{container}-{place.replace(' ', '-')}"
    name, data = CONTAINERS[container](build(marker))
    export_checked(tmp_path, name, data, [planted(marker)], witness)


@pytest.mark.parametrize("kind", ["sRGB", "LAB", "XYZ"])
def test_neutral_profile_converts_colours_exactly_as_before(kind):
    """lcms' own profiles (parametric curves, an mft2 table, an mAB transform) keep every
    colour number: a transform through the neutral copy gives the same pixels."""
    original = ImageCms.ImageCmsProfile(ImageCms.createProfile(kind)).tobytes()
    neutral = icc.neutral_profile(original)
    icc.check_icc(neutral)
    src = gradient(seed=7).convert("RGB")
    srgb = ImageCms.createProfile("sRGB")
    results = []
    for blob in (original, neutral):
        prof = ImageCms.ImageCmsProfile(io.BytesIO(blob))
        mode = "LAB" if kind == "LAB" else "RGB"
        if kind == "XYZ":
            results.append(ImageCms.getProfileName(prof) is not None)
            continue
        t = ImageCms.buildTransform(srgb, prof, "RGB", mode)
        results.append(np.asarray(ImageCms.applyTransform(src, t)).tobytes())
    assert results[0] == results[1]


def test_a_curve_hidden_in_an_mab_tag_keeps_its_place():
    """The curves an mAB tag points at are kept byte for byte; what lies between is zeroed."""
    block = _mab_gap("RT-between-header-and-curves")
    tag = next(t for t in icc.parse(block) if t.sig == b"A2B0")
    body = block[tag.offset : tag.offset + tag.size]
    clean = clean_block(body, b"A2B0")
    assert len(clean) == len(body)
    assert b"RT-between" not in clean
    assert clean[-36:] == body[-36:] and clean[:32] == body[:32]


def test_numbers_no_colour_has_drop_the_profile():
    text = b"XYZ " + bytes(4) + b"RT_TEXT_NUMB"
    with pytest.raises(IccError):
        clean_block(text, b"wtpt")


def test_a_real_illuminant_is_kept_and_a_fake_one_is_d50():
    profile = _profile(_tags(), {68: struct.pack(">3i", 0xF6D5, 0x10000, 0xD32C)})
    assert icc.neutral_profile(profile)[68:80] == profile[68:80]
    fake = _profile(_tags(), {68: b"RT_ILLUMINAN"})
    assert icc.neutral_profile(fake)[68:80] == struct.pack(">3i", 0xF6D6, 0x10000, 0xD32D)


def test_the_ledger_refuses_a_colour_tag_left_with_its_slack() -> None:
    """A cleaner that copied a colour tag whole (extra XYZ numbers holding text) is caught
    by the proof, whatever the header and text tags say."""
    from share_guard.core.containers.ledger import Unaccounted

    dirty = _grown(b"wtpt", b"")("RT-left-in-place")
    clean = bytearray(icc.neutral_profile(dirty))
    wtpt = next(t for t in icc.parse(dirty) if t.sig == b"wtpt")
    clean[wtpt.offset : wtpt.offset + wtpt.size] = dirty[wtpt.offset : wtpt.offset + wtpt.size]
    for i in range(len(icc.parse(dirty))):  # the table entry claims the whole slot again
        at = 132 + 12 * i
        if clean[at : at + 4] == b"wtpt":
            clean[at + 8 : at + 12] = wtpt.size.to_bytes(4, "big")
    with pytest.raises(Unaccounted):
        icc.check_icc(bytes(clean))
