"""Which Matroska elements a clean copy keeps, and what each kept one may hold.

One table, read by the cleaner (what to keep, blank or turn into Void) and by the
byte accounting (what a kept element may contain). An element not listed under its
parent is unknown: the cleaner turns it into a zeroed Void of the same size (players
skip unknown elements, so nothing they show changes) and the accounting refuses it.

Kept leaves are numbers (checked to fit their type), a few ASCII codes (checked
against a pattern, anything after their end zeroed) and the binary fields a decoder
needs (codec headers, parsed by ``matroska_codecs``). Text a person or a program
wrote (titles, names, URLs, settings, dates) and per-file identifiers that link a
copy back to its original (SegmentUID, PrevUID, NextUID, SegmentFamily) are removed.
"""

from __future__ import annotations

import math
import re
import struct

from share_guard.core.i18n import N_
from share_guard.core.report import Category

ID_EBML, ID_SEGMENT, ID_CLUSTER = 0x1A45DFA3, 0x18538067, 0x1F43B675
ID_VOID, ID_CRC32 = 0xEC, 0xBF
ID_SEEKHEAD, ID_INFO, ID_TRACKS, ID_CUES = 0x114D9B74, 0x1549A966, 0x1654AE6B, 0x1C53BB6B
ID_CHAPTERS, ID_ATTACHMENTS, ID_TAGS = 0x1043A770, 0x1941A469, 0x1254C367
ID_SEEK, ID_SEEKID, ID_SEEKPOS = 0x4DBB, 0x53AB, 0x53AC
ID_TRACKENTRY, ID_TRACKNUMBER, ID_TRACKUID, ID_TRACKTYPE = 0xAE, 0xD7, 0x73C5, 0x83
ID_CODECID, ID_CODECPRIVATE = 0x86, 0x63A2
ID_VIDEO, ID_AUDIO, ID_ALPHAMODE = 0xE0, 0xE1, 0x53C0
ID_CONTENTENCODINGS, ID_CONTENTENCODING, ID_COMPRESSION = 0x6D80, 0x6240, 0x5034
ID_COMPALGO, ID_COMPSETTINGS, ID_ENCRYPTION = 0x4254, 0x4255, 0x5035
ID_PROJECTION, ID_PROJTYPE, ID_PROJPRIVATE = 0x7670, 0x7671, 0x7672
ID_MUXINGAPP, ID_WRITINGAPP = 0x4D80, 0x5741
ID_SIMPLEBLOCK, ID_BLOCKGROUP, ID_BLOCK = 0xA3, 0xA0, 0xA1
ID_BLOCKADDITIONS, ID_BLOCKMORE, ID_BLOCKADDID, ID_BLOCKADDITIONAL = 0x75A1, 0xA6, 0xEE, 0xA5
ID_CUEPOINT, ID_CUETRACKPOSITIONS, ID_CUETRACK = 0xBB, 0xB7, 0xF7

U, I, F, S, B, M = "uint", "int", "float", "ascii", "binary", "master"  # noqa: E741
KEEP, DROP, BLANK, UID = "keep", "drop", "blank", "uid"

#: parent ID -> {child ID: (name, type, policy)}; Void and CRC-32 are allowed everywhere
CHILDREN: dict[int, dict[int, tuple[str, str, str]]] = {
    ID_EBML: {
        0x4286: ("EBMLVersion", U, KEEP), 0x42F7: ("EBMLReadVersion", U, KEEP),
        0x42F2: ("EBMLMaxIDLength", U, KEEP), 0x42F3: ("EBMLMaxSizeLength", U, KEEP),
        0x4282: ("DocType", S, KEEP), 0x4287: ("DocTypeVersion", U, KEEP),
        0x4285: ("DocTypeReadVersion", U, KEEP), 0x4281: ("DocTypeExtension", M, DROP),
    },
    ID_SEEKHEAD: {ID_SEEK: ("Seek", M, KEEP)},
    ID_SEEK: {ID_SEEKID: ("SeekID", B, KEEP), ID_SEEKPOS: ("SeekPosition", U, KEEP)},
    ID_INFO: {
        0x2AD7B1: ("TimestampScale", U, KEEP), 0x4489: ("Duration", F, KEEP),
        ID_MUXINGAPP: ("MuxingApp", S, BLANK), ID_WRITINGAPP: ("WritingApp", S, BLANK),
        0x7BA9: ("Title", S, DROP), 0x4461: ("DateUTC", B, DROP),
        0x7384: ("SegmentFilename", S, DROP), 0x3C83AB: ("PrevFilename", S, DROP),
        0x3E83BB: ("NextFilename", S, DROP), 0x73A4: ("SegmentUID", B, DROP),
        0x3CB923: ("PrevUID", B, DROP), 0x3EB923: ("NextUID", B, DROP),
        0x4444: ("SegmentFamily", B, DROP), 0x6924: ("ChapterTranslate", M, DROP),
    },
    ID_TRACKS: {ID_TRACKENTRY: ("TrackEntry", M, KEEP)},
    ID_TRACKENTRY: {
        ID_TRACKNUMBER: ("TrackNumber", U, KEEP), ID_TRACKUID: ("TrackUID", U, UID),
        ID_TRACKTYPE: ("TrackType", U, KEEP), 0xB9: ("FlagEnabled", U, KEEP),
        0x88: ("FlagDefault", U, KEEP), 0x55AA: ("FlagForced", U, KEEP),
        0x55AB: ("FlagHearingImpaired", U, KEEP), 0x55AC: ("FlagVisualImpaired", U, KEEP),
        0x55AD: ("FlagTextDescriptions", U, KEEP), 0x55AE: ("FlagOriginal", U, KEEP),
        0x55AF: ("FlagCommentary", U, KEEP), 0x9C: ("FlagLacing", U, KEEP),
        0x6DE7: ("MinCache", U, KEEP), 0x6DF8: ("MaxCache", U, KEEP),
        0x23E383: ("DefaultDuration", U, KEEP), 0x234E7A: ("DefaultDecodedFieldDuration", U, KEEP),
        0x23314F: ("TrackTimestampScale", F, KEEP), 0x537F: ("TrackOffset", I, KEEP),
        0x55EE: ("MaxBlockAdditionID", U, KEEP), 0x22B59C: ("Language", S, KEEP),
        0x22B59D: ("LanguageBCP47", S, KEEP), ID_CODECID: ("CodecID", S, KEEP),
        ID_CODECPRIVATE: ("CodecPrivate", B, KEEP), 0xAA: ("CodecDecodeAll", U, KEEP),
        0x6FAB: ("TrackOverlay", U, KEEP), 0x56AA: ("CodecDelay", U, KEEP),
        0x56BB: ("SeekPreRoll", U, KEEP), ID_VIDEO: ("Video", M, KEEP),
        ID_AUDIO: ("Audio", M, KEEP), ID_CONTENTENCODINGS: ("ContentEncodings", M, KEEP),
        0x536E: ("Name", S, DROP), 0x258688: ("CodecName", S, DROP),
        0x3A9697: ("CodecSettings", S, DROP), 0x3B4040: ("CodecInfoURL", S, DROP),
        0x26B240: ("CodecDownloadURL", S, DROP), 0x7446: ("AttachmentLink", U, DROP),
        0x6624: ("TrackTranslate", M, DROP), 0xE2: ("TrackOperation", M, DROP),
        0x41E4: ("BlockAdditionMapping", M, DROP), 0x7D7B: ("ChannelPositions", B, DROP),
    },
    ID_VIDEO: {
        0x9A: ("FlagInterlaced", U, KEEP), 0x9D: ("FieldOrder", U, KEEP),
        0x53B8: ("StereoMode", U, KEEP), ID_ALPHAMODE: ("AlphaMode", U, KEEP),
        0x53B9: ("OldStereoMode", U, KEEP), 0xB0: ("PixelWidth", U, KEEP),
        0xBA: ("PixelHeight", U, KEEP), 0x54AA: ("PixelCropBottom", U, KEEP),
        0x54BB: ("PixelCropTop", U, KEEP), 0x54CC: ("PixelCropLeft", U, KEEP),
        0x54DD: ("PixelCropRight", U, KEEP), 0x54B0: ("DisplayWidth", U, KEEP),
        0x54BA: ("DisplayHeight", U, KEEP), 0x54B2: ("DisplayUnit", U, KEEP),
        0x54B3: ("AspectRatioType", U, KEEP), 0x2EB524: ("UncompressedFourCC", B, KEEP),
        0x2FB523: ("GammaValue", F, KEEP), 0x2383E3: ("FrameRate", F, KEEP),
        0x55B0: ("Colour", M, KEEP), ID_PROJECTION: ("Projection", M, KEEP),
    },
    0x55B0: {
        **{i: (f"Colour 0x{i:X}", U, KEEP) for i in range(0x55B1, 0x55BE)},
        0x55D0: ("MasteringMetadata", M, KEEP),
    },
    0x55D0: {i: (f"MasteringMetadata 0x{i:X}", F, KEEP) for i in range(0x55D1, 0x55DB)},
    ID_PROJECTION: {
        ID_PROJTYPE: ("ProjectionType", U, KEEP), ID_PROJPRIVATE: ("ProjectionPrivate", B, KEEP),
        0x7673: ("ProjectionPoseYaw", F, KEEP), 0x7674: ("ProjectionPosePitch", F, KEEP),
        0x7675: ("ProjectionPoseRoll", F, KEEP),
    },
    ID_AUDIO: {
        0xB5: ("SamplingFrequency", F, KEEP), 0x78B5: ("OutputSamplingFrequency", F, KEEP),
        0x9F: ("Channels", U, KEEP), 0x6264: ("BitDepth", U, KEEP),
        0x52F1: ("Emphasis", U, KEEP), 0x7D7B: ("ChannelPositions", B, DROP),
    },
    ID_CONTENTENCODINGS: {ID_CONTENTENCODING: ("ContentEncoding", M, KEEP)},
    ID_CONTENTENCODING: {
        0x5031: ("ContentEncodingOrder", U, KEEP), 0x5032: ("ContentEncodingScope", U, KEEP),
        0x5033: ("ContentEncodingType", U, KEEP), ID_COMPRESSION: ("ContentCompression", M, KEEP),
        ID_ENCRYPTION: ("ContentEncryption", M, KEEP),
    },
    ID_COMPRESSION: {ID_COMPALGO: ("ContentCompAlgo", U, KEEP),
                     ID_COMPSETTINGS: ("ContentCompSettings", B, KEEP)},
    ID_CUES: {ID_CUEPOINT: ("CuePoint", M, KEEP)},
    ID_CUEPOINT: {0xB3: ("CueTime", U, KEEP),
                  ID_CUETRACKPOSITIONS: ("CueTrackPositions", M, KEEP)},
    ID_CUETRACKPOSITIONS: {
        ID_CUETRACK: ("CueTrack", U, KEEP), 0xF1: ("CueClusterPosition", U, KEEP),
        0xF0: ("CueRelativePosition", U, KEEP), 0xB2: ("CueDuration", U, KEEP),
        0x5378: ("CueBlockNumber", U, KEEP), 0xEA: ("CueCodecState", U, DROP),
        0xDB: ("CueReference", M, DROP),
    },
    ID_CLUSTER: {
        0xE7: ("Timestamp", U, KEEP), 0xA7: ("Position", U, KEEP), 0xAB: ("PrevSize", U, KEEP),
        ID_SIMPLEBLOCK: ("SimpleBlock", B, KEEP), ID_BLOCKGROUP: ("BlockGroup", M, KEEP),
        0x5854: ("SilentTracks", M, DROP), 0xAF: ("EncryptedBlock", B, DROP),
    },
    ID_BLOCKGROUP: {
        ID_BLOCK: ("Block", B, KEEP), 0x9B: ("BlockDuration", U, KEEP),
        0xFA: ("ReferencePriority", U, KEEP), 0xFB: ("ReferenceBlock", I, KEEP),
        0x75A2: ("DiscardPadding", I, KEEP), ID_BLOCKADDITIONS: ("BlockAdditions", M, KEEP),
        0xA4: ("CodecState", B, DROP), 0xA2: ("BlockVirtual", B, DROP),
        0xFD: ("ReferenceVirtual", I, DROP), 0x8E: ("Slices", M, DROP),
        0xC8: ("ReferenceFrame", M, DROP),
    },
    ID_BLOCKADDITIONS: {ID_BLOCKMORE: ("BlockMore", M, KEEP)},
    ID_BLOCKMORE: {ID_BLOCKADDID: ("BlockAddID", U, KEEP),
                   ID_BLOCKADDITIONAL: ("BlockAdditional", B, KEEP)},
}

#: level-1 elements a clean copy keeps (Chapters, Attachments and Tags become Void)
KEPT_LEVEL1 = {ID_SEEKHEAD: "SeekHead", ID_INFO: "Info", ID_TRACKS: "Tracks",
               ID_CLUSTER: "Cluster", ID_CUES: "Cues"}
REMOVED_LEVEL1 = {ID_CHAPTERS: "chapters", ID_ATTACHMENTS: "attachments", ID_TAGS: "tags"}

#: what a removed element gave away: (category, why); not listed: OTHER, a generic reason
DROPPED_WHY: dict[str, tuple[Category, str]] = {
    "Title": (Category.OTHER, N_("a title given to the video")),
    "DateUTC": (Category.TIME, N_("when the file was made")),
    "SegmentFilename": (Category.OTHER, N_("a file name, which may name a person, place or date")),
    "PrevFilename": (Category.OTHER, N_("a file name, which may name a person, place or date")),
    "NextFilename": (Category.OTHER, N_("a file name, which may name a person, place or date")),
    "SegmentUID": (Category.DEVICE, N_("an ID unique to this recording: links a shared copy "
                   "back to the original file")),
    "PrevUID": (Category.DEVICE, N_("the ID of the recording made before this one")),
    "NextUID": (Category.DEVICE, N_("the ID of the recording made after this one")),
    "SegmentFamily": (Category.DEVICE, N_("an ID shared by related recordings")),
    "Name": (Category.OTHER, N_("a name given to a track, which may name a person or device")),
    "CodecName": (Category.DEVICE, N_("names the software that encoded the track")),
    "CodecSettings": (Category.DEVICE, N_("the encoder's settings, naming the software")),
    "CodecInfoURL": (Category.OTHER, N_("a web address written by the encoder")),
    "CodecDownloadURL": (Category.OTHER, N_("a web address written by the encoder")),
}

#: what the cleaner reports it removed, by element name
REMOVED_AS = {
    "Title": "title", "DateUTC": "date", "SegmentFilename": "file names",
    "PrevFilename": "file names", "NextFilename": "file names",
    "SegmentUID": "segment IDs (SegmentUID, PrevUID, NextUID, SegmentFamily)",
    "PrevUID": "segment IDs (SegmentUID, PrevUID, NextUID, SegmentFamily)",
    "NextUID": "segment IDs (SegmentUID, PrevUID, NextUID, SegmentFamily)",
    "SegmentFamily": "segment IDs (SegmentUID, PrevUID, NextUID, SegmentFamily)",
    "Name": "track names", "CodecName": "track names",
    "CodecSettings": "encoder settings and web addresses",
    "CodecInfoURL": "encoder settings and web addresses",
    "CodecDownloadURL": "encoder settings and web addresses",
}

#: ASCII fields kept: the pattern their text must match (anything after it is zeroed)
_ASCII = {
    0x4282: re.compile(r"(matroska|webm)"),
    ID_CODECID: re.compile(r"[A-Z][A-Z0-9_]*(/[A-Za-z0-9_.+-]+)*"),
    0x22B59C: re.compile(r"[a-z]{2,3}(-[A-Za-z]{2})?"),
    0x22B59D: re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}"),
    ID_MUXINGAPP: re.compile(r""),
    ID_WRITINGAPP: re.compile(r""),
}
MAX_ASCII = 64

#: Block additions kept: VP8/VP9 alpha planes (BlockAddID 1 on a track with AlphaMode 1)
ALPHA_ADD_ID = 1


#: the largest value of a kept number (an 8-byte field holds 8 letters of text otherwise):
#: flags are 0 or 1, positions, timestamps and durations reach 2^40, the rest 2^32 - 1
FLAGS = frozenset({0xB9, 0x88, 0x55AA, 0x55AB, 0x55AC, 0x55AD, 0x55AE, 0x55AF, 0x9C, 0xAA})
WIDE = frozenset({ID_SEEKPOS, 0xB3, 0xF1, 0xF0, 0xB2, 0x5378, 0xE7, 0xA7, 0xAB, 0x9B,
                  0x23E383, 0x234E7A, 0x56AA, 0x56BB, 0x537F, 0xFB, 0x75A2})
#: kept floats: the range of values they may have (others are not kept)
FLOAT_RANGE = {
    0x4489: (0.0, 2.0**40), 0xB5: (0.0, 1e6), 0x78B5: (0.0, 1e6), 0x23314F: (0.0, 1e3),
    0x2FB523: (0.0, 10.0), 0x2383E3: (0.0, 1e4), 0x7673: (-360.0, 360.0),
    0x7674: (-360.0, 360.0), 0x7675: (-360.0, 360.0),
    **{i: (0.0, 1.0) for i in range(0x55D1, 0x55D9)}, 0x55D9: (0.0, 1e5), 0x55DA: (0.0, 1e5),
}
#: significant digits a kept float keeps (its other mantissa bits can spell text)
FLOAT_DIGITS = 6


def _number_problem(eid: int, kind: str, data: bytes) -> str:
    if len(data) > 8:
        return "a number longer than 8 bytes"
    value = int.from_bytes(data, "big", signed=kind == I)
    top = 1 if eid in FLAGS else (1 << 40) if eid in WIDE else (1 << 32) - 1
    return "a number larger than its field can be" if abs(value) > top else ""


def neutral_float(eid: int, data: bytes) -> bytes | None:
    """A kept float at its size with no more than :data:`FLOAT_DIGITS` significant digits,
    or None when it is not a value its field can hold."""
    if len(data) not in (4, 8):
        return None
    value = struct.unpack(">f" if len(data) == 4 else ">d", data)[0]
    low, high = FLOAT_RANGE.get(eid, (-1e9, 1e9))
    if not math.isfinite(value) or not low <= value <= high:
        return None
    rounded = float(f"{value:.{FLOAT_DIGITS}g}")
    return struct.pack(">f" if len(data) == 4 else ">d", rounded)


def leaf_problem(eid: int, kind: str, data: bytes) -> str:
    """Why a kept leaf's bytes are not a plain value of its type ("" when they are)."""
    if kind in (U, I):
        return _number_problem(eid, kind, data)
    if kind == F:
        if not data:
            return ""
        fixed = neutral_float(eid, data)
        if fixed is None:
            return "a float of odd size or out of range"
        return "" if fixed == data else "a float with more digits than its value needs"
    if eid == ID_PROJPRIVATE:
        words = struct.unpack(f">{len(data) // 4}I", data[: len(data) // 4 * 4]) if data else ()
        if len(data) not in (0, 12, 20) or (words and words[0]) or any(
                w >> 24 for w in words):
            return "projection data that is not a plain layout"
    if kind == S:
        text, _, rest = data.partition(b"\0")
        pattern = _ASCII.get(eid)
        if pattern is None or len(text) > MAX_ASCII or any(rest):
            return "text that is not a plain code"
        try:
            return "" if pattern.fullmatch(text.decode("ascii")) else "text that is not a code"
        except UnicodeDecodeError:
            return "text that is not ASCII"
    return ""


def neutral_ascii(eid: int, data: bytes) -> bytes | None:
    """The same field with anything after its code zeroed, or None when it is not a code."""
    text = data.split(b"\0", 1)[0]
    fixed = text + bytes(len(data) - len(text))
    return fixed if not leaf_problem(eid, S, fixed) else None


def uid_value(track_number: int, size: int) -> bytes:
    """The TrackUID a clean copy carries: the track's number, at the original size.

    A muxer draws TrackUIDs at random, so the original value links a copy back to the
    original file; nothing that stays in a clean copy refers to it (Tags, Chapters and
    TrackOperation, which do, are removed)."""
    return track_number.to_bytes(size, "big")
