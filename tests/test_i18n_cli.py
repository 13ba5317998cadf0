"""The command line in the language chosen: ``--lang``, the remembered choice
(``share-guard language``, shared with the app), the environment; every line a person reads
translated (pseudo-translated catalog: "⟦TEXT⟧"), JSON left in English."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from i18n_fixtures import _unescape, marked_entries, pseudo, write_mo
from jpeg_fixtures import exif_bytes, pixels, plain_jpeg

from share_guard.cli import main
from share_guard.core import i18n
from share_guard.core.report import Category

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--no-isolation", "--no-faces"]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "gps.jpg").write_bytes(plain_jpeg(pixels(), exif=exif_bytes(gps=True)))
    (folder / "plain.jpg").write_bytes(plain_jpeg(pixels(seed=2)))
    return folder


@pytest.fixture
def no_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def pseudo_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "\u27e6" in line]


@pytest.fixture(scope="session")
def _core_locale_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pseudo catalog with, in addition, the core's category labels and the finding
    names a GPS photo shows, in case the core has not marked them yet (once it has, these
    entries are the same ones): the CLI's part is to show them through translated()."""
    tmp = tmp_path_factory.mktemp("i18n-cli")
    entries: dict[str, str] = {}
    for context, msgid, plural in marked_entries(tmp):
        msgid, plural = _unescape(msgid), _unescape(plural)
        key = f"{context}\x04{msgid}" if context else msgid
        entries[f"{key}\0{plural}" if plural else key] = \
            f"{pseudo(msgid)}\0{pseudo(plural)}" if plural else pseudo(msgid)
    for text in [c.label for c in Category] + ["GPS position", "GPS altitude", "Camera make",
                                               "Camera model"]:
        entries.setdefault(text, pseudo(text))
    folder = tmp / "locale"
    write_mo(folder / "hi" / "LC_MESSAGES" / "share_guard.mo", entries,
             "nplurals=2; plural=(n != 1);")
    return folder


@pytest.fixture
def pseudo_core(pseudo_language: str, _core_locale_dir: Path,
                monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(i18n, "locale_dir", lambda: _core_locale_dir)
    assert i18n.set_language("hi") == "hi"
    return pseudo_language


def test_lang_translates_what_inspect_prints(pseudo_core, no_locale, photos, capsys) -> None:
    assert main(["--lang", "hi", "inspect", *FAST, str(photos / "gps.jpg"),
                 str(photos / "plain.jpg")]) == 1
    out = capsys.readouterr().out.splitlines()
    # the headline: the count and the kinds, each in the language
    assert any(line.endswith("gps.jpg: \u27e64 THINGS FOUND (\u27e6LOCATION\u27e7, "
                             "\u27e6WHICH DEVICE\u27e7)\u27e7") for line in out), out
    assert any(line.endswith("plain.jpg: \u27e6NOTHING FOUND\u27e7") for line in out)
    assert "  \u27e6LOCATION\u27e7:" in out and "  \u27e6WHICH DEVICE\u27e7:" in out
    assert any(line.startswith("    - \u27e6GPS POSITION\u27e7: ") for line in out)
    assert any(line.startswith("    - \u27e6CAMERA MAKE\u27e7: ") for line in out)
    assert out[-1] == ("\u27e62 FILES CHECKED\u27e7: \u27e62 READY\u27e7 (\u27e61 WITH SOMETHING "
                       "TO TAKE OUT\u27e7, \u27e61 WITH NOTHING FOUND\u27e7)")


def test_locale_style_lang_and_the_environment(pseudo_language, no_locale, photos, capsys,
                                               monkeypatch) -> None:
    assert main(["--lang=hi_IN", "inspect", *FAST, str(photos / "plain.jpg")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("\u27e61 FILE CHECKED\u27e7: ")
    i18n.set_language("en")
    monkeypatch.setenv("LANG", "hi_IN.UTF-8")  # no --lang: the environment's language
    assert main(["inspect", *FAST, str(photos / "gps.jpg")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "THINGS FOUND" in out[0] and out[-1].startswith("\u27e61 FILE CHECKED\u27e7: ")
    assert i18n.language() == "hi"


def test_english_is_unchanged_without_a_language(no_locale, photos, capsys) -> None:
    assert main(["inspect", *FAST, str(photos / "gps.jpg"), str(photos / "plain.jpg")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("gps.jpg: 4 things found (Location, Which device)")
    assert out[-1] == "2 files checked: 2 ready (1 with something to take out, 1 with nothing found)"
    assert not pseudo_lines("\n".join(out))


def test_help_texts_are_translated(pseudo_language, no_locale, capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--lang", "hi", "inspect", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "\u27e6FILES OR FOLDERS (WALKED)\u27e7" in out
    assert "\u27e6ALSO LIST WHAT IS KEPT ON PURPOSE\u27e7" in out
    # argparse's own words too
    assert out.startswith("\u27e6USAGE: \u27e7share-guard inspect")
    assert "\u27e6SHOW THIS HELP MESSAGE AND EXIT\u27e7" in out


def test_argparse_errors_survive_a_translation_that_breaks_their_fields(pseudo_language,
                                                                       capsys) -> None:
    # the pseudo catalog upper-cases "%s" to "%S", as a careless translation might break it:
    # the English is used for that message, and the error is still one clean line
    with pytest.raises(SystemExit) as done:
        main(["--lang", "hi", "inspect"])
    assert done.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].endswith("the following arguments are required: PATH\u27e7")


def test_an_unknown_lang_is_one_usage_line(photos, capsys) -> None:
    assert main(["--lang", "xx", "inspect", str(photos / "gps.jpg")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "'xx'" in lines[0]
    assert all(code in lines[0] for code in i18n.LANGUAGES)


def test_language_is_remembered_and_forgotten(pseudo_language, no_locale, tmp_path, photos,
                                              capsys) -> None:
    data = tmp_path / "state"
    i18n.set_language("en")
    assert main(["--data-dir", str(data), "language", "hi"]) == 0
    assert (data / i18n.REMEMBERED).read_text(encoding="utf-8") == "hi\n"  # the app's file
    assert "\u27e6" in capsys.readouterr().out  # said in the language just chosen
    i18n.set_language("en")
    assert main(["--data-dir", str(data), "inspect", *FAST, str(photos / "plain.jpg")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("\u27e61 FILE CHECKED\u27e7")

    assert main(["--data-dir", str(data), "language"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert "* hi     \u0939\u093f\u0928\u094d\u0926\u0940" in listing  # named in itself, marked
    assert "  en     English" in listing

    assert main(["--data-dir", str(data), "language", "system"]) == 0
    assert not (data / i18n.REMEMBERED).exists()
    assert "\u27e6" not in capsys.readouterr().out  # the system's language: English here
    assert main(["--data-dir", str(data), "inspect", *FAST, str(photos / "plain.jpg")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("1 file checked")


def test_language_follows_share_guard_home(pseudo_language, no_locale, tmp_path, monkeypatch,
                                           capsys) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SHARE_GUARD_HOME", str(home))
    assert main(["language", "pt-BR"]) == 0
    assert (home / i18n.REMEMBERED).read_text(encoding="utf-8") == "pt_BR\n"
    assert main(["language", "klingon"]) == 2
    assert "'klingon'" in capsys.readouterr().err
    assert (home / i18n.REMEMBERED).read_text(encoding="utf-8") == "pt_BR\n"


def test_plurals_come_from_the_catalog(pseudo_language, no_locale, photos, tmp_path,
                                       capsys) -> None:
    data = ["--data-dir", str(tmp_path / "state")]
    assert main(["--lang", "hi", *data, "takedown", "check", str(photos / "gps.jpg")]) == 0
    one = capsys.readouterr().out.splitlines()[-1]
    assert main(["--lang", "hi", *data, "takedown", "check", str(photos)]) == 0
    two = capsys.readouterr().out.splitlines()[-1]
    assert one.startswith("\u27e61 FILE CHECKED\u27e7: ")
    assert two.startswith("\u27e62 FILES CHECKED\u27e7: ")
    assert main(["--lang", "hi", *data, "consent", "delete", "7"]) == 1
    assert capsys.readouterr().out.strip() == "\u27e6DELETED 0 RECORDS.\u27e7"


def test_json_stays_english(pseudo_core, no_locale, photos, capsys) -> None:
    args = ["inspect", "--json", *FAST, str(photos)]
    assert main(args) == 1
    english = capsys.readouterr().out
    assert main(["--lang", "hi", *args]) == 1
    assert capsys.readouterr().out == english
    assert "\u27e6" not in english and json.loads(english)["files"]


def test_yes_in_the_language_and_in_english(pseudo_language) -> None:
    from share_guard.cli.common import is_yes

    assert is_yes("y") and is_yes(" YES ") and is_yes("\u27e6y\u27e7")
    assert not is_yes("") and not is_yes("n") and not is_yes("\u27e6")


def test_the_calm_warning_asks_in_the_language(pseudo_language, capsys) -> None:
    from share_guard.cli.sensitive_prompt import calm_warning
    from share_guard.core.family import sensitive_words as words

    asked: list[str] = []
    assert calm_warning("warn", 1, ask=lambda prompt: asked.append(prompt) or "") == \
        words.DONT_SHARE
    assert asked == ["  \u27e6YOUR CHOICE [1]: \u27e7"]


def test_version_loads_no_command_and_no_catalog() -> None:
    code = ("import sys; from share_guard.cli import main; assert main(['--version']) == 0; "
            "print(sorted(m for m in sys.modules if m.startswith('share_guard.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "LANG": "hi_IN.UTF-8"},
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    version, loaded = proc.stdout.splitlines()
    assert version.startswith("share_guard ")
    assert "share_guard.core.i18n" not in loaded and "_cmd" not in loaded


def test_every_cli_string_is_extractable() -> None:
    sys.path.insert(0, str(ROOT / "packaging"))
    import i18n as workflow

    assert workflow.unextractable(sorted((ROOT / "share_guard" / "cli").rglob("*.py"))) == []
    entry = ROOT / "share_guard" / "__main__.py"
    assert workflow.unextractable([entry, ROOT / "share_guard" / "launch.py"]) == []


def test_the_window_launcher_passes_the_language_on(monkeypatch) -> None:
    import share_guard.cli
    from share_guard import launch

    seen: list[list[str]] = []
    monkeypatch.setattr(share_guard.cli, "main", lambda argv: seen.append(list(argv)) or 0)
    assert launch.gui_main(["--lang", "ur", "/p/x.jpg"]) == 0
    assert seen == [["--lang", "ur", "gui", "--", "/p/x.jpg"]]


def test_yes_typed_without_its_accent_is_yes(monkeypatch) -> None:
    from share_guard.cli import common

    words = {"y": "s", "yes": "sí"}
    monkeypatch.setattr(common, "pgettext", lambda ctx, text: words[text])
    assert common.is_yes("si") and common.is_yes(" SÍ ") and common.is_yes("s")
    assert common.is_yes("y") and not common.is_yes("no") and not common.is_yes("")
    words = {"y": "y", "yes": "हाँ"}
    assert common.is_yes("हाँ") and not common.is_yes("हा")  # other scripts keep their signs
