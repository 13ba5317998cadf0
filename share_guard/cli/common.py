"""Helpers shared by the subcommands: walking paths, printing, JSON."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from share_guard.core.export.safeio import TEMP_PREFIX
from share_guard.core.i18n import isolate, pgettext
from share_guard.core.textsafe import display_path


def safe_streams() -> None:
    """Printing never fails on a character the output cannot encode.

    A redirected stream on Windows is cp1252, ``PYTHONIOENCODING=ascii`` is ASCII: the
    U+FFFD that :func:`display_text` puts for a control character (and any accented name)
    raised UnicodeEncodeError in the middle of a batch. Such characters become "?" instead;
    UTF-8 streams are left as they are, and JSON is plain ASCII whatever the stream.
    """
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or encoding in ("utf-8", "utf8"):
            continue
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError):  # a stream that cannot be changed: leave it
            continue


def walk(paths: Sequence[str]) -> Iterator[tuple[Path, bool]]:
    """Yield (file, given explicitly). Folders are walked recursively in sorted order;
    hidden files and our own temp files are skipped."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith(".") or name.startswith(TEMP_PREFIX):
                        continue
                    yield Path(root) / name, False
        else:
            yield path, True


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON in plain ASCII: every other character is a \\u escape.

    Paths are given exactly (scripts use them), so they are not sanitised; escaping keeps
    their control, bidi and C1 characters off the terminal, and a name that is not valid
    UTF-8 (its bytes decoded as surrogates) from crashing a strict UTF-8 stdout.
    """
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=True)
    sys.stdout.write("\n")


class JsonFiles:
    """``{"version": N, "files": [...]}`` as :func:`emit_json` prints it, written one file
    at a time as results come (nothing is held until the end)."""

    def __init__(self, version: int) -> None:
        self.version, self.count = version, 0

    def add(self, obj: Any) -> None:
        text = json.dumps(obj, indent=2, ensure_ascii=True).replace("\n", "\n    ")
        if not self.count:
            sys.stdout.write(f'{{\n  "version": {self.version},\n  "files": [')
        sys.stdout.write(("," if self.count else "") + "\n    " + text)
        self.count += 1

    def close(self) -> None:
        if not self.count:
            emit_json({"version": self.version, "files": []})
            return
        sys.stdout.write("\n  ]\n}\n")


def say(text: str = "") -> None:
    print(text)


def name(path: Path) -> str:
    """A file's name for a line of text: display-safe, and isolated as a unit where the
    language is written right to left."""
    return isolate(display_path(path))


def warn(text: str) -> None:
    print(f"share-guard: {text}", file=sys.stderr)


def is_yes(reply: str) -> bool:
    """A yes typed on the terminal: "y" and "yes" always (scripts and habits), and the
    language's own words for yes."""
    typed = _plain(reply)
    # Translators: the short answer for "yes" typed at a [y/N] question (one letter is best)
    short = _plain(pgettext("answer", "y"))
    # Translators: the word for "yes" typed at a [y/N] question
    word = _plain(pgettext("answer", "yes"))
    return bool(typed) and typed in {"y", "yes", short, word}


def _plain(text: str) -> str:
    """``text`` as typed on any keyboard: trimmed, lower case, accents on Latin letters left
    out ("sí" = "si"; the signs of other scripts are part of their letters and stay)."""
    import unicodedata

    out: list[str] = []
    for c in unicodedata.normalize("NFD", text.strip().casefold()):
        if unicodedata.combining(c) and out and out[-1].isascii():
            continue
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))
