"""The checks ``inspect`` and ``clean`` run, as options, and the engine they build from them.

Faces are part of every check (``--no-faces`` skips them for speed in scripts); the
takedown list and the protection policy always apply. Both commands build their engine
with :func:`engine_for`, i.e. with the core's one composition function.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.engine.engine import Engine
from share_guard.core.i18n import _


def add_check_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-faces", action="store_true",
                   help=_("do not look for faces (faster, for scripts; the consent question "
                          "then cannot say who can be recognised)"))
    p.add_argument("--faces", action="store_true",
                   help=_("look for faces (the default; kept for older scripts)"))
    p.add_argument("--codes", action="store_true",
                   help=_("also look for QR codes and barcodes (photos)"))
    p.add_argument("--no-isolation", action="store_true",
                   help=_("parse files in this process instead of a limited worker (debugging)"))


def usage_problem(args: argparse.Namespace) -> str:
    """A contradiction between the check options ("" when there is none)."""
    if args.no_faces and getattr(args, "redact_faces", False):
        return _("--no-faces and --cover-faces contradict each other: covering faces needs "
                 "finding them")
    return ""


def engine_for(args: argparse.Namespace, data_dir: Path | None = None) -> Engine:
    """The engine for these options (``data_dir``: the resolved ``--data-dir``, if any)."""
    folder = data_dir if data_dir is not None else (Path(args.data_dir) if args.data_dir else None)
    return build_engine(Features(
        faces=not args.no_faces,
        codes=args.codes or getattr(args, "redact_codes", False),
        isolated=not args.no_isolation,
        data_dir=folder,
    ))


def start_workers_early(engine: Engine) -> None:
    """Start the sandbox's fork server now: it imports the file handlers while this process
    walks the folders, so the first file does not wait for them. No thread and no worker is
    started here, so a command that ends at once (an empty folder) leaves nothing behind."""
    engine.runner.prepare()
