"""GIF hiding places an attacker would try: each one planted with a unique marker, found by
inspect, gone from a real consented export (raw, UTF-16, hex, zlib; exiftool -ee), every
frame's pixels unchanged, every byte of the copy accounted for."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image
from witness import Witness

from share_guard.core.containers import gif_clean
from share_guard.core.containers.gif import walk_blocks
from share_guard.core.inspect import inspect
from tests.image_fixtures import gif_app_ext, gif_bytes, gif_insert, gif_sub_blocks
from tests.leak_fixtures import export, export_checked, marker, profile_with, written


def four_colours(frames: int = 1) -> bytes:
    """A GIF whose frames use only colour indices 0-3 (of a small table Pillow writes)."""
    ims = []
    for i in range(frames):
        arr = (np.add.outer(np.arange(24), np.arange(32)) // 8 + i) % 4
        im = Image.fromarray(arr.astype(np.uint8), "P")
        im.putpalette([200, 10, 10, 10, 200, 10, 10, 10, 200, 240, 240, 240])
        ims.append(im)
    buf = io.BytesIO()
    extra = {"save_all": True, "append_images": ims[1:], "duration": 80, "loop": 0} \
        if frames > 1 else {}
    ims[0].save(buf, "GIF", optimize=False, **extra)
    return buf.getvalue()


def big_global_table(data: bytes, text: bytes) -> bytes:
    """The same GIF with a 256-entry global table whose unused entries hold ``text``."""
    layout = walk_blocks(data)
    table = data[13 : layout.header_end]
    table = (table + text).ljust(768, b"\x07")[:768]
    flags = data[10] | 0x87
    return data[:10] + bytes([flags]) + data[11:13] + table + data[layout.header_end :]


def local_table(data: bytes, text: bytes) -> bytes:
    """The first frame given a 256-entry local table (its colours, then ``text``)."""
    layout = walk_blocks(data)
    table = data[13 : layout.header_end]
    image = next(b for b in layout.blocks if b.kind == "image")
    assert not data[image.start + 9] & 0x80
    packed = bytes([data[image.start + 9] | 0x87])
    local = (table + text).ljust(768, b"\x05")[:768]
    return data[: image.start + 9] + packed + local + data[image.start + 10 :]


def after_end_code(data: bytes, text: bytes) -> bytes:
    """The first frame's LZW data followed, inside its sub-blocks, by ``text``."""
    layout = walk_blocks(data)
    image = next(b for b in layout.blocks if b.kind == "image")
    stream = gif_clean.joined(data, image.data_start, image.end)
    return data[: image.data_start] + gif_sub_blocks(stream + text) + data[image.end :]


def _table_end(data: bytes) -> int:
    """The index of the first global-table entry :func:`big_global_table` fills."""
    return (walk_blocks(data).header_end - 13) // 3


def dangling_controls(text: bytes) -> bytes:
    """Control blocks no frame uses (a row of them before the only frame), each naming as
    transparent an entry no pixel uses that holds three bytes of ``text``."""
    data = four_colours()
    first, n = _table_end(data), -(-len(text) // 3)
    return gif_insert(big_global_table(data, text), *(
        b"\x21\xf9\x04\x01\x00\x00" + bytes([first + k]) + b"\x00" for k in range(n)))


def transparent_unused(text: bytes) -> bytes:
    """An animation whose frames each name as transparent an entry no pixel uses, holding
    three bytes of ``text`` (an entry no pixel shows: its colour is never drawn)."""
    n = -(-len(text) // 3)
    data = four_colours(n)
    first = _table_end(data)
    out = bytearray(big_global_table(data, text))
    gces = [b for b in walk_blocks(bytes(out)).blocks if b.kind == "gce"]
    assert len(gces) == n
    for k, block in enumerate(gces):
        out[block.start + 3] |= 1
        out[block.start + 6] = first + k
    return bytes(out)


def edit_first(data: bytes, kind: str, new: Callable[[bytes], bytes]) -> bytes:
    block = next(b for b in walk_blocks(data).blocks if b.kind == kind)
    return data[: block.start] + new(data[block.start : block.end]) + data[block.end :]


M = {name: marker(f"gif-{name}") for name in (
    "icc", "gce-long", "gce-more", "loop-long", "loop-more", "lzw-tail", "palette",
    "local-palette", "unknown-ext", "comment", "app", "trailer", "transparent-unused")}
E = {name: value.encode() for name, value in M.items()}

# name -> (builder, finding inspect must show)
CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "icc": (lambda: gif_insert(gif_bytes(), gif_app_ext(b"ICCRGBG1012", profile_with(M["icc"]))),
            "Colour profile description"),
    "gce-long": (lambda: edit_first(four_colours(2), "gce", lambda b: b"\x21\xf9"
                                    + bytes([4 + len(E["gce-long"])]) + b[3:7] + E["gce-long"]
                                    + b"\x00"), "Data in control blocks"),
    "gce-more": (lambda: edit_first(four_colours(2), "gce", lambda b: b[:-1]
                                    + gif_sub_blocks(E["gce-more"])), "Data in control blocks"),
    "loop-long": (lambda: edit_first(four_colours(2), "app", lambda b: b[:14]
                                     + bytes([3 + len(E["loop-long"])]) + b[15:18] + E["loop-long"]
                                     + b"\x00"), ""),
    "loop-more": (lambda: edit_first(four_colours(2), "app", lambda b: b[:-1]
                                     + gif_sub_blocks(E["loop-more"])), ""),
    "lzw-tail": (lambda: after_end_code(four_colours(), E["lzw-tail"] * 3),
                 "Data after the image data"),
    "palette": (lambda: big_global_table(four_colours(2), E["palette"]),
                "Unused colour-table entries"),
    "local-palette": (lambda: local_table(four_colours(2), E["local-palette"]),
                      "Unused colour-table entries"),
    "unknown-ext": (lambda: gif_insert(four_colours(), b"\x21\x77" + gif_sub_blocks(
        E["unknown-ext"])), "Unknown extension 0x77"),
    "comment": (lambda: gif_insert(four_colours(), b"\x21\xfe" + gif_sub_blocks(E["comment"])),
                "Comment"),
    "app": (lambda: gif_insert(four_colours(), gif_app_ext(b"JANEDOE1.01", E["app"])),
            "Application data 'JANEDOE1.01'"),
    "trailer": (lambda: four_colours() + E["trailer"] * 3, "Data after the image"),
    "transparent-unused": (lambda: transparent_unused(E["transparent-unused"]),
                           "Unused colour-table entries"),
}


def test_a_row_of_control_blocks_before_one_frame_is_refused(tmp_path) -> None:
    """Each named an entry holding part of a text as transparent, and each entry was kept;
    the format allows one control block per frame, and decoders disagree on which counts."""
    data = dangling_controls(marker("gif-dangling").encode())
    report = inspect(written(tmp_path / "row.gif", data))
    assert "GIF has two control blocks for one frame (viewers disagree on which applies)" \
        in report.problems
    result = export(tmp_path, "row.gif", data)
    assert not result.ok and "two control blocks" in result.reason


def test_a_frame_outside_the_picture_area_is_refused(tmp_path) -> None:
    """A frame past the logical screen: browsers clip it, Pillow grows the picture, so what
    it holds may never be seen; refused rather than kept unseen."""
    data = four_colours(2)
    second = [b for b in walk_blocks(data).blocks if b.kind == "image"][1]
    width = int.from_bytes(data[6:8], "little")
    moved = data[: second.start + 1] + (width - 4).to_bytes(2, "little") \
        + data[second.start + 3 :]
    report = inspect(written(tmp_path / "off.gif", moved))
    assert any("outside the picture's area" in p for p in report.problems), report.problems
    result = export(tmp_path, "off.gif", moved)
    assert not result.ok and "outside the picture's area" in result.reason


@pytest.mark.parametrize("case", sorted(CASES))
def test_hiding_place_is_found_and_cleaned(case: str, tmp_path, witness: Witness) -> None:
    build, finding = CASES[case]
    data = build()
    src = tmp_path / "probe.gif"
    src.write_bytes(data)
    report = inspect(src)
    assert report.ok and report.understood, report.problems
    if finding:
        assert finding in [f.name for f in report.findings], [f.name for f in report.findings]
    export_checked(tmp_path, "anim.gif", data, [M[case]], witness)


def test_control_block_bits_no_decoder_reads_are_cleared(tmp_path) -> None:
    data = four_colours(2)
    # reserved bits in the control block, a transparent index without the flag, sort bits
    data = edit_first(data, "gce", lambda b: b[:3] + bytes([b[3] | 0xE0]) + b[4:6] + b"\x9c"
                      + b[7:])
    data = data[:10] + bytes([data[10] | 0x08]) + data[11:]
    result = export(tmp_path, "a.gif", data)
    assert result.ok, result.reason
    out = result.output.read_bytes()
    gces = [out[b.start : b.end] for b in walk_blocks(out).blocks if b.kind == "gce"]
    assert all(g[3] & 0xE0 == 0 and (g[3] & 1 or g[6] == 0) for g in gces)
    assert out[10] & 0x08 == 0


def test_grey_ramp_table_is_kept_as_it_is(tmp_path) -> None:
    arr = (np.arange(24 * 32).reshape(24, 32) % 7).astype(np.uint8)
    im = Image.fromarray(arr, "L")
    buf = io.BytesIO()
    im.save(buf, "GIF", optimize=False)
    data = buf.getvalue()
    result = export(tmp_path, "g.gif", data)
    assert result.ok, result.reason
    with Image.open(result.output) as a, Image.open(io.BytesIO(data)) as b:
        assert a.mode == b.mode and np.array_equal(np.asarray(a), np.asarray(b))


def test_the_verifier_refuses_uncleared_colour_entries(tmp_path, monkeypatch) -> None:
    """A strip that kept unused colour entries (inspect does not call them identifying):
    the ledger refuses the copy."""
    monkeypatch.setattr(gif_clean, "cleared", lambda table, used, protected: table)
    result = export(tmp_path, "a.gif", big_global_table(four_colours(), b"\x01\x02\x03" * 20))
    assert not result.ok
    assert "cannot account for" in result.reason and "colour table" in result.reason
    assert not list((tmp_path / "out").iterdir())


def test_both_lzw_walks_agree(monkeypatch) -> None:
    """Short streams are walked code by code, long ones in vectorised batches: on real,
    cut, padded and random streams both give the same end, width, pixels and colours."""
    from share_guard.core.containers import gif_lzw

    monkeypatch.setattr(gif_lzw, "SMALL", -1)
    rng = np.random.default_rng(5)

    def key(a: gif_lzw.Lzw) -> tuple:
        return (a.stop_bit, a.problem) if a.problem else (
            a.stop_bit, a.width, a.pixels, bytes(a.used), a.ended_at_stop, a.end_bits)

    for trial in range(40):
        h, w = (int(v) for v in rng.integers(1, 120, 2))
        arr = rng.integers(0, int(rng.integers(2, 256)), (h, w), dtype=np.uint8)
        if trial % 2:
            arr = (np.add.outer(np.arange(h), np.arange(w)) % 7).astype(np.uint8)
        im = Image.fromarray(arr, "P")
        im.putpalette(list(range(256)) * 3)
        buf = io.BytesIO()
        im.save(buf, "GIF")
        data = buf.getvalue()
        image = next(b for b in walk_blocks(data).blocks if b.kind == "image")
        stream = gif_clean.joined(data, image.data_start, image.end)
        size = data[image.data_start - 1]
        noise = bytes(rng.integers(0, 256, 40, dtype=np.uint8))
        for s in (stream, stream + noise, stream[: len(stream) // 2], noise * 20):
            for want in (w * h, w * h // 2 + 1, 2 * w * h):
                assert key(gif_lzw.walk(s, size, want)) == key(gif_lzw._walk_small(s, size, want))


def test_a_flood_of_tiny_frames_is_checked_quickly(tmp_path) -> None:
    import time

    from share_guard.core.containers.base import Source
    from share_guard.core.containers.gif import GifHandler

    one = four_colours()
    layout = walk_blocks(one)
    frame = next(b for b in layout.blocks if b.kind == "image")
    tiny = b"\x2c" + bytes(4) + b"\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"  # 1x1, index 0
    data = one[: frame.end] + tiny * 20_000 + b"\x3b"
    path = tmp_path / "flood.gif"
    path.write_bytes(data)
    t0 = time.perf_counter()
    GifHandler().inspect(Source(path))
    assert time.perf_counter() - t0 < 6


def test_an_impossible_code_size_is_a_problem_not_a_crash(tmp_path) -> None:
    data = bytearray(four_colours())
    image = next(b for b in walk_blocks(bytes(data)).blocks if b.kind == "image")
    data[image.data_start - 1] = 200
    src = tmp_path / "odd.gif"
    src.write_bytes(bytes(data))
    report = inspect(src)
    assert report.ok and not report.understood
    assert "impossible code size" in report.problems[0]
