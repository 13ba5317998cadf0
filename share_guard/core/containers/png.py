"""PNG and APNG: a bounded chunk walker, findings, and a lossless cleaner written from fields.

Kept by the cleaner (see :mod:`png_clean`): IHDR, the palette of an indexed image, the
colour chunks (iCCP with a neutral profile, sRGB, gAMA, cHRM, sBIT, cICP, mDCv, cLLi),
pHYs, tRNS, bKGD and the APNG animation chunks (acTL, fcTL, fdAT), each written from its
parsed fields at its specified size, in order; the image data cut at the end of its zlib
stream. Dropped: text (tEXt/zTXt/iTXt), eXIf, tIME, every other ancillary chunk, second
copies of single chunks, bytes after a zlib stream and anything after IEND.
:mod:`png_account` proves every byte of a clean copy.

Orientation: some viewers (Pillow, browsers) rotate a PNG by its eXIf
Orientation tag (or, in Pillow, by XMP tiff:Orientation). When that would
not be 1, the clean copy carries a fresh eXIf chunk holding only the
Orientation tag, so the picture is shown the same way up as before.

Written here rather than with Pillow's PngImagePlugin because Pillow reads
chunks to decode, not to copy them verbatim or to report where they were.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers._orientation import display_orientation
from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.png_account import account_png
from share_guard.core.containers.png_clean import clean_png
from share_guard.core.containers.png_findings import structure_findings
from share_guard.core.containers.png_text import (
    TextBudget,
    TextChunk,
    parse_text_chunk,
    text_findings,
)
from share_guard.core.containers.trailer import describe_trailer
from share_guard.core.errors import CorruptFile, ExportRefused, LimitExceeded
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.report import Category, Finding

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHUNKS = 250_000
#: animation frames (fcTL chunks) one APNG may hold: each is parsed and written again
#: (100,000 of them, 4 MB, took 22 s to clean)
MAX_FRAMES = 25_000
MAX_CHUNK_LENGTH = 2**31 - 1  # PNG spec limit

CRITICAL = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND"})
COLOUR = frozenset({b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"sBIT", b"cICP", b"mDCv", b"cLLi"})
ANIMATION = frozenset({b"acTL", b"fcTL", b"fdAT"})
#: ancillary chunks copied to the clean file (needed to show the image as it was)
KEEP = COLOUR | ANIMATION | frozenset({b"pHYs", b"tRNS", b"bKGD"})
TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt"})

# Ancillary chunks we know and drop: type -> (category, name, why)
_KNOWN_DROPPED: dict[bytes, tuple[Category, str, str]] = {
    b"sPLT": (Category.OTHER, N_("Suggested palette"), N_("a named palette hint; removed")),
    b"hIST": (Category.OTHER, N_("Palette histogram"), N_("a decoding hint; removed")),
    b"oFFs": (Category.OTHER, N_("Image offset"), N_("page placement details; removed")),
    b"pCAL": (Category.OTHER, N_("Pixel calibration"), N_("scientific calibration text; removed")),
    b"sCAL": (Category.OTHER, N_("Physical scale"), N_("physical size of the subject; removed")),
    b"sTER": (Category.OTHER, N_("Stereo layout"), N_("stereo picture hint; removed")),
    b"dSIG": (Category.IDENTITY, N_("Digital signature"), N_("can identify who signed the file")),
    b"caBX": (Category.IDENTITY, N_("Content Credentials (C2PA)"),
              N_("a signed record of who made and edited the image")),
    b"iDOT": (Category.DEVICE, N_("Apple decoding hint"), N_("shows the image came from an Apple device")),
    b"vpAg": (Category.OTHER, N_("Virtual page"), N_("ImageMagick page geometry; removed")),
    b"gIFg": (Category.OTHER, N_("GIF control extension"), N_("converted-GIF leftovers; removed")),
    b"gIFx": (Category.OTHER, N_("GIF application extension"), N_("converted-GIF leftovers; removed")),
}


#: plain words for what the cleaner removed
_PLAIN = {b"tEXt": "text (tEXt)", b"zTXt": "text (zTXt)", b"iTXt": "text (iTXt)",
          b"eXIf": "EXIF (eXIf)", b"tIME": "modification time (tIME)"}


@dataclass
class Chunk:
    type: bytes
    offset: int  # offset of the length field
    length: int
    crc_ok: bool

    @property
    def data_start(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        return self.offset + 12 + self.length

    @property
    def critical(self) -> bool:
        return not (self.type[0] & 0x20)

    @property
    def name(self) -> str:
        return self.type.decode("latin-1")


@dataclass
class PngLayout:
    chunks: list[Chunk] = field(default_factory=list)
    iend_end: int = 0  # offset just after IEND: anything beyond is a trailer
    problems: list[str] = field(default_factory=list)


def walk_chunks(data: bytes) -> PngLayout:
    """Walk every chunk from the signature to IEND (bounded; checks lengths and CRCs)."""
    if not data.startswith(SIGNATURE):
        raise CorruptFile(N_("not a PNG file (bad signature)"))
    layout = PngLayout()
    pos, size = len(SIGNATURE), len(data)
    frames = 0
    while True:
        if len(layout.chunks) >= MAX_CHUNKS:
            raise LimitExceeded(message(N_("PNG has more than {MAX_CHUNKS} chunks"), MAX_CHUNKS=MAX_CHUNKS))
        if pos + 12 > size:
            raise CorruptFile(N_("PNG is truncated: it ends before the IEND chunk"))
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        if not all(65 <= c <= 90 or 97 <= c <= 122 for c in ctype):
            raise CorruptFile(message(N_("PNG is damaged: invalid chunk type at byte {pos}"), pos=pos))
        if length > MAX_CHUNK_LENGTH or pos + 12 + length > size:
            raise CorruptFile(
                message(N_("PNG is truncated: chunk {ctype} runs past the end of the file"),
                        ctype=ctype.decode('latin-1'))
            )
        body = data[pos + 4 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        chunk = Chunk(ctype, pos, length, (zlib.crc32(body) & 0xFFFFFFFF) == crc)
        layout.chunks.append(chunk)
        if ctype == b"fcTL":
            frames += 1
            if frames > MAX_FRAMES:
                raise LimitExceeded(message(N_("PNG animation has more than {MAX_FRAMES} frames"),
                                            MAX_FRAMES=f"{MAX_FRAMES:,}"))
        if not chunk.crc_ok and (chunk.critical or ctype in KEEP):
            # dropping a damaged colour or animation chunk would change what is shown
            layout.problems.append(message(N_("PNG {name} chunk has a bad checksum (damaged file)"),
                                           name=chunk.name))
        pos = chunk.end
        if ctype == b"IEND":
            layout.iend_end = pos
            break
    _check_structure(layout)
    return layout


def _check_structure(layout: PngLayout) -> None:
    chunks = layout.chunks
    if chunks[0].type != b"IHDR" or chunks[0].length != 13:
        raise CorruptFile(N_("PNG is damaged: it does not start with a valid IHDR chunk"))
    types = [c.type for c in chunks]
    if b"IDAT" not in types:
        raise CorruptFile(N_("PNG has no image data (no IDAT chunk)"))
    first = types.index(b"IDAT")
    last = len(types) - 1 - types[::-1].index(b"IDAT")
    if any(t != b"IDAT" for t in types[first : last + 1]):
        layout.problems.append(N_("PNG image data is split by other chunks (malformed file)"))
    for chunk in chunks:
        if chunk.critical and chunk.type not in CRITICAL:
            layout.problems.append(message(N_("PNG has an unknown critical chunk {name}"),
                                           name=f"{chunk.name!r}"))


class PngHandler(FormatHandler):
    name = "png"
    kind = "image"
    mime = "image/png"
    extensions = (".png", ".apng")
    priority = 20
    accounts = True

    def sniff(self, head: bytes) -> bool:
        return head.startswith(SIGNATURE)

    def _parse(self, src: Source) -> tuple[bytes, PngLayout]:
        return src.parsed("png", walk_chunks)

    def inspect(self, src: Source) -> Inspection:
        data, layout = self._parse(src)
        result = Inspection(problems=list(layout.problems))
        width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
        result.properties.update(width=width, height=height, bit_depth=depth, colour_type=colour)
        texts: list[TextChunk] = []
        budget = TextBudget()
        kept: list[str] = []
        exif_block: bytes | None = None
        for chunk in layout.chunks:
            body = data[chunk.data_start : chunk.data_start + chunk.length]
            where = f"PNG {chunk.name}"
            if chunk.type in TEXT:
                texts.append(parse_text_chunk(chunk.type, body, budget))
            elif chunk.type == b"eXIf":
                exif_block = body
                result.findings.extend(exif_findings(body, where=where).findings)
            elif chunk.type == b"tIME":
                result.findings.append(_time_finding(body))
            elif chunk.type == b"acTL" and chunk.length == 8:
                result.properties["frames"] = struct.unpack(">I", body[:4])[0]
            elif chunk.type in KEEP or chunk.type in CRITICAL:
                if chunk.type in COLOUR:
                    kept.append(_colour_label(chunk.type, body))
            else:
                result.findings.append(_dropped_finding(chunk))
        result.findings.extend(text_findings(texts))
        if kept:
            result.findings.append(Finding(
                Category.KEPT, "PNG colour chunks", N_("Colour information"), ", ".join(kept),
                N_("needed to show colours correctly; kept"), identifying=False, removable=False,
            ))
        orientation = display_orientation(exif_block or _raw_exif(texts), _xmp_of(texts))
        result.properties["orientation"] = orientation
        found, problems = src.cached("png-structure", lambda: structure_findings(data, layout))
        result.findings.extend(found)
        result.problems.extend(problems)
        trailer = len(data) - layout.iend_end
        if trailer > 0:
            result.findings.append(describe_trailer(data[layout.iend_end:], layout.iend_end))
        return result

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        data, layout = self._parse(src)
        if layout.problems:
            raise ExportRefused(message(N_("cannot clean this PNG with confidence: {problems}"),
                                        problems=layout.problems[0]))
        budget = TextBudget()
        texts = [
            parse_text_chunk(c.type, data[c.data_start : c.data_start + c.length], budget)
            for c in layout.chunks
            if c.type in TEXT
        ]
        exif_blocks = [
            data[c.data_start : c.data_start + c.length] for c in layout.chunks if c.type == b"eXIf"
        ]
        exif_block = exif_blocks[-1] if exif_blocks else _raw_exif(texts)
        orientation = display_orientation(exif_block, _xmp_of(texts))
        chunks = [(c.type, data[c.data_start : c.data_start + c.length]) for c in layout.chunks
                  if c.crc_ok]
        cleaned = clean_png(chunks, orientation)
        out.write(cleaned.out)
        result = StripResult()
        removed = cleaned.removed
        for c in layout.chunks:
            if not c.crc_ok:
                removed[f"damaged {c.name}"] = removed.get(f"damaged {c.name}", 0) + 1
        result.removed.extend(
            f"{n} {name} chunks" if n > 1 else f"{name} chunk" for name, n in removed.items()
        )
        result.removed.extend(cleaned.notes)
        trailer = len(data) - layout.iend_end
        if trailer > 0:
            result.removed.append(message(N_("{count} bytes after the end of the image"), count=trailer))
        if orientation != 1:
            result.kept.append(message(N_("orientation ({orientation})"), orientation=orientation))
        kept_colour = sorted({c.name for c in layout.chunks if c.type in COLOUR and c.crc_ok})
        if kept_colour:
            result.kept.append(message(N_("colour information ({chunks})"),
                                       chunks=", ".join(kept_colour)))
        return result

    def account(self, src: Source) -> Ledger:
        return account_png(src.read_all())


def _raw_exif(texts: list[TextChunk]) -> bytes | None:
    for text in texts:
        if text.raw_profile in ("exif", "app1") and text.profile_bytes is not None:
            return text.profile_bytes
    return None


def _xmp_of(texts: list[TextChunk]) -> bytes | None:
    for text in texts:
        if text.keyword == "XML:com.adobe.xmp" and text.text is not None:
            return text.text.encode("utf-8")
    for text in texts:
        if text.raw_profile == "xmp" and text.profile_bytes is not None:
            return text.profile_bytes
    return None


def _time_finding(body: bytes) -> Finding:
    if len(body) == 7:
        y, mo, d, h, mi, s = struct.unpack(">HBBBBB", body)
        value = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d} UTC"
    else:
        value = f"{len(body)} bytes (malformed)"
    return Finding(Category.TIME, "PNG tIME", N_("Last modified"), value,
                   N_("tells when the image was last changed"))


def _colour_label(ctype: bytes, body: bytes) -> str:
    return "ICC profile" if ctype == b"iCCP" else ctype.decode("latin-1")


def _dropped_finding(chunk: Chunk) -> Finding:
    where = f"PNG {chunk.name}"
    if not chunk.crc_ok:
        return Finding(Category.UNKNOWN, where, message(N_("Damaged {name} chunk"), name=chunk.name),
                       f"{chunk.length} bytes", N_("a chunk with a bad checksum; removed"))
    known = _KNOWN_DROPPED.get(chunk.type)
    if known is not None:
        category, name, why = known
        return Finding(category, where, name, f"{chunk.length} bytes", why)
    return Finding(Category.UNKNOWN, where, message(N_("Unknown chunk {name}"), name=f"{chunk.name!r}"),
                   f"{chunk.length} bytes", N_("data we cannot interpret; removed"))


HANDLERS = [PngHandler()]
