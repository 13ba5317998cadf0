"""Hypothesis properties of the container walkers: for any bytes (mostly damaged valid files)
they terminate quickly, stay inside the data, and fail only with a one-line ShareGuardError.

One test per walker with structural invariants (JPEG segments, TIFF IFDs, EBML elements,
IPTC/IRB, XMP), and one table-driven test over every registered handler (so PNG, WebP,
GIF, TIFF, ISO-BMFF, AVI... are covered as soon as they are registered and seeded).
"""

from __future__ import annotations

import io
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile.mutate import tiff_attacks
from hostile.seeds import seeds
from share_guard.core.containers import Source, handler_by_name
from share_guard.core.containers._ebml import parse_children
from share_guard.core.containers.jpeg_segments import parse_jpeg
from share_guard.core.errors import CorruptFile, ShareGuardError
from share_guard.core.metadata.iptc import iptc_findings, iter_resources
from share_guard.core.metadata.tiff_ifd import MAX_IFDS, parse_tiff
from share_guard.core.metadata.xmp import xmp_findings

SETTINGS = settings(max_examples=60, deadline=3000, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SEEDS = seeds()
#: what inspect() and the engine's export turn into a per-file reason (anything else is a traceback)
TOLERATED = (ShareGuardError, OSError, ValueError, MemoryError, RecursionError)


@st.composite
def damaged(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` with a few overwritten spans, maybe truncated, maybe with bytes inserted."""
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        data[pos : pos + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00",
                                                    b"\x7f\xff\xff\xff", b"\x00\x00\x00\x08"])
                                   | st.binary(min_size=1, max_size=4))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()) and data:
        pos = draw(st.integers(0, len(data)))
        data[pos:pos] = draw(st.binary(max_size=64))
    return bytes(data)


def seed_of(handler: str) -> bytes:
    return next(data for name, data in SEEDS.values() if name == handler)


JPEG = next(data for name, data in SEEDS.values() if name == "jpeg")


@SETTINGS
@given(st.one_of(damaged(JPEG), st.binary(max_size=300).map(lambda b: b"\xff\xd8" + b)))
def test_jpeg_segments(data: bytes) -> None:
    try:
        layout = parse_jpeg(data)
    except CorruptFile as exc:
        assert "\n" not in str(exc)
        return
    prev_end = 2
    for seg in layout.segments:
        assert prev_end <= seg.start < seg.end <= len(data)
        assert seg.start < seg.payload_start <= seg.payload_end <= seg.end
        prev_end = seg.end
    assert layout.eoi_end <= len(data) and len(layout.problems) <= 32


TIFF_BASES = [blob for _, blob in tiff_attacks() if len(blob) < 4000] + [
    JPEG[JPEG.find(b"Exif\x00\x00") + 6 :][:4000]]


@SETTINGS
@given(st.sampled_from(TIFF_BASES).flatmap(damaged))
def test_tiff_ifds(data: bytes) -> None:
    try:
        tiff = parse_tiff(data)
    except CorruptFile:
        return
    assert len(tiff.ifds) <= MAX_IFDS
    assert len({ifd.offset for ifd in tiff.ifds}) == len(tiff.ifds), "an IFD was read twice"
    for ifd in tiff.ifds:
        for entry in ifd.entries:
            assert 0 <= entry.value_offset <= len(data)
            assert data[entry.value_offset : entry.value_offset + len(entry.raw)] == entry.raw


def _ebml_seed() -> bytes:
    for name in ("mkv", "webm"):
        try:
            return seed_of(name)
        except StopIteration:
            continue
    return b"\x1a\x45\xdf\xa3\x84\x42\x86\x81\x01"


@SETTINGS
@given(damaged(_ebml_seed()))
def test_ebml_children(data: bytes) -> None:
    try:
        kids = parse_children(data, 0, len(data))
    except CorruptFile:
        return
    for el in kids:
        assert 0 <= el.offset < el.data_offset <= el.end <= len(data)


@SETTINGS
@given(st.binary(max_size=600))
def test_iptc_and_photoshop_resources(data: bytes) -> None:
    resources = iter_resources(b"8BIM" + data)
    assert all(isinstance(rid, int) for rid, _ in resources)
    iptc_findings(b"\x1c" + data)


@SETTINGS
@given(st.one_of(st.binary(max_size=400), st.text(max_size=200).map(str.encode),
                 st.recursive(st.just(b"<x/>"), lambda inner: inner.map(lambda b: b"<a>" + b + b"</a>"))))
def test_xmp_never_raises(data: bytes) -> None:
    for finding in xmp_findings(data):
        assert "\n" not in finding.value


HANDLERS = sorted({name for name, _ in SEEDS.values()})


@pytest.mark.parametrize("handler_name", HANDLERS)
def test_every_handler_on_damaged_input(handler_name: str, tmp_path_factory) -> None:
    handler = handler_by_name(handler_name)
    folder = tmp_path_factory.mktemp(handler_name)
    counter = iter(range(10**6))

    @SETTINGS
    @given(damaged(seed_of(handler_name)))
    def check(data: bytes) -> None:
        path = folder / f"{next(counter)}{handler.extensions[0]}"
        path.write_bytes(data)
        try:
            src = Source(path)
            if not handler.sniff(src.head):
                return
            result = handler.inspect(src)
            if not result.problems:
                handler.strip(src, io.BytesIO())
        except TOLERATED as exc:
            assert "\n" not in str(exc) or not isinstance(exc, ShareGuardError)
        finally:
            path.unlink()

    check()


def test_damaged_strategy_damages() -> None:
    """The strategy really changes bytes (otherwise the properties prove nothing)."""
    changed = []

    @settings(max_examples=30, derandomize=True, database=None)
    @given(damaged(JPEG))
    def probe(data: bytes) -> None:
        changed.append(data != JPEG)

    probe()
    assert sum(changed) >= 15
    assert struct.unpack(">H", JPEG[:2])[0] == 0xFFD8


def _maybe_seed(name: str) -> bytes | None:
    try:
        return seed_of(name)
    except StopIteration:
        return None


@pytest.mark.skipif(_maybe_seed("png") is None, reason="no PNG handler registered")
@SETTINGS
@given(st.deferred(lambda: damaged(seed_of("png"))))
def test_png_chunks(data: bytes) -> None:
    from share_guard.core.containers.png import walk_chunks

    try:
        layout = walk_chunks(data)
    except ShareGuardError:
        return
    prev = 8
    for chunk in layout.chunks:
        assert prev <= chunk.offset and chunk.end <= len(data)
        prev = chunk.end
    assert layout.iend_end <= len(data)


@pytest.mark.skipif(_maybe_seed("webp") is None, reason="no WebP handler registered")
@SETTINGS
@given(st.deferred(lambda: damaged(seed_of("webp"))))
def test_webp_riff_chunks(data: bytes) -> None:
    from share_guard.core.containers.webp import walk_riff

    try:
        layout = walk_riff(data)
    except ShareGuardError:
        return
    stack = list(layout.chunks)
    while stack:
        chunk = stack.pop()
        assert 0 <= chunk.offset and chunk.data_start + chunk.size <= len(data)
        stack.extend(chunk.children)


@pytest.mark.skipif(_maybe_seed("gif") is None, reason="no GIF handler registered")
@SETTINGS
@given(st.deferred(lambda: damaged(seed_of("gif"))))
def test_gif_blocks(data: bytes) -> None:
    from share_guard.core.containers.gif import walk_blocks

    try:
        layout = walk_blocks(data)
    except ShareGuardError:
        return
    prev = layout.header_end
    for block in layout.blocks:
        assert prev <= block.start < block.end <= len(data)
        prev = block.end


@pytest.mark.skipif(_maybe_seed("mp4") is None, reason="no ISO-BMFF handler registered")
@SETTINGS
@given(st.deferred(lambda: damaged(seed_of("mp4"))))
def test_bmff_top_level_boxes(data: bytes) -> None:
    from share_guard.core.containers.bmff_boxes import walk_top

    try:
        top = walk_top(io.BytesIO(data), len(data))
    except ShareGuardError:
        return
    prev = 0
    for box in top.boxes:
        assert prev <= box.start < box.end <= len(data)
        prev = box.end
    assert top.end + top.trailer == len(data)
