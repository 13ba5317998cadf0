"""The static sniffing table (core.containers.magic) answers as the handlers themselves.

``detect()`` asks the table so that finding a file's handler imports only that handler's
module; these tests keep the table and the handlers from drifting apart: the same names,
priorities and modules, and the same answer on the first bytes of real files of every
format (made here), their brand variants, cut-short heads and junk.
"""

from __future__ import annotations

import importlib
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hostile.seeds import BRANDS, GENERATORS, with_brand
from hypothesis import given, settings
from hypothesis import strategies as st

from share_guard.core.containers import all_handlers, detect, handler_by_name
from share_guard.core.containers import magic as m
from share_guard.core.errors import UnsupportedFormat

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "share_guard.core.containers"


def _old_detect(head: bytes) -> str | None:
    """What detect() answered before the table: every handler asked, in priority order."""
    return next((h.name for h in all_handlers() if h.sniff(head)), None)


def test_the_table_names_every_handler_with_its_priority_and_module() -> None:
    handlers = all_handlers()
    assert [(t.name, t.priority) for t in m.TABLE] == [(h.name, h.priority) for h in handlers]
    for entry in m.TABLE:
        module = importlib.import_module(f"{PACKAGE}.{entry.module}")
        assert entry.name in [h.name for h in module.HANDLERS], entry
        assert handler_by_name(entry.name) in module.HANDLERS


def _ftyp(major: bytes, compatible: tuple[bytes, ...] = (), size: int | None = None) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    box = struct.pack(">I", size if size is not None else 8 + len(body)) + b"ftyp" + body
    return box + struct.pack(">I", 8) + b"free"


def _ebml(doctype: bytes | None, *, size: int | None = None) -> bytes:
    kids = b"\x42\x86\x81\x01"  # EBMLVersion 1
    if doctype is not None:
        kids += b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | (size if size is not None else len(kids))]) + kids


def _heads() -> list[bytes]:
    """First bytes of real files of every format, their brand variants, cut-short heads of
    them, and junk (other formats, near misses, text, random bytes)."""
    real: list[bytes] = []
    for make in GENERATORS.values():
        try:
            real.append(make()[:4096])
        except Exception:  # noqa: BLE001 - an encoder missing here (the seeds say which)
            continue
    mp4 = next((h for h in real if h[4:8] == b"ftyp" and h[8:12] not in m.HEIF_BRANDS), None)
    if mp4 is not None:
        real += [with_brand(mp4, b) for b in BRANDS]
    brands = {b for bs in m.MOVIE_BRANDS.values() for b in bs if b} | set(m.HEIF_BRANDS) \
        | m.NOT_MOVIE_BRANDS | {b"isom", b"mp41", b"mp42", b"3gp5", b"3g2a", b"M4V ", b"M4A "}
    made = [_ftyp(b) for b in brands] + [_ftyp(b"isom", (b"mif1",)), _ftyp(b"qt  ", (b"mif1",)),
                                         _ftyp(b"mp42", (b"isom", b"mif1")), _ftyp(b"heic", size=12),
                                         _ftyp(b"mif1", size=4000), _ftyp(b"avif", size=0)]
    made += [box + b"\x00" * 8 for box in (struct.pack(">I", 16) + t for t in m.QT_FIRST_BOXES)]
    made += [b"\x00\x00\x00\x00moov" + b"\x00" * 8]
    made += [_ebml(b"webm"), _ebml(b"matroska"), _ebml(b"junk"), _ebml(None), _ebml(b"webm", size=40),
             b"\x1a\x45\xdf\xa3", b"\x1a\x45\xdf\xa3\xff\xff"]
    magics = [b"\xff\xd8\xff\xe1", b"GIF87a", b"GIF89a", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*",
              b"II+\x00", b"MM\x00+", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"RIFF\x00\x00\x00\x00AVI LIST"]
    made += [magic + bytes(32) for magic in magics]
    junk = [b"%PDF-1.7\n", b"PK\x03\x04" + b"\x00" * 30, b"BM" + b"\x00" * 60, b"hello, world\n",
            b"RIFF\x00\x00\x00\x00WAVEfmt ", b"RIFF\x00\x00\x00\x00AVI LIST", b"RIFF\x10\x00\x00\x00WEBP",
            b"RIFF", b"GIF88a", b"GIF87", b"\xff\xd8", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a", b"II*",
            b"II+\x00", b"MM\x00*\x00\x00\x00\x08", b"\x00" * 64, b"\xff" * 64, os.urandom(256)]
    cut = [h[:n] for h in real + made for n in (1, 3, 4, 8, 11, 12, 15, 16, 24, 32)]
    return real + made + junk + cut


HEADS = _heads()


def test_heads_cover_every_handler() -> None:
    assert {_old_detect(h) for h in HEADS} >= {h.name for h in all_handlers()}


def test_each_test_of_the_table_answers_as_its_handler() -> None:
    for head in HEADS:
        for entry in m.TABLE:
            assert entry.sniff(head) == handler_by_name(entry.name).sniff(head), \
                (entry.name, head[:32])
        found = m.sniff(head)
        assert (found.name if found else None) == _old_detect(head), head[:32]
        if found is not None:
            assert detect(head).name == found.name
        else:
            with pytest.raises(UnsupportedFormat):
                detect(head)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(prefix=st.sampled_from([b"", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"\x89PNG\r\n\x1a\n",
                               b"RIFF", b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+",
                               b"\x1a\x45\xdf\xa3", b"\x00\x00\x00\x18ftyp", b"\x00\x00\x00\x20ftypmif1",
                               b"\x00\x00\x00\x10moov"]),
       rest=st.binary(max_size=64))
def test_any_head_gets_the_same_answer(prefix: bytes, rest: bytes) -> None:
    head = prefix + rest
    found = m.sniff(head)
    assert (found.name if found else None) == _old_detect(head)


def _loaded_after(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    return {name.rsplit(".", 1)[1] for name in proc.stdout.split()
            if name.startswith(PACKAGE + ".")}


def test_detect_and_handler_by_name_import_only_the_module_they_need() -> None:
    handler_modules = {t.module for t in m.TABLE}
    loaded = _loaded_after("from share_guard.core.containers import detect\n"
                           "assert detect(b'\\xff\\xd8\\xff\\xe0' + bytes(60)).name == 'jpeg'")
    assert loaded & handler_modules == {"jpeg"}
    loaded = _loaded_after("from share_guard.core.containers import handler_by_name\n"
                           "assert handler_by_name('png').name == 'png'")
    assert loaded & handler_modules == {"png"}
    loaded = _loaded_after("from share_guard.core.containers import detect\n"
                           "from share_guard.core.errors import UnsupportedFormat\n"
                           "try:\n    detect(b'hello, world')\nexcept UnsupportedFormat:\n    pass")
    assert loaded & handler_modules == set()

