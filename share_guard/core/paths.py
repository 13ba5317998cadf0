"""Where share_guard keeps its state: one data folder for everything.

Order: an explicit folder (``--data-dir``), then ``$SHARE_GUARD_HOME``, then the
platform's user data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "SHARE_GUARD_HOME"
APP_NAME = "share_guard"


def data_dir(explicit: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    if explicit:
        path = Path(explicit).expanduser()
    elif os.environ.get(ENV_HOME):
        path = Path(os.environ[ENV_HOME]).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    path = data_dir(explicit) / "cache"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
