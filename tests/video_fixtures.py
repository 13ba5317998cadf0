"""Tiny videos made in code with PyAV (no committed binaries).

Every frame has a red bar along its top edge (to check rotation) and a grey
level that grows with the frame number (to check which frame came back).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

W, H = 64, 48


def frame_image(i: int, width: int = W, height: int = H) -> np.ndarray:
    img = np.full((height, width, 3), min(255, 20 + 8 * i), np.uint8)
    img[: max(2, height // 8), :] = (255, 0, 0)
    return img


def make_video(
    path: Path,
    *,
    container: str = "matroska",
    vcodec: str = "libx264",
    acodec: str | None = "aac",
    frames: int = 10,
    rate: int = 10,
    size: tuple[int, int] = (W, H),
    rotation: int | None = None,
    gop: int | None = None,
    metadata: Mapping[str, str] | None = None,
    stream_metadata: Mapping[str, str] | None = None,
    attachment: tuple[str, str, bytes] | None = None,
    chapters: Sequence[tuple[float, float, str]] = (),
    options: Mapping[str, str] | None = None,
) -> Path:
    """Write a short video; ``rotation`` is the clockwise display rotation in degrees."""
    width, height = size
    out = av.open(str(path), "w", format=container, options=dict(options or {}))
    vs = out.add_stream(vcodec, rate=rate)
    vs.width, vs.height = width, height
    vs.pix_fmt = "yuvj420p" if vcodec == "mjpeg" else "yuv420p"
    if gop is not None:
        vs.codec_context.gop_size = gop
    if vcodec == "libx264":
        vs.codec_context.options = {"preset": "ultrafast", "tune": "zerolatency"}
    if rotation is not None:
        # PyAV's helper takes a counter-clockwise angle
        vs.set_display_rotation(-rotation)
    for key, value in (stream_metadata or {}).items():
        vs.metadata[key] = value
    aus = None
    if acodec is not None:
        arate = 48000 if acodec in ("libopus", "opus") else 44100
        aus = out.add_stream(acodec, rate=arate)
        aus.layout = "mono"
    for key, value in (metadata or {}).items():
        out.metadata[key] = value
    if attachment is not None:
        out.add_attachment(*attachment)
    if chapters:
        out.set_chapters(
            [
                {
                    "id": n + 1,
                    "start": int(start * 1000),
                    "end": int(end * 1000),
                    "time_base": Fraction(1, 1000),
                    "metadata": {"title": title},
                }
                for n, (start, end, title) in enumerate(chapters)
            ]
        )
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(frame_image(i, width, height), format="rgb24")
        frame.pts = i
        frame.time_base = Fraction(1, rate)
        out.mux(vs.encode(frame))
    out.mux(vs.encode())
    if aus is not None:
        _write_audio(out, aus, frames / rate)
    out.close()
    return path


def _write_audio(out: av.container.OutputContainer, aus: av.audio.stream.AudioStream,
                 seconds: float) -> None:
    rate = aus.codec_context.sample_rate
    fmt = aus.codec_context.format.name
    chunk = aus.codec_context.frame_size or 1024
    total = int(seconds * rate)
    t = np.arange(total) / rate
    tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    pts = 0
    while pts < total:
        piece = tone[pts : pts + chunk]
        if len(piece) < chunk and aus.codec_context.frame_size:
            piece = np.pad(piece, (0, chunk - len(piece)))
        if fmt.startswith("s16"):
            arr = (piece * 32767).astype(np.int16).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(arr, format="s16", layout="mono")
        else:
            frame = av.AudioFrame.from_ndarray(piece.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = pts
        out.mux(aus.encode(frame))
        pts += len(piece)
    out.mux(aus.encode())


def packets(path: Path) -> list[tuple[str, int | None, bytes]]:
    """Audio/video packets as (stream type, pts, payload): equal lists mean lossless.

    Grouped by stream type, in demux order within each: how a demuxer interleaves
    streams may depend on header chunks. Cover pictures (attached_pic pseudo
    streams) are left out: removing them is the point.
    """
    with av.open(str(path)) as c:
        keep = [
            s for s in c.streams
            if s.type in ("video", "audio")
            and not s.disposition & av.stream.Disposition.attached_pic
        ]
        found = [(p.stream.type, p.pts, bytes(p)) for p in c.demux(keep) if p.size]
    return sorted(found, key=lambda item: item[0])


def decoded(path: Path) -> list[tuple[str, int | None, str]]:
    """Every decoded video frame and audio frame as (stream type, pts, md5 of its samples).

    Equal lists mean the cleaner changed nothing a player shows or plays, even where it
    neutralised metadata inside the coded packets (SEI, Motion-JPEG EXIF). Same
    grouping and cover-picture rule as :func:`packets`."""
    import hashlib

    with av.open(str(path)) as c:
        keep = [
            s for s in c.streams
            if s.type in ("video", "audio")
            and not s.disposition & av.stream.Disposition.attached_pic
        ]
        found = []
        for frame in c.decode(*keep):
            kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
            samples = frame.to_ndarray().tobytes()  # no row padding, unlike raw planes
            found.append((kind, frame.pts, hashlib.md5(samples, usedforsecurity=False).hexdigest()))
    assert found, f"nothing decoded from {path.name}"
    return sorted(found, key=lambda item: item[0])


# --- RIFF helpers (PyAV writes no INFO list, so tests inject one) -------------------


def riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    pad = b"\0" if len(payload) % 2 else b""
    return fourcc + struct.pack("<I", len(payload)) + payload + pad


def riff_list(kind: bytes, children: Sequence[bytes]) -> bytes:
    return riff_chunk(b"LIST", kind + b"".join(children))


def riff_chunks(data: bytes) -> list[tuple[str, bytes, int, int]]:
    """Every chunk as (parent path, fourcc, offset, payload size), e.g. ("RIFF/hdrl/strl", ...)."""
    found: list[tuple[str, bytes, int, int]] = []

    def walk(off: int, end: int, path: str) -> None:
        while off + 8 <= end:
            fourcc = data[off : off + 4]
            size = struct.unpack_from("<I", data, off + 4)[0]
            found.append((path, fourcc, off, size))
            if fourcc in (b"RIFF", b"LIST"):
                kind = data[off + 8 : off + 12].decode("latin-1").strip()
                if kind != "movi":
                    walk(off + 12, off + 8 + size, f"{path}/{kind}" if path else kind)
            off += 8 + size + (size & 1)

    walk(0, len(data), "")
    return found


def plant_in_junk(data: bytes, parent: str, chunks: bytes) -> bytes:
    """Put ``chunks`` at the start of the first JUNK chunk under ``parent``.

    What is left of the JUNK chunk stays JUNK, so no offset in the file moves
    (AVI indexes hold absolute and movi-relative offsets).
    """
    for path, fourcc, off, size in riff_chunks(data):
        if path == parent and fourcc == b"JUNK" and size >= len(chunks) + 8:
            rest = size - len(chunks)
            filler = b"JUNK" + struct.pack("<I", rest) + bytes(rest)
            new = chunks + filler
            assert len(new) == 8 + size
            return data[:off] + new + data[off + 8 + size :]
    raise AssertionError(f"no JUNK chunk large enough under {parent}")


# --- EBML helpers (hand-built Matroska for corrupt-input tests) ----------------------


def ebml(eid: int, payload: bytes, size_len: int = 8) -> bytes:
    """One EBML element with an 8-byte size field (as libavformat writes them)."""
    id_bytes = eid.to_bytes((eid.bit_length() + 7) // 8, "big")
    size = ((1 << (7 * size_len)) | len(payload)).to_bytes(size_len, "big")
    return id_bytes + size + payload


def ebml_header(doctype: str = "matroska") -> bytes:
    return ebml(0x1A45DFA3, ebml(0x4286, b"\x01", 1) + ebml(0x4282, doctype.encode(), 1), 1)


def tiny_jpeg() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def digest(path: Path) -> tuple[str, int, int]:
    """Content hash, size and mtime: equal before and after means the file was not written."""
    import hashlib

    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns


def frame_md5s(path: Path, maps: tuple[str, ...] = ("0:V?", "0:a?")) -> list[str]:
    """Per-frame MD5 of every decoded video frame and audio frame (``ffmpeg -f framemd5``):
    equal lists mean the pictures and the sound are identical, whatever changed in the
    container or in the coded stream's metadata."""
    import subprocess

    args = [arg for m in maps for arg in ("-map", m)]
    out = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), *args,
                          "-f", "framemd5", "-"], capture_output=True, timeout=300, check=True)
    lines = [ln for ln in out.stdout.decode().splitlines() if ln and not ln.startswith("#")]
    assert lines, f"nothing decoded from {path.name}"
    return lines
