"""Byte accounting for a clean WebP, walked on its own.

The RIFF header and every chunk header are *written* framing, pad bytes must be zero;
VP8X, ANIM, ANMF headers and the Orientation EXIF are *written* when their bytes are what
their fields give back; the ICC profile is proven neutral tag by tag; each VP8/VP8L/ALPH
bitstream is *payload* up to its last non-zero byte once a decode shows that byte is one
the decoder reads, and *zeroed* after it. A chunk no decoder uses fails the export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.webp_bitstream import Part, only_needed, vp8_size
from share_guard.core.containers.webp_clean import (
    FLAG_ALPHA,
    FLAG_ANIM,
    FLAG_EXIF,
    FLAG_ICC,
    Pictures,
    alpha_fields,
    anmf_header,
    image_of,
    payload,
    pictures,
    vp8x_body,
)
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_
from share_guard.core.metadata.icc import account_icc
from share_guard.core.metadata.tiff_ifd import minimal_orientation_exif

if TYPE_CHECKING:
    from share_guard.core.containers.webp import RiffChunk


def account_webp(data: bytes) -> Ledger:
    from share_guard.core.containers.webp import walk_riff

    ledger = Ledger(len(data))
    try:
        layout = walk_riff(data)
        pics = pictures(data, layout.chunks)
    except CorruptFile as exc:
        ledger.refuse(0, len(data), "WebP", str(exc))
        return ledger
    if layout.riff_end != len(data):
        ledger.refuse(layout.riff_end, len(data), "WebP", N_("data after the RIFF end"))
    for chunk in pics.unused + ([pics.exif] if pics.exif and pics.simple else []):
        ledger.refuse(chunk.offset, chunk.data_start + chunk.size, f"WebP {chunk.name}",
                      N_("a chunk no decoder uses"))
    ledger.written(0, 12, "WebP RIFF header")
    framing = list(layout.chunks)
    for frame, _a, _i in pics.frames:
        framing += frame.children
    for c in framing:
        ledger.written(c.offset, c.data_start, f"WebP {c.name} header")
        ledger.zeroed(data, c.data_start + c.size, c.data_start + c.size + (c.size & 1),
                      f"WebP {c.name} padding")
    try:
        _account_fields(data, pics, ledger)
        if pics.still is not None:
            _account_image(data, *pics.still, ledger)
        for _frame, alpha, image in pics.frames:
            _account_image(data, alpha, image, ledger)
    except CorruptFile as exc:
        ledger.refuse(0, len(data), "WebP", str(exc))
    return ledger


def _written_if(ok: bool, chunk: RiffChunk, start: int, end: int, ledger: Ledger) -> None:
    if ok:
        ledger.written(start, end, f"WebP {chunk.name}")
    else:
        ledger.refuse(start, end, f"WebP {chunk.name}", N_("fields the cleaner does not write"))


def _account_fields(data: bytes, pics: Pictures, ledger: Ledger) -> None:
    vp8x = pics.vp8x
    if vp8x is None:
        return
    flags = (pics.flags & FLAG_ALPHA) | (FLAG_ICC if pics.icc else 0) \
        | (FLAG_EXIF if pics.exif else 0) | (FLAG_ANIM if pics.frames else 0)
    _written_if(payload(data, vp8x) == vp8x_body(flags, *pics.canvas), vp8x, vp8x.data_start,
                vp8x.data_start + vp8x.size, ledger)
    if pics.icc is not None:
        account_icc(payload(data, pics.icc), ledger, pics.icc.data_start, "WebP colour profile")
    if pics.anim is not None:
        _written_if(pics.anim.size == 6, pics.anim, pics.anim.data_start,
                    pics.anim.data_start + pics.anim.size, ledger)
    if pics.exif is not None:
        body = payload(data, pics.exif)
        _written_if(any(body == minimal_orientation_exif(o) for o in range(2, 9)), pics.exif,
                    pics.exif.data_start, pics.exif.data_start + pics.exif.size, ledger)
    for frame, _a, _i in pics.frames:
        head = data[frame.data_start : frame.data_start + 16]
        _written_if(head == anmf_header(head), frame, frame.data_start, frame.data_start + 16,
                    ledger)


def _account_image(data: bytes, alpha: RiffChunk | None, image: RiffChunk,
                   ledger: Ledger) -> None:
    img = image_of(data, alpha, image)
    parts = img.parts()
    _account_parts(img.body, image.data_start, parts, parts[0].shown(img.body), ledger,
                   f"WebP {image.name} data")
    if alpha is None or img.alpha is None:
        return
    what = f"WebP ALPH at byte {alpha.offset}"
    if image.fourcc != b"VP8 ":
        ledger.refuse(alpha.offset, alpha.data_start + alpha.size, what, N_("an alpha chunk a "
                      "lossless image does not use"))
        return
    if not img.alpha:
        raise CorruptFile(N_("WebP alpha chunk is empty"))
    method, _f, _p = alpha_fields(img.alpha[0])
    ledger.written(alpha.data_start, alpha.data_start + 1, what)
    if method == 0:
        w, h = vp8_size(img.body)
        if alpha.size != 1 + w * h:
            ledger.refuse(alpha.data_start, alpha.data_start + alpha.size, what,
                          N_("raw alpha data of the wrong size"))
        else:
            ledger.payload(alpha.data_start + 1, alpha.data_start + alpha.size, what)
        return
    part = img.alpha_part(img.body)
    assert part is not None
    _account_parts(img.alpha, alpha.data_start, [part], part.shown(img.alpha), ledger, what,
                   skip_head=True)


def _account_parts(body: bytes, base: int, parts: list[Part], reference: bytes | None,
                   ledger: Ledger, what: str, skip_head: bool = False) -> None:
    """Payload up to each part's last non-zero byte (proven needed by the picture), zeroed
    after; bytes between parts (frame header, partition sizes) are payload too."""
    if reference is None:
        ledger.refuse(base, base + len(body), what, N_("a coded image that does not decode"))
        return
    pos = 1 if skip_head else 0
    for part in sorted(parts, key=lambda p: p.start):
        last = len(body[part.start : part.end].rstrip(b"\x00"))
        if not only_needed(part, body, reference):
            ledger.refuse(base + part.start, base + part.end, what,
                          N_("bytes after the end of the coded image"))
            return
        ledger.payload(base + pos, base + part.start + last, what)
        ledger.zeroed(body, base + part.start + last, base + part.end, f"{what} (unread)",
                      base=base)
        pos = part.end
    ledger.payload(base + pos, base + len(body), what)
