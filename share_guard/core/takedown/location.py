"""Where the local takedown list is kept.

Apart from :mod:`.store` so that a check with no list (most runs) costs a look for one
file, not the import of the store (SQLite, the hash types).
"""

from __future__ import annotations

import os
from pathlib import Path

from share_guard.core.paths import data_dir

DB_NAME = "takedown.sqlite3"


def default_path(data: str | os.PathLike[str] | None = None) -> Path:
    """The list's database in the data folder ``data`` (default: the user's)."""
    return data_dir(data) / DB_NAME
