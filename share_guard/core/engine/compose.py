"""The one place an engine is put together: a feature set in, an :class:`Engine` out.

The CLI and the app both describe what they want (:class:`Features`: faces or not, codes or
not, the takedown list, the sandbox or not...) and call :func:`build_engine`; neither makes
analyzers or runners itself. Adding an analyzer means a field here and a line in
:func:`build_engine` (analyzers travel to the sandbox pickled: keep them plain objects).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from share_guard.core.engine.deferred import Deferred
from share_guard.core.engine.engine import Engine
from share_guard.core.family.lock import PolicyState
from share_guard.core.inspect import Analyzer
from share_guard.core.sandbox.base import Runner
from share_guard.core.sandbox.entry import Limits

#: where the looks at the pixels are, and their names (``FaceAnalyzer.name``...)
ANALYZERS = "share_guard.core.analysis.analyzers"
FACES, CODES = "faces", "codes"


@dataclass(frozen=True)
class Features:
    """What an engine does. The defaults are the app's: every check, in the sandbox."""

    faces: bool = True  # look for faces (photos and videos)
    codes: bool = False  # look for QR codes and barcodes (photos)
    takedown: bool = True  # match the local takedown list in ``data_dir``
    isolated: bool = True  # read files in the sandbox; False: in this process (debugging)
    data_dir: Path | None = None  # None: $SHARE_GUARD_HOME or the user data folder
    #: the policy in force, read at each use; None: the account's own (core.family.lock)
    policy: Callable[[], PolicyState] | None = None
    analyzers: tuple[Analyzer, ...] = ()  # more quick checks (tests, plug-ins)
    content: tuple[Analyzer, ...] = ()  # more slow looks at the pixels
    runner: Runner | None = None  # a runner made elsewhere (overrides ``isolated``)
    limits: Limits | None = None  # the sandbox's limits (None: the defaults)
    workers: int | None = None  # sandbox worker processes (None: up to 2)


def build_engine(features: Features = Features()) -> Engine:  # noqa: B008 - frozen, immutable
    """The engine for ``features``: its runner, its analyzers and where its policy comes from."""
    runner = features.runner or _runner(features)

    has_content = features.faces or features.codes or bool(features.content)

    def takedown() -> list[Analyzer]:
        if not features.takedown:
            return []
        from share_guard.core.takedown.analyzer import TakedownAnalyzer

        return [TakedownAnalyzer(data_dir=features.data_dir)]

    # The takedown check hashes the pixels: where the face or code search runs too, it is
    # one of the looks at the pixels, which the app runs after showing the metadata, side by
    # side with the face search (the slowest); a file is never saved before they all end.
    def analyzers() -> list[Analyzer]:
        return ([] if has_content else takedown()) + list(features.analyzers)

    def content() -> list[Analyzer]:
        # named here, made where they run (their module loads numpy): engine.deferred
        made: list[Analyzer] = takedown() if has_content else []
        if features.codes:
            made.append(Deferred(CODES, ANALYZERS, "CodeAnalyzer"))
        if features.faces:
            made.append(Deferred(FACES, ANALYZERS, "FaceAnalyzer"))
        return made + list(features.content)

    if features.policy is not None:
        policy = features.policy
    else:
        from share_guard.core.family.lock import load_state

        policy = load_state
    explicit = features.data_dir
    resolved: list[Path] = []

    def data_dir() -> Path:  # resolved (and created) on first use, once
        if not resolved:
            from share_guard.core.paths import data_dir as resolve

            resolved.append(resolve(explicit))
        return resolved[0]

    return Engine(runner, analyzers=analyzers, content=content, has_content=has_content,
                  policy=policy, data_dir=data_dir)


def _runner(features: Features) -> Runner:
    if features.isolated:
        from share_guard.core.sandbox.sandboxed import SandboxRunner

        return SandboxRunner(features.workers, features.limits)
    from share_guard.core.sandbox.inprocess import InProcessRunner

    return InProcessRunner()
