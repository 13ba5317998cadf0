"""PNG text chunks (tEXt, zTXt, iTXt): bounded decoding and findings.

Compressed text is inflated with a hard cap per chunk and a budget per file,
so a zlib bomb costs bounded time and memory. Keywords map to plain-language
categories; embedded XMP and "Raw profile type ..." blobs (ImageMagick's way
of carrying EXIF, XMP and IPTC in text chunks) are read by the shared
metadata readers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from share_guard.core.budget import Collector, spend
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.iptc import iptc_findings, irb_findings
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

MAX_TEXT_BYTES = 8 * 1024 * 1024  # per chunk, after decompression
MAX_TOTAL_TEXT_BYTES = 32 * 1024 * 1024  # per file
MAX_SHOWN = 400  # characters of a text value put in a finding (display is shorter still)

XMP_KEYWORD = "XML:com.adobe.xmp"
RAW_PROFILE = "raw profile type "


@dataclass
class TextChunk:
    ctype: bytes
    keyword: str
    #: decoded text, or None when it could not be read (see ``note``)
    text: str | None
    note: str = ""
    #: "exif", "xmp", "iptc"... for ImageMagick "Raw profile type NAME" chunks
    raw_profile: str | None = None
    profile_bytes: bytes | None = None

    @property
    def where(self) -> str:
        return f"PNG {self.ctype.decode('latin-1')}"


class TextBudget:
    """How many decompressed bytes one file may still spend on text."""

    def __init__(self, total: int = MAX_TOTAL_TEXT_BYTES) -> None:
        self.remaining = total


def _inflate(data: bytes, budget: TextBudget) -> tuple[bytes | None, str]:
    cap = min(MAX_TEXT_BYTES, budget.remaining)
    if cap <= 0:
        return None, N_("not read: the file holds too much compressed text")
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, cap)
    except zlib.error:
        return None, N_("not read: the compressed text is damaged")
    budget.remaining -= len(out)
    if inflater.unconsumed_tail:
        return out, f"only the first {cap} bytes were read"
    return out, ""


def parse_text_chunk(ctype: bytes, body: bytes, budget: TextBudget | None = None) -> TextChunk:
    """Decode one tEXt/zTXt/iTXt chunk body. Never raises: oddities go into ``note``."""
    budget = budget or TextBudget()
    key_raw, sep, rest = body.partition(b"\x00")
    keyword = key_raw[:79].decode("latin-1")
    if not sep:
        return TextChunk(ctype, keyword, None, "malformed: no keyword separator")
    text: str | None
    note = ""
    if ctype == b"tEXt":
        text = rest.decode("latin-1")
    elif ctype == b"zTXt":
        raw, note = _inflate(rest[1:], budget) if rest[:1] == b"\x00" else (None, "unknown method")
        text = raw.decode("latin-1") if raw is not None else None
    else:  # iTXt: flag, method, language\0, translated keyword\0, text
        if len(rest) < 2:
            return TextChunk(ctype, keyword, None, "malformed iTXt chunk")
        compressed, method = rest[0], rest[1]
        _lang, _, tail = rest[2:].partition(b"\x00")
        _translated, _, payload = tail.partition(b"\x00")
        if compressed:
            raw, note = _inflate(payload, budget) if method == 0 else (None, "unknown method")
        else:
            raw = payload
        text = raw.decode("utf-8", "replace") if raw is not None else None
    chunk = TextChunk(ctype, keyword, text, note)
    if keyword.lower().startswith(RAW_PROFILE) and text is not None:
        chunk.raw_profile = keyword[len(RAW_PROFILE) :].strip().lower()
        chunk.profile_bytes = _raw_profile_bytes(text)
    return chunk


def _raw_profile_bytes(text: str) -> bytes | None:
    """ImageMagick's layout: "\\nNAME\\n   LENGTH\\nHEX HEX ..." -> the bytes."""
    lines = text.split("\n")
    if len(lines) < 4:
        return None
    try:
        data = bytes.fromhex("".join(lines[3:]))
    except ValueError:
        return None
    if data.startswith(b"Exif\x00\x00"):
        data = data[6:]
    return data


# keyword (lower case) -> (category, name, why)
_KEYWORDS: dict[str, tuple[Category, str, str]] = {
    "author": (Category.IDENTITY, N_("Author"), N_("names the person who made the image")),
    "copyright": (Category.IDENTITY, N_("Copyright"), N_("names the owner of the image")),
    "creation time": (Category.TIME, N_("Creation time"), N_("tells when the image was made")),
    "software": (Category.DEVICE, N_("Software"), N_("names the program or device that made it")),
    "source": (Category.DEVICE, N_("Source device"), N_("names the device that made the image")),
    "comment": (Category.HIDDEN, N_("Comment"), N_("free text hidden in the file")),
    "title": (Category.OTHER, N_("Title"), N_("free text that may name people or places")),
    "description": (Category.OTHER, N_("Description"), N_("free text that may name people or places")),
    "disclaimer": (Category.OTHER, N_("Disclaimer"), N_("free text; removed")),
    "warning": (Category.OTHER, N_("Warning"), N_("free text; removed")),
}

# words inside other keywords (ImageMagick "date:create", "exif:GPSLatitude"...)
_HINTS: list[tuple[tuple[str, ...], Category, str]] = [
    (("gps", "latitude", "longitude", "location", "city", "country"), Category.LOCATION,
     N_("shows where the image was made")),
    (("author", "artist", "creator", "owner", "copyright", "user", "email"), Category.IDENTITY,
     N_("can name the person behind the image")),
    (("date", "time"), Category.TIME, N_("tells when the image was made or changed")),
    (("make", "model", "serial", "software", "device", "camera", "lens", "host"),
     Category.DEVICE, N_("tells which device or software made it")),
    (("comment", "note", "history"), Category.HIDDEN, N_("free text hidden in the file")),
]


def _classify(keyword: str) -> tuple[Category, str, str]:
    known = _KEYWORDS.get(keyword.lower())
    if known is not None:
        return known
    lower = keyword.lower()
    for words, category, why in _HINTS:
        if any(w in lower for w in words):
            return category, keyword or N_("Text"), why
    return Category.OTHER, keyword or N_("Text"), N_("text stored in the file; removed")


def text_findings(chunks: list[TextChunk]) -> list[Finding]:
    """Findings for every text chunk of one file (all of them are removed by the cleaner).
    Repeats collapse into one finding with a count (:class:`Collector`); more kinds than a
    file may list make its lossless copy refused."""
    found = Collector()
    for chunk in chunks:
        if chunk.keyword == XMP_KEYWORD and chunk.text is not None:
            found.extend(xmp_findings(chunk.text.encode("utf-8"), where=f"{chunk.where} XMP"))
        elif chunk.raw_profile is not None:
            found.extend(_profile_findings(chunk))
        elif chunk.text is None:
            found.add(Category.UNKNOWN, chunk.where, chunk.keyword or "Text chunk", chunk.note,
                      N_("text we could not read; removed"))
        else:
            spend(1)
            category, name, why = _classify(chunk.keyword)
            found.add(category, chunk.where, name, chunk.text[:MAX_SHOWN], message(N_("{name}: {why}"),
                                                                                   name=name, why=why),
                      detail={"keyword": chunk.keyword})
    return found.findings()


def _profile_findings(chunk: TextChunk) -> list[Finding]:
    where = f"{chunk.where} {chunk.keyword}"
    data = chunk.profile_bytes
    if data is None:
        return [Finding(Category.UNKNOWN, where, N_("Unreadable raw profile"), chunk.keyword,
                        N_("embedded metadata we could not decode; removed"))]
    kind = chunk.raw_profile
    if kind in ("exif", "app1"):
        return exif_findings(data, where=where).findings
    if kind == "xmp":
        return xmp_findings(data, where=where)
    if kind == "iptc":
        return iptc_findings(data, where=where) or irb_findings(data, where=where)
    if kind == "8bim":
        return irb_findings(data, where=where)
    if kind in ("icc", "icm"):
        return [Finding(Category.OTHER, where, N_("Copy of the colour profile"), f"{len(data)} bytes",
                        N_("a duplicate colour profile in a text chunk; removed"))]
    return [Finding(Category.UNKNOWN, where, message(N_("Raw profile {kind}"),
                                                     kind=f"{kind!r}"), f"{len(data)} bytes",
                    N_("embedded data we cannot interpret; removed"))]
