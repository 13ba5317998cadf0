"""The looks at one file's pixels run side by side, each on its own worker.

A 12 MP photo's face search takes about a second of a worker, its code search a few tenths:
run one after the other in one worker, the person waits for their sum while the runner's
other worker idles. Here each check that a report lacks is a task of
its own (:meth:`Runner.with_checks` with that one check) and as many run at once as the
runner has workers. Checks never read each other's findings, so each task's report is the
given one plus that check's findings, problems and properties; they are put together in the
order of the checks, which is the report one task running them all in turn would give. A
part that does not start with the given report (it cannot happen with our runners) is not
guessed at: the checks run again in one task.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from share_guard.core.budget import seal
from share_guard.core.inspect import Analyzer
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import Report
from share_guard.core.sandbox.base import Runner

_MISSING = object()


def with_checks_side_by_side(runner: Runner, report: Report, analyzers: Sequence[Analyzer],
                             progress: ProgressFn, cancel: CancelToken | None) -> Report:
    """A copy of ``report`` with the ``analyzers`` it lacks run on its file, up to
    ``runner.parallel`` of them at once (the report itself is not changed)."""
    todo = [a for a in analyzers if a.name not in report.checked]
    if runner.parallel < 2 or len(todo) < 2 or report.error:
        return runner.with_checks(report, todo, progress, cancel)
    shares = _Shares(len(todo), progress)
    with ThreadPoolExecutor(min(runner.parallel, len(todo)) - 1,
                            thread_name_prefix="sg-check") as pool:
        # the last check is the caller's, asked for at once: the looks at the pixels come
        # last and the face search, the slowest, is the last of them; the others go to the
        # pool's threads
        others = [pool.submit(runner.with_checks, report, [a], shares.part(i), cancel)
                  for i, a in enumerate(todo[:-1])]
        try:
            last = runner.with_checks(report, todo[-1:], shares.part(len(todo) - 1), cancel)
        finally:
            parts = [f.result() for f in others]  # waits for them (a cancel ends them too)
        parts.append(last)
    return merged(report, parts) or runner.with_checks(report, todo, progress, cancel)


def merged(base: Report, parts: Sequence[Report]) -> Report | None:
    """``base`` with what each part (a copy of ``base`` with checks run on it) added, in the
    order of ``parts``; a part with an error (the file changed or could not be read) is
    the answer as it is. None when a part does not begin with ``base``."""
    for part in parts:
        if part.error and not base.error:
            return part
    out = copy.deepcopy(base)
    for part in parts:
        added = []
        for field in ("findings", "problems", "checked", "failed_checks"):
            before, after = getattr(base, field), getattr(part, field)
            if after[: len(before)] != before:
                return None
            added.append((field, after[len(before) :]))
        for field, extra in added:
            getattr(out, field).extend(extra)
        out.properties.update({k: v for k, v in part.properties.items()
                               if base.properties.get(k, _MISSING) != v})
    return seal(out)


class _Shares:
    """One progress for several parts: the mean of their fractions, the latest text."""

    def __init__(self, n: int, progress: ProgressFn) -> None:
        self.fractions = [0.0] * n
        self.progress = progress
        self.lock = threading.Lock()

    def part(self, i: int) -> ProgressFn:
        def report(fraction: float, text: str) -> None:
            with self.lock:
                self.fractions[i] = fraction
                total = sum(self.fractions) / len(self.fractions)
            self.progress(total, text)

        return report
