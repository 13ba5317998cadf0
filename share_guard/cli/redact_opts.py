"""Face and code options for ``inspect`` and ``clean`` (no subcommand of their own).

``inspect --faces --codes`` adds the analyzers; ``clean --redact-faces
--redact-codes [--redact-style noisy] [--redact-possible]`` runs them and burns
what they find into the pixels before the metadata strip.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

STYLES = ("solid", "noisy")


def _faces(args: argparse.Namespace) -> Any:
    from share_guard.core.analysis.analyzers import FaceAnalyzer

    return FaceAnalyzer()


def _codes(args: argparse.Namespace) -> Any:
    from share_guard.core.analysis.analyzers import CodeAnalyzer

    return CodeAnalyzer()


def _redact(args: argparse.Namespace) -> Any:
    from share_guard.core.redaction.transform import RedactTransform

    return RedactTransform(faces=args.redact_faces, codes=args.redact_codes,
                           style=args.redact_style, include_possible=args.redact_possible)


class _Append(argparse.Action):
    """A flag that adds factories to ``args.analyzers`` / ``args.transforms`` (once each)."""

    def __init__(self, *a: Any, add: dict[str, Callable[[argparse.Namespace], Any]],
                 **k: Any) -> None:
        self.add = add
        super().__init__(*a, nargs=0, default=False, **k)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, True)
        for attr, factory in self.add.items():
            current = list(getattr(namespace, attr, None) or [])
            if factory not in current:
                setattr(namespace, attr, [*current, factory])


def register(subs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    inspect_p = subs.choices["inspect"]
    inspect_p.add_argument("--faces", action=_Append, add={"analyzers": _faces},
                           help="look for faces (photos and videos)")
    inspect_p.add_argument("--codes", action=_Append, add={"analyzers": _codes},
                           help="look for QR codes and barcodes (photos)")
    clean_p = subs.choices["clean"]
    clean_p.add_argument("--redact-faces", action=_Append,
                         add={"analyzers": _faces, "transforms": _redact},
                         help="burn found faces into the pixels (re-encodes the picture once)")
    clean_p.add_argument("--redact-codes", action=_Append,
                         add={"analyzers": _codes, "transforms": _redact},
                         help="burn found QR codes and barcodes into the pixels")
    clean_p.add_argument("--redact-style", choices=STYLES, default="solid",
                         help="solid fill (default) or coarse noise; never a reversible blur")
    clean_p.add_argument("--redact-possible", action="store_true",
                         help="also redact possible faces (low scores, not selected by default)")
