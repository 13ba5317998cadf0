"""The GUI's only door to the core: every core call the window makes goes through here.

Widgets never import ``share_guard.core`` parsers; they hold the dataclasses this
module returns. Keeping the calls in one place lets a later change run them in
worker processes (or a sandbox) without touching a single widget.

Everything here may run on a worker thread: it returns ``QImage`` (safe off the
GUI thread), never ``QPixmap``. Pixels only ever enter through Pillow
(``core.images``) or PyAV (``core.frames``), under their limits; Qt never
decodes an untrusted file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from share_guard.core.errors import Cancelled
from share_guard.core.export.consent import ConsentHook, refuse
from share_guard.core.export.pipeline import ExportOptions, ExportResult, Transform
from share_guard.core.export.safeio import TEMP_PREFIX
from share_guard.core.inspect import Analyzer, InspectOptions
from share_guard.core.media.preview import PreviewPixels, decode_preview
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Region, Report
from share_guard.gui.redaction import Redaction

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
    """Core calls for the window. Features plug in as factories (analyzers, transforms, gates)."""

    def __init__(self, analyzers: Sequence[Callable[[], Analyzer]] = (),
                 transforms: Sequence[Callable[[], Transform]] = (),
                 gates: Sequence[Callable[[Report], str | None]] = (),
                 data_dir: Path | None = None, isolate: bool = False,
                 content: Sequence[Callable[[], Analyzer]] = ()) -> None:
        #: parse, export and decode untrusted files in limited worker processes
        #: (core.isolation); the app always does, tests may run in-process
        self.isolate = isolate
        #: slow looks at the pixels (faces, codes): run after the metadata is on screen
        self._content_factories = list(content)
        self._content: list[Analyzer] | None = None
        self._analyzer_factories = list(analyzers)
        self._transform_factories = list(transforms)
        self._gates = list(gates)
        self._data_dir = data_dir
        self._analyzers: list[Analyzer] | None = None

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
        if self._data_dir is None:
            from share_guard.core.paths import data_dir

            self._data_dir = data_dir()
        return self._data_dir

    def remove_stale_temps(self) -> int:
        from share_guard.core.export.safeio import remove_stale_temps

        return remove_stale_temps(self.data_dir())

    @staticmethod
    def supported_formats() -> list[str]:
        """Names of the containers the core can read, for the empty state."""
        from share_guard.core.containers import all_handlers

        return list(dict.fromkeys(h.name.upper() for h in all_handlers()))

    # -- inspect -------------------------------------------------------------------------
    def analyzers(self) -> list[Analyzer]:
        if self._analyzers is None:
            self._analyzers = [make() for make in self._analyzer_factories]
        return self._analyzers

    def content_analyzers(self) -> list[Analyzer]:
        if self._content is None:
            self._content = [make() for make in self._content_factories]
        return self._content

    def has_content_checks(self) -> bool:
        return bool(self._content_factories)

    def inspect_options(self, progress: ProgressFn = no_progress,
                        cancel: CancelToken | None = None) -> InspectOptions:
        """Every check, the slow looks at the pixels included (what an export relies on)."""
        return InspectOptions(analyzers=[*self.analyzers(), *self.content_analyzers()],
                              progress=progress, cancel=cancel)

    def inspect(self, path: Path, options: InspectOptions | None = None,
                progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
                *, content: bool = True) -> Report:
        """Check ``path``; ``content=False`` leaves out the looks at the pixels (faces,
        codes), so the metadata findings can be shown at once."""
        opts = options or self.inspect_options()
        analyzers = opts.analyzers
        if not content:
            slow = {id(a) for a in self.content_analyzers()}
            analyzers = [a for a in analyzers if id(a) not in slow]
        opts = InspectOptions(analyzers=analyzers, progress=progress, cancel=cancel)
        if self.isolate:
            from share_guard.core.sandbox.pool import isolated_inspect

            return isolated_inspect(path, opts)
        from share_guard.core.inspect import inspect

        return inspect(path, opts)

    # -- export --------------------------------------------------------------------------
    def export_options(self, output_dir: Path, *, rebuild: bool = False,
                       suffix: str = "_clean",
                       redactions: Mapping[Path, Redaction] | None = None) -> ExportOptions:
        """``redactions``: each file's cover choices; a file with something to cover gets its
        own redaction transform (the others are exported losslessly)."""
        per_file = {Path(path): [self.redact_transform(choice)]
                    for path, choice in (redactions or {}).items() if choice.active}
        return ExportOptions(
            output_dir=output_dir, rebuild=rebuild, data_dir=self.data_dir(), suffix=suffix,
            inspect_options=self.inspect_options(),
            transforms=[make() for make in self._transform_factories], gates=list(self._gates),
            file_transforms=per_file,
        )

    @staticmethod
    def redact_transform(choice: Redaction) -> Transform:
        """The core's redaction for one file's choices: detections are found again (from the
        per-file cache) and those switched off are left out; drawn boxes are added."""
        from share_guard.core.redaction.transform import RedactTransform

        return RedactTransform(faces=True, codes=True, style=choice.style, include_possible=True,
                               added=tuple(choice.added()), removed=tuple(choice.removed()),
                               outside=choice.outside_region())

    @staticmethod
    def free_suffix(reports: Sequence[Report], folder: Path, base: str = "_clean") -> str:
        """A name suffix ("_clean", "_clean-2"...) under which no copy of ``reports`` exists yet
        in ``folder``, so saving the same photo twice never collides with the first copy."""
        from share_guard.core.export.pipeline import output_path

        for n in range(1, 100):
            suffix = base if n == 1 else f"{base}-{n}"
            options = ExportOptions(output_dir=folder, suffix=suffix)
            taken = False
            for report in reports:
                try:
                    taken = taken or output_path(report, options).exists()
                except (KeyError, OSError):
                    continue
            if not taken:
                return suffix
        return base

    def export(self, paths: Sequence[Path], options: ExportOptions, consent_hook: ConsentHook = refuse,
               progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
               reports: Sequence[Report] | None = None,
               ask_parent: Callable[[str], str | None] | None = None) -> list[ExportResult]:
        """Write safe copies under the protection policy, after the consent hook agrees
        (refuses by default). ``ask_parent`` asks for the parent passphrase where the policy
        gates a file; without it such files are refused."""
        from share_guard.core.export.pipeline import export_files
        from share_guard.core.family.gates import guarded_export

        if options.output_dir is None:
            raise ValueError("the GUI always chooses an output folder")
        exporter: Callable[..., list[ExportResult]] = export_files
        if self.isolate:
            from share_guard.core.sandbox.pool import isolated_export_files

            exporter = isolated_export_files
        return guarded_export(paths, options, consent_hook, ask_parent=ask_parent, progress=progress,
                              cancel=cancel, reports=reports, exporter=exporter)

    # -- people and codes in the picture -------------------------------------------------
    @staticmethod
    def cover_area(region: Region) -> Region:
        """The area a cover fills for a detected region: enlarged as the core redacts it
        (clipped to the picture by whoever draws it)."""
        from share_guard.core.redaction.regions import ENLARGE, enlarged

        return enlarged(region, ENLARGE, 1 << 30, 1 << 30)

    @staticmethod
    def face_analyzer() -> Callable[[], Analyzer]:
        """A factory for the face finder (photos ~1 s for 12 MP; videos ~25 s a minute)."""

        def make() -> Analyzer:
            from share_guard.core.analysis.analyzers import FaceAnalyzer

            return FaceAnalyzer()

        return make

    @staticmethod
    def code_analyzer() -> Callable[[], Analyzer]:
        """A factory for the readable-code finder (QR, PDF417, Aztec, DataMatrix, barcodes)."""

        def make() -> Analyzer:
            from share_guard.core.analysis.analyzers import CodeAnalyzer

            return CodeAnalyzer()

        return make

    # -- family protection (policy, parent lock, consent records) -----------------------
    @staticmethod
    def takedown_analyzer(data_dir: Path | None) -> Callable[[], Analyzer]:
        """A factory for the local takedown-list check (nothing to match: no cost)."""

        def make() -> Analyzer:
            from share_guard.core.takedown.analyzer import TakedownAnalyzer

            return TakedownAnalyzer(data_dir=data_dir)

        return make

    @staticmethod
    def policy_sensitive_analyzer() -> Analyzer:
        """The nudity check, active only while the policy in force asks for it."""
        from share_guard.core.family.gates import PolicySensitiveAnalyzer

        return PolicySensitiveAnalyzer()

    @staticmethod
    def policy_state() -> Any:
        """The policy in force (``core.lock.PolicyState``); a tampered one is the strictest."""
        from share_guard.core.family.lock import load_state

        return load_state()

    @staticmethod
    def policy_presets() -> dict[str, Any]:
        from share_guard.core.family.policy import PRESETS

        return dict(PRESETS)

    @staticmethod
    def policy_rules() -> dict[str, str]:
        from share_guard.core.family.policy import RULES

        return dict(RULES)

    @staticmethod
    def min_passphrase() -> int:
        from share_guard.core.family.lock import MIN_PASSPHRASE

        return MIN_PASSPHRASE

    @staticmethod
    def save_policy(policy: Any, passphrase: str | None) -> Any:
        from share_guard.core.family.lock import save_policy

        return save_policy(policy, passphrase)

    @staticmethod
    def lock_policy(policy: Any, new_passphrase: str, current: str | None) -> Any:
        from share_guard.core.family.lock import lock_policy

        return lock_policy(policy, new_passphrase, current)

    @staticmethod
    def unlock_policy(passphrase: str) -> Any:
        from share_guard.core.family.lock import unlock_policy

        return unlock_policy(passphrase)

    def consent_log(self) -> Any:
        """The consent records of this data folder (``core.consent_records.ConsentLog``)."""
        from share_guard.core.family.records import ConsentLog

        return ConsentLog(self.data_dir())

    # -- pictures ------------------------------------------------------------------------
    def thumbnail(self, path: Path, kind: str | None, size: int = THUMB_SIZE,
                  cancel: CancelToken | None = None) -> QImage | None:
        """A small picture for lists and the consent dialog, or None when there is none."""
        preview = self.preview(path, kind, max_side=size, cancel=cancel)
        return preview.image if preview is not None else None

    def preview(self, path: Path, kind: str | None, max_side: int = PREVIEW_SIDE,
                at: float | None = None, cancel: CancelToken | None = None) -> Preview | None:
        """Decode a picture of ``path`` no larger than ``max_side``; None if it cannot be shown."""
        try:
            if kind not in ("image", "video"):
                return None
            if self.isolate:
                from share_guard.core.sandbox.pool import isolated_call

                pixels = isolated_call(decode_preview, path, kind, max_side, at, cancel=cancel)
            else:
                pixels = decode_preview(path, kind, max_side, at, cancel)
            return None if pixels is None else _to_preview(pixels)
        except Cancelled:
            raise
        except Exception:  # noqa: BLE001 - Pillow and PyAV raise many types; no picture is fine
            return None
        return None


def _to_preview(pixels: PreviewPixels) -> Preview:
    return Preview(_to_qimage(pixels.rgb, pixels.width, pixels.height), pixels.full_size,
                   pixels.time, pixels.duration)


def _to_qimage(rgb: bytes, width: int, height: int) -> QImage:
    image = QImage(rgb, width, height, width * 3, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: ``rgb`` goes away with this frame
