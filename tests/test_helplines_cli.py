"""share-guard help-lines: the same table as the window, as plain text, your country first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from share_guard.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def locale_env(monkeypatch: pytest.MonkeyPatch):
    """The country from ``name``; the words in English (LANGUAGE=en: these tests read the
    English table; test_the_installed_command_runs reads a translated one)."""
    def set_locale(name: str) -> None:
        for key in ("LC_ALL", "LC_MESSAGES"):
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setenv("LANG", name)
        monkeypatch.setenv("LANGUAGE", "en")
    return set_locale


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["help-lines", *argv])
    return code, capsys.readouterr().out


def test_india_first_with_the_1930_helpline(capsys, locale_env):
    locale_env("en_US.UTF-8")
    code, out = run(capsys, "--country", "IN")
    assert code == 0
    lines = out.splitlines()
    first_heading = next(i for i, line in enumerate(lines) if line.startswith("Services for"))
    assert lines[first_heading] == "Services for people in India"
    assert out.index("National Cyber Crime Reporting Portal") < out.index("StopNCII.org")
    assert "    Phone: 1930" in lines
    assert "    Website: https://cybercrime.gov.in" in lines
    assert "special section for crimes against women and children" in " ".join(out.split())
    assert out.index("Services for people anywhere") < out.index("Services in other countries")
    assert "Details checked on 20" in out


def test_the_country_comes_from_the_locale(capsys, locale_env):
    locale_env("bn_BD.UTF-8")
    code, out = run(capsys)
    assert code == 0
    assert out.index("Services for people in Bangladesh") < out.index("Services for people anywhere")
    assert "Phone: 01320000888" in out
    assert "For women and girls." in out
    # an entry that could not be checked says so, next to its number
    block = out[out.index("Police Cyber Support for Women"):out.index("Services for people anywhere")]
    assert "could not check these details" in " ".join(block.split())


def test_lower_case_codes_and_other_countries(capsys, locale_env):
    locale_env("C")
    code, out = run(capsys, "--country", "gb")
    assert code == 0 and out.index("Revenge Porn Helpline") < out.index("Report Remove")
    assert "0345 6000 459" in out and "0800 1111" in out
    code, out = run(capsys, "--country", "DE")
    assert code == 0
    assert "We do not know of a service just for where you are yet." in " ".join(out.split())
    assert "Australia" in out and "eSafety" in out  # everything is still listed


def test_no_locale_lists_international_first(capsys, locale_env):
    locale_env("C")
    code, out = run(capsys)
    assert code == 0
    first = next(line for line in out.splitlines() if line.startswith("Services for"))
    assert first == "Services for people anywhere"


@pytest.mark.parametrize("bad", ["IND", "1", "", "G-"])
def test_a_bad_country_is_a_usage_error(capsys, bad):
    with pytest.raises(SystemExit) as caught:
        main(["help-lines", "--country", bad])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "two-letter country code" in err and "Traceback" not in err


def test_the_installed_command_runs():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "ur_PK.UTF-8", "LC_ALL": "", "LANGUAGE": "",
           "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "share_guard", "help-lines"], capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.index("Cyber Harassment Helpline") < proc.stdout.index("StopNCII.org")
    # in Urdu (the locale's language): the numbers as they are, the words from the catalog
    import gettext

    from share_guard.core import i18n

    with (i18n.locale_dir() / "ur" / "LC_MESSAGES" / "share_guard.mo").open("rb") as f:
        urdu = gettext.GNUTranslations(f).pgettext("helplines", "Toll-free. Every day, 9 am to 5 pm.")
    assert urdu != "Toll-free. Every day, 9 am to 5 pm."
    assert "0800-39393" in proc.stdout and urdu in proc.stdout
