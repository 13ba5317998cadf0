"""Samsung's extended format (SEF): the trailer of Samsung camera files, and HEIC ``sefd``.

Samsung phones append a small archive to their photos: after the JPEG end, and in a
``sefd`` box of One UI HEIC files. Its layout (little-endian, as exiftool's
``Samsung.pm`` reads it):

    record*  : u16 0, u16 type, u32 name length, name, data
    "SEFH"   : u32 version, u32 count, count x (u16 0, u16 type, u32 offset back from
               "SEFH" to the record, u32 record size)
    u32 size of the SEFH block, "SEFT"

Records seen: ``Image_UTC_Data`` (capture time, milliseconds since 1970), ``MCC_Data``
(the mobile country code of the phone's network), ``MotionPhoto_Data`` (the motion-photo
video, or a pointer to it), ``MotionPhoto_Version``, depth maps, edit history. This
module only reads (bounded); containers remove the whole archive.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category, Finding

MAX_RECORDS = 256
#: mobile country codes of the networks seen most (ITU-T E.212); others are shown as numbers
MCC = {
    "202": "Greece", "204": "Netherlands", "206": "Belgium", "208": "France", "214": "Spain",
    "222": "Italy", "226": "Romania", "228": "Switzerland", "232": "Austria",
    "234": "United Kingdom", "235": "United Kingdom", "238": "Denmark", "240": "Sweden",
    "242": "Norway", "244": "Finland", "250": "Russia", "255": "Ukraine", "260": "Poland",
    "262": "Germany", "268": "Portugal", "272": "Ireland", "286": "Turkey", "302": "Canada",
    "310": "United States", "311": "United States", "312": "United States",
    "334": "Mexico", "404": "India", "405": "India", "440": "Japan", "450": "South Korea",
    "460": "China", "505": "Australia", "530": "New Zealand", "724": "Brazil",
}


@dataclass(frozen=True)
class Record:
    type: int
    name: str
    #: offset of the record's data and its size, within the archive's bytes
    data_start: int
    data_size: int


def is_sef(data: bytes) -> bool:
    return len(data) >= 8 and data[-4:] == b"SEFT"


def parse_sef(data: bytes) -> list[Record]:
    """The records of a SEF archive that ends at the end of ``data``."""
    if not is_sef(data):
        raise CorruptFile(N_("not a Samsung archive (no SEFT end)"))
    size = struct.unpack_from("<I", data, len(data) - 8)[0]
    head = len(data) - 8 - size
    if size < 12 or head < 0 or data[head : head + 4] != b"SEFH":
        raise CorruptFile(N_("a Samsung archive without its directory"))
    _version, count = struct.unpack_from("<II", data, head + 4)
    if count > MAX_RECORDS or 12 + 12 * count > size:
        raise CorruptFile(N_("a Samsung archive directory of an impossible size"))
    out: list[Record] = []
    for i in range(count):
        _zero, kind, back, length = struct.unpack_from("<HHII", data, head + 12 + 12 * i)
        start = head - back
        if back > head or length < 8 or start + length > head:
            raise CorruptFile(N_("a Samsung archive record points outside the archive"))
        name_len = struct.unpack_from("<I", data, start + 4)[0]
        if 8 + name_len > length:
            raise CorruptFile(N_("a Samsung archive record name runs past its record"))
        name = data[start + 8 : start + 8 + name_len].decode("latin-1")
        out.append(Record(kind, name, start + 8 + name_len, length - 8 - name_len))
    return out


def archive_start(data: bytes, records: list[Record]) -> int:
    """Where the archive's first record starts (the data before it is not Samsung's)."""
    if not records:
        size: int = struct.unpack_from("<I", data, len(data) - 8)[0]
        return len(data) - 8 - size
    return min(r.data_start - 8 - len(r.name.encode("latin-1")) for r in records)


def _size_words(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{max(1, round(n / 1e3))} kB"


def sef_findings(data: bytes, where: str, media: str = "photo") -> list[Finding]:
    """What a SEF archive gives away, one finding per record (all removed)."""
    try:
        records = parse_sef(data)
    except CorruptFile as exc:
        return [Finding(Category.HIDDEN, where, N_("Samsung data"), f"{len(data)} bytes",
                        message(N_("Samsung camera data we cannot read ({exc}); removed"), exc=exc))]
    out: list[Finding] = []
    for rec in records:
        body = data[rec.data_start : rec.data_start + rec.data_size]
        out.append(_record_finding(rec, body, where, media))
    return out


def _record_finding(rec: Record, body: bytes, where: str, media: str) -> Finding:
    text = body[:64].split(b"\x00", 1)[0].decode("latin-1").strip()
    if rec.name == "Image_UTC_Data" or rec.type == 0x0A01:
        value = text
        if text.isdigit():
            when = datetime.fromtimestamp(int(text) / 1000, UTC)
            value = when.strftime("%Y-%m-%d %H:%M:%S UTC")
        return Finding(Category.TIME, where, N_("Capture time (Samsung)"), value,
                       message(N_("shows when the {media} was taken; removed"), media=media))
    if rec.name == "MCC_Data" or rec.type == 0x0AA1:
        country = MCC.get(text)
        value = f"{text} ({country})" if country else text
        return Finding(Category.LOCATION, where, N_("Mobile country code"), value,
                       N_("the country of the phone's network when the picture was taken; "
                       "removed"))
    if rec.name.startswith("MotionPhoto_Data") or rec.type == 0x0A30:
        size = rec.data_size
        if len(body) >= 12 and body[:3] == b"mpv" and b"ftyp" not in body[:16]:
            size = struct.unpack_from(">I", body, 8)[0]  # a pointer: offset, then length
        words = f"{_size_words(size)} video recorded around the photo"
        return Finding(Category.HIDDEN, where, N_("Motion Photo video"), words,
                       message(N_("{words}: it shows the moments before and after; removed"), words=words))
    name = rec.name or f"record 0x{rec.type:04x}"
    return Finding(Category.HIDDEN, where, message(N_("Samsung data '{name}'"), name=name),
                   f"{rec.data_size} bytes", N_("data the camera app stores beside the picture "
                   "(edit history, depth, modes); removed"))
