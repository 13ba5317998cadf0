"""The sandbox's fork server (and so every worker) asks glibc for huge pages; the calling
process's own environment stays as it was."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from share_guard.core.engine.compose import Features, build_engine
from share_guard.core.sandbox import early

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")


def _server_tunables() -> list[bytes]:
    """In a worker: the GLIBC_TUNABLES its fork server started with."""
    with open(f"/proc/{os.getppid()}/environ", "rb") as fh:
        return [e for e in fh.read().split(b"\0") if e.startswith(b"GLIBC_TUNABLES=")]


def test_workers_fork_from_a_server_that_asks_for_huge_pages(tmp_path: Path) -> None:
    before = os.environ.get("GLIBC_TUNABLES")
    engine = build_engine(Features(faces=False, takedown=False, data_dir=tmp_path))
    try:
        [tunables] = engine.runner.call(_server_tunables)
    finally:
        engine.close()
    assert early.HUGE_PAGES.encode() in tunables.split(b"=", 1)[1].split(b":")
    assert os.environ.get("GLIBC_TUNABLES") == before  # this process's is untouched


@pytest.mark.parametrize(("given", "server"), [
    (None, "glibc.malloc.hugetlb=1"),
    ("glibc.malloc.arena_max=2", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"),
    ("glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0"),  # a person's own choice stands
])
def test_the_tunable_is_added_for_the_server_only(monkeypatch: pytest.MonkeyPatch,
                                                  given: str | None, server: str) -> None:
    from multiprocessing import forkserver

    seen: list[str | None] = []
    monkeypatch.setattr(forkserver, "ensure_running",
                        lambda: seen.append(os.environ.get("GLIBC_TUNABLES")))
    if given is None:
        monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    else:
        monkeypatch.setenv("GLIBC_TUNABLES", given)
    early.ensure_fork_server(early.context())
    assert seen == [server]
    assert os.environ.get("GLIBC_TUNABLES") == given
