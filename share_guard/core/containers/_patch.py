"""Handlers for containers cleaned by overwriting byte ranges in place (Matroska Void,
AVI JUNK): a parse yields a :class:`PatchPlan` (findings plus :class:`Patch` edits) and
stripping is one streamed copy by the shared in-place engine (:mod:`inplace`), as fast as
copying the file, every audio/video byte untouched by construction.

``Patch``, ``check_patches`` and ``copy_with_patches`` live in :mod:`inplace` (the one patch
engine, shared with ISO-BMFF) and are re-exported here for the handlers that import them.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar

from share_guard.core.budget import Collector
from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.inplace import COPY_CHUNK as CHUNK
from share_guard.core.containers.inplace import Patch, check_patches, copy_with_patches
from share_guard.core.errors import ExportRefused
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category, Finding

__all__ = ["CHUNK", "Patch", "PatchPlan", "PatchingHandler", "check_patches", "copy_with_patches"]


@dataclass
class PatchPlan:
    """What an in-place parse found, and the patches that clean the file."""

    findings: list[Finding] = field(default_factory=list)
    #: what ``find`` found: 100,000 Matroska ARTIST tags are one finding with a count
    found: Collector = field(default_factory=Collector)
    problems: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    patches: list[Patch] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def find(self, category: Category, where: str, name: str, value: str, why: str,
             identifying: bool = True) -> None:
        self.found.add(category, where, name, value, why, identifying=identifying)

    def remove(self, what: str) -> None:
        """Name ``what`` once among what cleaning removes."""
        if what not in self.removed:
            self.removed.append(what)


class PatchingHandler(FormatHandler):
    """A container cleaned by copying it with :class:`PatchPlan` patches applied."""

    kind: ClassVar[str] = "video"
    #: what every clean copy keeps, in plain words
    always_kept: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def plan(self, src: Source) -> PatchPlan:
        """The (cached) parse of ``src``."""

    def kept(self, plan: PatchPlan) -> list[str]:
        return list(self.always_kept)

    def inspect(self, src: Source) -> Inspection:
        p = self.plan(src)
        return Inspection([*p.findings, *p.found.findings()], list(p.problems),
                          dict(p.properties))

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        p = self.plan(src)
        if p.problems:
            raise ExportRefused(message(N_("not cleaned with confidence: {problems}"),
                                        problems=p.problems[0]))
        with src.open() as fh:
            copy_with_patches(fh, src.size, out, p.patches)
        return StripResult(removed=list(p.removed), kept=self.kept(p))
