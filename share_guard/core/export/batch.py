"""Several planned copies written together: each exported and verified, then all published.

A batch costs one marker in the data folder, one sync of all its copies (side by side) and
one sync per folder, instead of two syncs and a marker per copy
(:class:`~share_guard.core.export.safeio.Staging`). Each file still succeeds or fails on
its own: a refusal or an error is that file's outcome, the others go on. A cancel discards
the copies not yet published.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from share_guard.core.errors import Cancelled
from share_guard.core.export.pipeline import ExportOptions, ExportResult, Planned, export_one
from share_guard.core.export.safeio import Staging
from share_guard.core.progress import CancelToken, ProgressFn

#: what one file of a batch came to: its result, or the error export_one raised
Outcome = ExportResult | BaseException


def export_batch(items: Sequence[Planned], options: ExportOptions,
                 progress: Callable[[int], ProgressFn], cancel: CancelToken | None, *,
                 started: Callable[[int], None] = lambda i: None,
                 publishing: Callable[[], None] = lambda: None,
                 errors: tuple[type[BaseException], ...] = (Exception,)) -> list[Outcome]:
    """One outcome per item, in order. ``progress(i)`` is item ``i``'s progress function;
    ``started(i)`` is called as it begins, ``publishing()`` before the copies are published.
    Exceptions of the types in ``errors`` become that item's outcome; others (and a cancel)
    propagate after the unpublished copies are removed."""
    outcomes: list[Outcome] = []
    waiting: list[int] = []  # items whose copy is staged, in staging order
    with Staging(options.data_dir) as staging:
        for i, planned in enumerate(items):
            started(i)
            if cancel is not None:
                cancel.check()
            before = len(staging.staged)
            try:
                outcomes.append(export_one(planned, options, progress(i), cancel, staging))
            except Cancelled:
                raise
            except errors as exc:
                outcomes.append(exc)
                continue
            if len(staging.staged) == before + 1:
                waiting.append(i)
        if cancel is not None:
            cancel.check()
        publishing()
        for i, problem in zip(waiting, staging.publish(), strict=True):
            if problem is not None:
                outcomes[i] = problem
    return outcomes
