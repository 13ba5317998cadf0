"""The GUI's only door to the core: every core call the window makes goes through here.

Widgets never import ``share_guard.core`` parsers; they hold the dataclasses this
module returns. The work itself is the :class:`~share_guard.core.engine.engine.Engine`'s,
built by the core's ``build_engine`` (``gui.app.build_service``): its runner reads every
untrusted file (a sandbox worker in the app), its verdict says what may be saved.

Everything here may run on a worker thread: it returns ``QImage`` (safe off the
GUI thread), never ``QPixmap``. Pixels only ever enter through Pillow
(``core.media.images``) or PyAV (``core.media.frames``), under their limits, in the
engine's runner; Qt never decodes an untrusted file.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImage

from share_guard.core.engine.engine import Engine
from share_guard.core.engine.outcome import ExportOutcome
from share_guard.core.engine.verdict import Assessment
from share_guard.core.errors import Cancelled
from share_guard.core.export.consent import ConsentHook, refuse
from share_guard.core.export.pipeline import ExportOptions, Transform
from share_guard.core.export.safeio import TEMP_PREFIX
from share_guard.core.family import lock
from share_guard.core.family.approval import AskParent
from share_guard.core.family.lock import PolicyState
from share_guard.core.family.policy import PRESETS, RULES, Policy
from share_guard.core.family.records import ConsentLog
from share_guard.core.media.preview import PreviewPixels
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import FileKind, Region, Report
from share_guard.gui.redaction import Redaction

if TYPE_CHECKING:
    from share_guard.core.analysis.tracks import Track

#: a dropped folder is walked up to this many files (a dropped home folder must not hang us)
MAX_FILES = 5000
THUMB_SIZE = 96
PREVIEW_SIDE = 1600


@dataclass(frozen=True)
class Preview:
    """A picture to show for a file, and the size of the full image it stands for."""

    image: QImage
    full_size: tuple[int, int]  # displayed (oriented) pixels of the original image / video
    time: float | None = None  # video: the frame's time in seconds
    duration: float = 0.0  # video: length in seconds (0 when unknown)


class Service:
    """Core calls for the window, over one engine. ``transforms`` are applied to every export
    (tests use them); redaction comes per file from the person's choices."""

    def __init__(self, engine: Engine, transforms: Sequence[Transform] = ()) -> None:
        self.engine = engine
        self._transforms = list(transforms)

    @property
    def isolate(self) -> bool:
        """True when untrusted files are read in sandbox workers (the app always does)."""
        return self.engine.runner.isolated

    def close(self) -> None:
        self.engine.close()

    # -- files ---------------------------------------------------------------------------
    def expand(self, paths: Iterable[str | os.PathLike[str]],
               cancel: CancelToken | None = None) -> list[Path]:
        """Files to check: given files as they are, folders walked (sorted, hidden skipped)."""
        found: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if not path.is_dir():
                found.append(path)
                continue
            for root, dirs, files in os.walk(path):
                if cancel is not None:
                    cancel.check()
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith((".", TEMP_PREFIX)):
                        found.append(Path(root) / name)
                if len(found) >= MAX_FILES:
                    return found[:MAX_FILES]
        return found

    def data_dir(self) -> Path:
        return self.engine.data_dir

    def remove_stale_temps(self) -> int:
        from share_guard.core.export.safeio import remove_stale_temps

        return remove_stale_temps(self.data_dir())

    @staticmethod
    def supported_formats() -> list[str]:
        """Names of the containers the core can read, for the empty state (from the sniffing
        table, which names every handler in order without loading them)."""
        from share_guard.core.containers.magic import TABLE

        return list(dict.fromkeys(m.name.upper() for m in TABLE))

    # -- inspect and verdict -------------------------------------------------------------
    def has_content_checks(self) -> bool:
        return self.engine.has_content_checks()

    def inspect(self, path: Path, progress: ProgressFn = no_progress,
                cancel: CancelToken | None = None, *, content: bool = True) -> Report:
        """Check ``path``; ``content=False`` leaves out the looks at the pixels (faces,
        codes), so the metadata findings can be shown at once."""
        return self.engine.inspect(path, content=content, progress=progress, cancel=cancel)

    def complete(self, report: Report, progress: ProgressFn = no_progress,
                 cancel: CancelToken | None = None) -> Report:
        """``report`` (made with ``content=False``) with the looks at the pixels as well,
        each on a worker of its own."""
        return self.engine.complete(report, progress=progress, cancel=cancel)

    def warm_up(self) -> None:
        """Start the workers and load the face model in each, on a thread of its own, while
        the person picks a file (the first photo's check then skips that second)."""
        import threading

        threading.Thread(target=self.engine.warm_up, name="sg-warm-up", daemon=True).start()

    def policy_state(self) -> PolicyState:
        """The policy in force (a tampered one is the strictest)."""
        return self.engine.policy_state()

    def assess(self, report: Report, state: PolicyState | None = None) -> Assessment:
        """The core's verdict on ``report``: what the buttons and the banner show."""
        return self.engine.assess(report, state=state)

    # -- export --------------------------------------------------------------------------
    def export_options(self, output_dir: Path, *, rebuild: bool = False,
                       redactions: Mapping[Path, Redaction] | None = None,
                       neutral_name: bool = False,
                       mute: Collection[Path] = ()) -> ExportOptions:
        """``redactions``: each file's cover choices; a file with something to cover gets its
        own cover transform (the others are exported losslessly). ``mute``: videos whose copy
        leaves the sound out (after the cover, which finds its faces in the original)."""
        per_file: dict[Path, list[Transform]] = {}
        for path, choice in (redactions or {}).items():
            if choice.active:
                per_file.setdefault(Path(path), []).append(self.redact_transform(choice))
        if mute:
            from share_guard.core.export.sound import RemoveSound

            for path in mute:
                per_file.setdefault(Path(path), []).append(RemoveSound())
        return ExportOptions(output_dir=output_dir, rebuild=rebuild, data_dir=self.data_dir(),
                             transforms=list(self._transforms), file_transforms=per_file,
                             neutral_name=neutral_name)

    @staticmethod
    def redact_transform(choice: Redaction) -> Transform:
        """The core's redaction for one file's choices: detections are found again (from the
        per-file cache) and those switched off are left out; drawn boxes are added."""
        from share_guard.core.redaction.transform import RedactTransform

        return RedactTransform(faces=True, codes=True, style=choice.style, include_possible=True,
                               added=tuple(choice.added()), removed=tuple(choice.removed()),
                               outside=choice.outside_region())

    def export(self, paths: Sequence[Path], options: ExportOptions, consent_hook: ConsentHook = refuse,
               progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
               reports: Sequence[Report] | None = None,
               ask_parent: AskParent | None = None) -> ExportOutcome:
        """Write clean copies under the protection policy, after the consent hook agrees
        (refuses by default). ``ask_parent`` asks for the parent passphrase where the policy
        gates a file; without it such files are refused."""
        if options.output_dir is None:
            raise ValueError("the GUI always chooses an output folder")
        return self.engine.export(paths, options, consent_hook, ask_parent=ask_parent,
                                  progress=progress, cancel=cancel, reports=reports)

    # -- people and codes in the picture -------------------------------------------------
    def face_tracks(self, path: Path, cancel: CancelToken | None = None) -> list[Track]:
        """A checked video's face tracks (where each face is at each moment)."""
        return self.engine.face_tracks(path, cancel)

    @staticmethod
    def cover_area(region: Region) -> Region:
        """The area a cover fills for a detected region: enlarged as the core redacts it
        (clipped to the picture by whoever draws it)."""
        from share_guard.core.redaction.areas import ENLARGE, enlarged

        return enlarged(region, ENLARGE, 1 << 30, 1 << 30)

    # -- family protection (policy, parent lock, consent records) -----------------------
    @staticmethod
    def policy_presets() -> dict[str, Policy]:
        return dict(PRESETS)

    @staticmethod
    def policy_rules() -> dict[str, str]:
        return dict(RULES)

    @staticmethod
    def min_passphrase() -> int:
        return lock.MIN_PASSPHRASE

    # (these three derive a key from the passphrase with scrypt: call them off the GUI thread)
    @staticmethod
    def save_policy(policy: Policy, passphrase: str | None) -> PolicyState:
        return lock.save_policy(policy, passphrase)

    @staticmethod
    def lock_policy(policy: Policy, new_passphrase: str, current: str | None) -> PolicyState:
        return lock.lock_policy(policy, new_passphrase, current)

    @staticmethod
    def unlock_policy(passphrase: str) -> PolicyState:
        return lock.unlock_policy(passphrase)

    def consent_log(self) -> ConsentLog:
        """The consent records of this data folder (kept on this computer)."""
        return ConsentLog(self.data_dir())

    # -- pictures ------------------------------------------------------------------------
    def thumbnail(self, path: Path, kind: FileKind | None, size: int = THUMB_SIZE,
                  cancel: CancelToken | None = None) -> QImage | None:
        """A small picture for lists and the consent dialog, or None when there is none."""
        preview = self.preview(path, kind, max_side=size, cancel=cancel)
        return preview.image if preview is not None else None

    def preview(self, path: Path, kind: FileKind | None, max_side: int = PREVIEW_SIDE,
                at: float | None = None, cancel: CancelToken | None = None) -> Preview | None:
        """Decode a picture of ``path`` no larger than ``max_side``; None if it cannot be shown."""
        try:
            pixels = self.engine.preview(path, kind, max_side, at, cancel)
        except Cancelled:
            raise
        except Exception:  # noqa: BLE001 - Pillow and PyAV raise many types; no picture is fine
            return None
        return None if pixels is None else _to_preview(pixels)


def _to_preview(pixels: PreviewPixels) -> Preview:
    return Preview(_to_qimage(pixels.rgb, pixels.width, pixels.height), pixels.full_size,
                   pixels.time, pixels.duration)


def _to_qimage(rgb: bytes, width: int, height: int) -> QImage:
    image = QImage(rgb, width, height, width * 3, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: ``rgb`` goes away with this frame
