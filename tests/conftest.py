"""Test-wide guards: headless Qt, no network, state redirected to a temp folder."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(2**26))


# No test may open a network socket: pyproject's addopts pass pytest-socket's
# --disable-socket --allow-unix-socket (local Unix sockets: Qt, multiprocessing).


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own data folder, settings folder and HOME."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SHARE_GUARD_HOME", str(home / "share_guard"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # The parent lock finds its folders from the OS account database, not from HOME:
    # redirect it here so no test reads or writes the real account's policy.
    from share_guard.core.family import lock

    folders = lock.AccountFolders(home / "account" / "data", home / "account" / "config")
    monkeypatch.setattr(lock, "account_folders", lambda: folders)
    yield home


@pytest.fixture
def witness():
    """The independent witness: exiftool where installed (CI installs it), else our own
    reader (tests/witness.py). Round-trip tests never skip for want of exiftool."""
    from witness import witness as choose

    return choose()


@pytest.fixture(scope="session")
def _pseudo_locale_dir(tmp_path_factory):
    from i18n_fixtures import pseudo_locale

    return pseudo_locale(tmp_path_factory.mktemp("i18n"))


@pytest.fixture
def pseudo_language(_pseudo_locale_dir, monkeypatch):
    """Every marked string pseudo-translated ("⟦TEXT⟧") as language "hi", for tests that
    check a text is translated where it is shown; English again afterwards."""
    from share_guard.core import i18n

    monkeypatch.setattr(i18n, "locale_dir", lambda: _pseudo_locale_dir)
    assert i18n.set_language("hi") == "hi"
    yield "hi"
    i18n.set_language("en")


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    from share_guard.core import i18n

    if i18n.language() != "en":
        i18n.set_language("en")
