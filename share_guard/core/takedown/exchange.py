"""Takedown list files in and out.

share_guard's own format is JSON Lines (UTF-8, one object per line, ``\\n``)::

    {"format": "share_guard-takedown-list", "version": 1, "list_id": "<uuid>",
     "name": "...", "publisher": "...", "sequence": 7, "created": "<ISO 8601>"}
    {"type": "pdq", "value": "<64 hex>", "quality": 92, "label": "...",
     "source": "...", "added": "<ISO 8601>", "status": "active", "item": "..."}
    {"type": "vpdq", "frames": [[frame, quality, "<64 hex>", seconds], ...], ...}
    {"trailer": true, "entries": 2, "sha256": "<hex>"}

The trailer's SHA-256 covers every byte before the trailer line, so any change
to the header or an entry is detected. ``sequence`` grows with every change of
the list; importing an older sequence than the one held is refused. Entries
with status ``withdrawn`` are tombstones: importing them withdraws the hash.

Also read: ThreatExchange text (``pdq <hex>`` per line), CSV with a
``signal_type,signal_str,...`` header, vPDQ hash files (``frame,quality,hash,
timestamp``) and plain lists of hex hashes. Every import is validated in full
before anything is written, then applied in one transaction: a bad or
tampered file changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from share_guard.core.errors import ShareGuardError
from share_guard.core.hashing.values import HashType, MalformedHash, normalize_value
from share_guard.core.hashing.video import FrameHash, parse_vpdq
from share_guard.core.i18n import N_, message
from share_guard.core.takedown.store import ACTIVE, DEFAULT_LIST, NewEntry, TakedownStore, now

FORMAT = "share_guard-takedown-list"
VERSION = 1
MAX_FILE_BYTES = 1 << 30
MAX_LINE = 4 << 20  # one vPDQ entry of a long video fits

_VPDQ_LINE = re.compile(r"^\d+,\d{1,3},[0-9a-fA-F]{64},[0-9.eE+-]+$")
#: ThreatExchange / HMA signal type names -> ours
_SIGNAL_TYPES = {
    "pdq": HashType.PDQ,
    "photo_pdq": HashType.PDQ,
    "vpdq": HashType.VPDQ,
    "md5": HashType.MD5,
    "video_md5": HashType.MD5,
    "photo_md5": HashType.MD5,
    "sha256": HashType.SHA256,
    "phash": HashType.PHASH,
}


class ListFileError(ShareGuardError):
    """A list file that is malformed, tampered with, or older than the list held."""


@dataclass(frozen=True)
class ImportResult:
    list_name: str
    format: str
    added: int
    withdrawn: int
    sequence: int | None = None


# -- export -------------------------------------------------------------------


def export_list(store: TakedownStore, list_name: str, out: str | os.PathLike[str]) -> int:
    """Write ``list_name`` (with tombstones) to ``out`` atomically. Returns the entry count."""
    info = store.list_info(list_name)
    lines = [
        _dump(
            {
                "format": FORMAT,
                "version": VERSION,
                "list_id": info.uid,
                "name": info.name,
                "publisher": info.publisher,
                "sequence": info.sequence,
                "created": now(),
            }
        )
    ]
    n = 0
    for e in store.entries(list_name, include_withdrawn=True):
        rec: dict[str, Any] = {"type": e.type.value}
        if e.type is HashType.VPDQ:
            rec["frames"] = [
                [f.frame, f.quality, f.pdq.hex, round(f.time, 3)] for f in store.frames(e.id)
            ]
        else:
            rec["value"] = e.value
        if e.quality is not None:
            rec["quality"] = e.quality
        rec.update(label=e.label, source=e.source, added=e.added, status=e.status, item=e.item)
        lines.append(_dump(rec))
        n += 1
    body = "".join(lines).encode("utf-8")
    trailer = _dump({"trailer": True, "entries": n, "sha256": hashlib.sha256(body).hexdigest()})
    _write_atomic(Path(out), body + trailer.encode("utf-8"))
    return n


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"


def _write_atomic(path: Path, data: bytes) -> None:
    if path.exists():
        raise ListFileError(message(N_("{path} already exists; choose another name"), path=path))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ListFileError(message(N_("cannot write {path}: {value}"), path=path, value=exc.strerror or exc))


# -- import -------------------------------------------------------------------


def import_file(
    store: TakedownStore,
    path: str | os.PathLike[str],
    *,
    list_name: str | None = None,
    hash_type: HashType | None = None,
    label: str = "",
    source: str | None = None,
) -> ImportResult:
    """Import any supported list file. Validates everything first; writes in one transaction."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ListFileError(message(N_("{name} is larger than {count} MB"),
                                        name=p.name, count=MAX_FILE_BYTES >> 20))
        with p.open("rb") as fh:  # bounded: a device or pipe has no size to check first
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ListFileError(message(N_("{name} is larger than {count} MB"),
                                        name=p.name, count=MAX_FILE_BYTES >> 20))
    except OSError as exc:
        raise ListFileError(message(N_("cannot read {name}: {value}"),
                                    name=p.name, value=exc.strerror or exc))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListFileError(message(N_("{name} is not UTF-8 text"), name=p.name))
    src = source if source is not None else p.name
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise ListFileError(message(N_("{name} is empty"), name=p.name))
    try:
        if first.startswith("{"):
            return _import_jsonl(store, data, list_name)
        if first.lower().startswith("pdq ") or first.lower().startswith("pdq\t"):
            fmt, entries = "threatexchange", _parse_te(text, label, src)
        elif _VPDQ_LINE.match(first):
            frames = tuple(parse_vpdq(text))
            fmt = "vpdq"
            entries = [NewEntry(HashType.VPDQ, label=label or p.stem, source=src, frames=frames)]
        elif "," in first and "signal_type" in first.lower():
            fmt, entries = "csv", _parse_csv(text, label, src)
        else:
            fmt, entries = "hex", _parse_hex_list(text, hash_type, label, src)
    except MalformedHash as exc:
        raise ListFileError(message(N_("{name}: {exc}"), name=p.name, exc=exc))
    name = list_name or DEFAULT_LIST
    ids = store.add(entries, name)
    return ImportResult(name, fmt, len(set(ids)), 0)


def _checked(kind: HashType, value: str, line: int) -> str:
    try:
        return normalize_value(kind, value)
    except MalformedHash as exc:
        raise MalformedHash(message(N_("line {line}: {exc}"), line=line, exc=exc))


def _parse_te(text: str, label: str, source: str) -> list[NewEntry]:
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2 or parts[0].lower() != "pdq":
            raise MalformedHash(message(N_("line {n}: expected 'pdq <hash>'"), n=n))
        out.append(NewEntry(HashType.PDQ, _checked(HashType.PDQ, parts[1], n), label=label,
                            source=source))
    return out


def _parse_csv(text: str, label: str, source: str) -> list[NewEntry]:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    reader.fieldnames = fields
    if "signal_type" not in fields or "signal_str" not in fields:
        raise MalformedHash(N_("CSV needs signal_type and signal_str columns"))
    out = []
    for n, row in enumerate(reader, 2):
        kind = _SIGNAL_TYPES.get((row.get("signal_type") or "").strip().lower())
        if kind is None:
            raise MalformedHash(message(N_("CSV line {n}: unknown signal type {row}"),
                                        n=n, row=f"{row.get('signal_type')!r}"))
        value = (row.get("signal_str") or "").strip()
        row_label = (row.get("label") or row.get("tags") or label).strip()
        if kind is HashType.VPDQ:
            frames = tuple(parse_vpdq(value.replace(";", "\n").replace(" ", "\n")))
            out.append(NewEntry(kind, label=row_label, source=source, frames=frames))
        else:
            out.append(NewEntry(kind, _checked(kind, value, n), label=row_label, source=source))
    if not out:
        raise MalformedHash(N_("CSV has no rows"))
    return out


def _parse_hex_list(
    text: str, hash_type: HashType | None, label: str, source: str
) -> list[NewEntry]:
    by_len = {16: HashType.PHASH, 32: HashType.MD5}
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind = hash_type or by_len.get(len(line))
        if kind is None:
            if len(line) == 64:
                raise MalformedHash(N_("64-digit hashes may be PDQ or SHA-256: say which (--type)"))
            raise MalformedHash(message(N_("line {n}: not a hash of a known length"), n=n))
        if kind is HashType.VPDQ:
            raise MalformedHash(N_("a vPDQ hash is a file of frames, not one hex line"))
        out.append(NewEntry(kind, _checked(kind, line, n), label=label, source=source))
    return out


def _import_jsonl(store: TakedownStore, data: bytes, list_name: str | None) -> ImportResult:
    header, entries, count = _verify_jsonl(data)
    uid = header["list_id"]
    sequence = header["sequence"]
    name = list_name or store.list_by_uid(uid) or header.get("name") or DEFAULT_LIST
    withdrawn = sum(1 for e in entries if e.status != ACTIVE)
    with store.transaction():
        existing = store.list_by_uid(uid)
        if existing is not None:
            held = store.list_info(existing).sequence
            if sequence < held:
                raise ListFileError(
                    message(N_("this list file is older (sequence {sequence}) than the list held ({held})"),
                            sequence=sequence, held=held)
                )
            name = existing
        else:
            store.ensure_list(name, uid=uid, publisher=header.get("publisher", ""))
        store.add(entries, name)
        store.set_sequence(name, sequence, header.get("publisher"))
    return ImportResult(name, "share_guard", count - withdrawn, withdrawn, sequence)


def _verify_jsonl(data: bytes) -> tuple[dict[str, Any], list[NewEntry], int]:
    if not data.endswith(b"\n"):
        raise ListFileError(N_("the list file is truncated (no trailer line)"))
    cut = data.rstrip(b"\n").rfind(b"\n") + 1
    body, trailer_line = data[:cut], data[cut:]
    try:
        trailer = json.loads(trailer_line)
    except ValueError:
        raise ListFileError(N_("the list file's last line is not a valid trailer"))
    if not isinstance(trailer, dict) or trailer.get("trailer") is not True:
        raise ListFileError(N_("the list file has no trailer: it is truncated or was edited"))
    if hashlib.sha256(body).hexdigest() != str(trailer.get("sha256", "")).lower():
        raise ListFileError(N_("the list file was modified after it was written (checksum mismatch)"))
    lines = body.split(b"\n")[:-1]
    if not lines:
        raise ListFileError(N_("the list file has no header"))
    if any(len(ln) > MAX_LINE for ln in lines):
        raise ListFileError(N_("the list file has an over-long line"))
    try:
        header = json.loads(lines[0])
        records = [json.loads(ln) for ln in lines[1:]]
    except ValueError as exc:
        raise ListFileError(message(N_("the list file is not valid JSON Lines: {exc}"), exc=exc))
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ListFileError(N_("not a share_guard takedown list file"))
    if header.get("version") != VERSION:
        raise ListFileError(message(N_("list file version {header} is not supported"),
                                    header=f"{header.get('version')!r}"))
    if not isinstance(header.get("list_id"), str) or not header["list_id"]:
        raise ListFileError(N_("the list file has no list id"))
    if not isinstance(header.get("sequence"), int) or header["sequence"] < 0:
        raise ListFileError(N_("the list file has no valid sequence number"))
    if trailer.get("entries") != len(records):
        raise ListFileError(N_("the list file's entry count does not match its trailer"))
    entries = []
    for n, rec in enumerate(records, 2):
        try:
            entries.append(_entry_from_record(rec))
        except (MalformedHash, KeyError, TypeError, ValueError) as exc:
            raise ListFileError(message(N_("list file line {n}: {exc}"), n=n, exc=exc))
    return header, entries, len(records)


def _entry_from_record(rec: Any) -> NewEntry:
    if not isinstance(rec, dict):
        raise MalformedHash(N_("an entry must be a JSON object"))
    kind = HashType.parse(str(rec["type"]))
    quality = rec.get("quality")
    if quality is not None and not isinstance(quality, int):
        raise MalformedHash(N_("quality must be an integer"))
    common = {
        "quality": quality,
        "label": str(rec.get("label", "")),
        "source": str(rec.get("source", "")),
        "added": str(rec["added"]) if rec.get("added") else None,
        "status": str(rec.get("status", ACTIVE)),
        "item": str(rec["item"])[:64] if rec.get("item") else None,
    }
    if kind is HashType.VPDQ:
        frames = tuple(_frame(f) for f in rec["frames"])
        if not frames:
            raise MalformedHash(N_("a vPDQ entry needs frames"))
        return NewEntry(kind, frames=frames, **common)  # type: ignore[arg-type]
    value = normalize_value(kind, str(rec["value"]))  # reject with this line's number
    return NewEntry(kind, value, **common)  # type: ignore[arg-type]


def _frame(f: Any) -> FrameHash:
    if not isinstance(f, list) or len(f) != 4:
        raise MalformedHash(N_("a vPDQ frame is [frame, quality, hash, seconds]"))
    return parse_vpdq(f"{int(f[0])},{int(f[1])},{f[2]},{float(f[3])}")[0]
