"""Byte accounting for a clean GIF, walked on its own.

Header, screen descriptor, colour tables, graphic control and loop blocks are *written*
when their bytes are what their fields give back (a colour table: every entry no pixel,
or the background index uses is black, unless the table is the plain grey ramp);
the colour profile is proven neutral; each frame's LZW data is *payload* when it ends with
the end-of-information code exactly where the picture is complete (zero padding bits, no
byte after) in full 255-byte sub-blocks. Anything else fails the export.
"""

from __future__ import annotations

from share_guard.core.containers.gif_clean import (
    ICC_APP,
    LOOP_APPS,
    Analysis,
    analyse,
    cleared,
    frame_used,
    gce,
    joined,
    loop,
    screen,
)
from share_guard.core.containers.gif_lzw import is_rebuilt, sub_blocks
from share_guard.core.containers.ledger import Ledger, Unaccounted
from share_guard.core.errors import CorruptFile, ExportRefused
from share_guard.core.i18n import N_
from share_guard.core.metadata.icc import IccError, check_icc


def account_gif(data: bytes) -> Ledger:
    from share_guard.core.containers.gif import walk_blocks

    ledger = Ledger(len(data))
    try:
        layout = walk_blocks(data)
        analysis = analyse(data, layout)
    except (CorruptFile, ExportRefused) as exc:
        ledger.refuse(0, len(data), "GIF", str(exc))
        return ledger
    if analysis.problems or layout.missing_trailer:
        ledger.refuse(0, len(data), "GIF", (analysis.problems or ["no trailer"])[0])
        return ledger
    _written_if(data[:6] in (b"GIF87a", b"GIF89a") and screen(data) == data[:13], 0, 13,
                "GIF screen descriptor", ledger)
    table = data[13 : layout.header_end]
    _written_if(cleared(table, analysis.global_used, analysis.protected) == table, 13,
                layout.header_end, "GIF global colour table", ledger)
    loops = icc = 0
    for i, block in enumerate(layout.blocks):
        what = f"GIF {block.kind} block at byte {block.start}"
        if block.kind == "image":
            _account_frame(data, analysis, i, ledger)
            continue
        if block.kind == "gce":
            ok = i in analysis.governing and data[block.start : block.end] == gce(
                data[block.data_start + 1 : block.data_start + 5])
        elif block.kind == "app" and block.app_id in LOOP_APPS:
            loops += 1
            ok = loops == 1 and data[block.start : block.end] == loop(
                block.app_id, joined(data, block.data_start, block.end))
        elif block.kind == "app" and block.app_id == ICC_APP:
            icc += 1
            ok = icc == 1 and _icc_ok(data, block.data_start, block.end, what, ledger)
        else:
            ok = False
        _written_if(ok, block.start, block.end, what, ledger)
    _written_if(layout.trailer_end == len(data), layout.trailer_end - 1, len(data),
                "GIF trailer", ledger)
    return ledger


def _written_if(ok: bool, start: int, end: int, what: str, ledger: Ledger) -> None:
    if ok:
        ledger.written(start, end, what)
    else:
        ledger.refuse(start, end, what, N_("bytes the cleaner does not write"))


def _icc_ok(data: bytes, start: int, end: int, what: str, ledger: Ledger) -> bool:
    profile = joined(data, start, end)
    try:
        check_icc(profile, what)
    except (IccError, Unaccounted) as exc:
        ledger.refuse(start, end, what, str(exc))
        return False
    return data[start:end] == sub_blocks(profile)


def _account_frame(data: bytes, analysis: Analysis, i: int, ledger: Ledger) -> None:
    frame = analysis.frames[i]
    block = frame.block
    what = f"GIF image at byte {block.start}"
    head_end = block.data_start
    table = frame.table
    ok = frame.descriptor[8] & 0x38 == 0 and \
        cleared(table, frame_used(frame), set()) == table
    _written_if(ok, block.start, head_end, what, ledger)
    if data[block.data_start : block.end] != sub_blocks(frame.stream) \
            or not is_rebuilt(frame.stream, frame.lzw):
        ledger.refuse(block.data_start, block.end, what, N_("image data that does not end where "
                      "the picture ends, or is not split the way the cleaner writes it"))
        return
    pos = block.data_start
    while data[pos]:
        ledger.written(pos, pos + 1, what)
        ledger.payload(pos + 1, pos + 1 + data[pos], what)
        pos += 1 + data[pos]
    ledger.written(pos, pos + 1, what)
