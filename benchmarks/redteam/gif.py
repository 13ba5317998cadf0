"""GIF: colour tables, extensions in unusual places, LZW streams, animations."""

from __future__ import annotations

import io
from collections.abc import Iterator

from . import Case, case, icc_marker, icc_variant, picture


def subblocks(data: bytes) -> bytes:
    return b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255]
                    for i in range(0, len(data), 255)) + b"\0"


def gif(colours: int = 64, frames: int = 1) -> bytes:
    out = io.BytesIO()
    ims = [picture(seed=23 * i).quantize(colours) for i in range(frames)]
    ims[0].save(out, "GIF", save_all=frames > 1, append_images=ims[1:], duration=80, loop=0)
    return out.getvalue()


def blocks(data: bytes) -> tuple[bytes, list[bytes]]:
    """(header with screen descriptor and global table, [block ...]) of a GIF."""
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    head, out = data[:pos], []
    while data[pos] != 0x3B:
        start = pos
        if data[pos] == 0x21:
            pos += 2
        else:
            lflags = data[pos + 9]
            pos += 10 + (3 * 2 ** ((lflags & 7) + 1) if lflags & 0x80 else 0) + 1
        while data[pos]:
            pos += 1 + data[pos]
        pos += 1
        out.append(data[start:pos])
    return head, out


def join(head: bytes, parts: list[bytes]) -> bytes:
    return head + b"".join(parts) + b"\x3b"


def image_index(parts: list[bytes], n: int = 0) -> int:
    return [i for i, b in enumerate(parts) if b[0] == 0x2C][n]


def lzw_tail(block: bytes, extra: bytes) -> bytes:
    """An image block with ``extra`` bytes in new sub-blocks after its LZW data."""
    return block[:-1] + subblocks(extra)


@case
def gif_cases() -> Iterator[Case]:
    for place in ("header-signatures", "private-tag", "text-tag-slack"):
        marker = f"RT_GICC_{place.upper().replace('-', '_')}"
        head, parts = blocks(gif())
        ext = b"\x21\xff\x0bICCRGBG1012" + subblocks(icc_variant(place, marker))
        yield Case(f"gif-icc-{place}", join(head, [ext, *parts]), [icc_marker(place, marker)], 1)

    # global colour table entries no pixel uses (a 64-entry table, 16 colours used)
    head, parts = blocks(gif(16))
    table = head[13:].ljust(48, b"\0")[:48] + b"RT_G_GLOBAL_UNUSED".ljust(144, b"-")
    screen = bytearray(head[:13])
    screen[10] = (screen[10] & 0xF8) | 0x80 | 5
    yield Case("gif-global-table-unused", join(bytes(screen) + table, parts),
               ["RT_G_GLOBAL_UNUSED"], 6)

    # a second frame with a local table whose unused entries hold text
    head, parts = blocks(gif(16, frames=2))
    i = image_index(parts, 1)
    block = parts[i]
    old_table = 3 * 2 ** ((block[9] & 7) + 1) if block[9] & 0x80 else 0
    colours = (block[10 : 10 + old_table] if old_table else head[13:]).ljust(48, b"\0")[:48]
    local = colours + b"RT_G_LOCAL_UNUSED".ljust(144, b"-")
    parts[i] = block[:9] + bytes([(block[9] & 0x40) | 0x80 | 5]) + local + block[10 + old_table :]
    yield Case("gif-local-table-unused", join(head, parts), ["RT_G_LOCAL_UNUSED"], 6)

    # text after the end of the second frame's LZW data
    head, parts = blocks(gif(32, frames=2))
    i = image_index(parts, 1)
    parts[i] = lzw_tail(parts[i], b"RT_G_FRAME2_LZW_TAIL")
    yield Case("gif-frame2-lzw-tail", join(head, parts), ["RT_G_FRAME2_LZW_TAIL"], 4)

    # extensions no decoder shows: plain text, XMP, an unknown label, comments between frames
    head, parts = blocks(gif(32, frames=2))
    plain = b"\x21\x01\x0c" + bytes(12) + subblocks(b"RT_G_PLAINTEXT")
    yield Case("gif-plain-text", join(head, [plain, *parts]), ["RT_G_PLAINTEXT"], 3)
    xmp = b"\x21\xff\x0bXMP DataXMP" + b"<x:xmpmeta>RT_G_XMP_MAGIC</x:xmpmeta>" \
        + bytes(range(0xFF, 0, -1)) + b"\0\0"
    yield Case("gif-xmp-magic-trailer", join(head, [xmp, *parts]), ["RT_G_XMP_MAGIC"], 3)
    yield Case("gif-unknown-extension", join(head, [b"\x21\x99" + subblocks(b"RT_G_UNKNOWN_EXT"),
                                                    *parts]), ["RT_G_UNKNOWN_EXT"], 3)
    i = image_index(parts, 1)
    com = b"\x21\xfe" + subblocks(b"RT_G_BETWEEN_FRAMES")
    yield Case("gif-comment-between-frames", join(head, parts[:i] + [com] + parts[i:]),
               ["RT_G_BETWEEN_FRAMES"], 3)

    # the loop block with a second (buffering) sub-block, and an ANIMEXTS block with text
    head, parts = blocks(gif(32, frames=2))
    loops = [i for i, b in enumerate(parts) if b[3:14] == b"NETSCAPE2.0"]
    extra = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x05\x02\x00\x10\x00\x00" \
        + subblocks(b"RT_G_NETSCAPE_SUB")
    parts[loops[0]] = extra
    yield Case("gif-netscape-subblocks", join(head, parts), ["RT_G_NETSCAPE_SUB"], 5)
    head, parts = blocks(gif(32, frames=2))
    anim = b"\x21\xff\x0bANIMEXTS1.0\x03\x01\x00\x00" + b"\x00"
    anim = anim[:-1] + subblocks(b"RT_G_ANIMEXTS")
    yield Case("gif-animexts-extra", join(head, [anim, *parts]), ["RT_G_ANIMEXTS"], 5)

    # a graphic control block after the last image (no image follows it), with extra bytes
    head, parts = blocks(gif(32))
    gce = b"\x21\xf9" + subblocks(b"\x04\x10\x00\x00RT_G_LAST_GCE")
    yield Case("gif-gce-after-last-image", join(head, [*parts, gce]), ["RT_G_LAST_GCE"], 5)

    # the header's version and the screen descriptor's aspect byte are single bytes; a
    # GIF87a with a trailer after 0x3B and the animated GIF a phone keyboard sends
    yield Case("gif-87a-trailer", gif().replace(b"GIF89a", b"GIF87a", 1) + b"RT_G_87A_TRAILER",
               ["RT_G_87A_TRAILER"], 4)
    head, parts = blocks(gif(128, frames=4))
    com = b"\x21\xfe" + subblocks(b"Created with RT_G_GIPHY_APP")
    yield Case("gif-keyboard-animation", join(head, [*parts[:1], com, *parts[1:]]),
               ["RT_G_GIPHY_APP"], 0)

