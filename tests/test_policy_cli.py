"""share-guard policy / consent, and clean under a locked family policy."""

from __future__ import annotations

import getpass
import io
import json
import sys

import pytest
from family_fixtures import PASS, cheap_scrypt, fake_model, gps_jpeg  # noqa: F401 - fixtures

from share_guard.cli import main
from share_guard.core.family.lock import load_state
from share_guard.core.family.policy import PRESETS, STRICTEST
from share_guard.core.inspect import inspect
from share_guard.core.report import Category

pytestmark = pytest.mark.usefixtures("cheap_scrypt", "fake_model")


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def stdin(monkeypatch, text: str, tty: bool = False) -> None:
    monkeypatch.setattr(sys, "stdin", FakeTTY(text) if tty else io.StringIO(text))


def typed(monkeypatch, *answers: str) -> list[str]:
    """Passphrases typed at getpass prompts; returns the prompts shown."""
    queue, prompts = list(answers), []

    def fake(prompt: str = "") -> str:
        prompts.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)

    monkeypatch.setattr(getpass, "getpass", fake)
    return prompts


def show(capsys) -> dict:
    capsys.readouterr()
    assert main(["policy", "show", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def lock_family(monkeypatch, capsys) -> None:
    stdin(monkeypatch, PASS + "\n")
    assert main(["policy", "lock", "--preset", "family", "--passphrase-stdin"]) == 0
    capsys.readouterr()


def test_show_default(capsys):
    doc = show(capsys)
    assert doc["status"] == "default" and doc["preset"] == "default" and not doc["locked"]
    assert main(["policy", "show"]) == 0
    out = capsys.readouterr().out
    assert "not set" in out and "sensitive = allow" in out


def test_lock_with_stdin_then_show(monkeypatch, capsys):
    lock_family(monkeypatch, capsys)
    doc = show(capsys)
    assert doc["status"] == "locked" and doc["preset"] == "family"
    assert doc["policy"] == PRESETS["family"].to_dict()
    assert PASS not in load_state().folders.policy_file.read_text()


def test_lock_on_a_terminal_asks_twice(monkeypatch, capsys):
    stdin(monkeypatch, "", tty=True)
    prompts = typed(monkeypatch, PASS, PASS)
    assert main(["policy", "lock", "--preset", "family"]) == 0
    assert len(prompts) == 2
    assert show(capsys)["status"] == "locked"


def test_lock_on_a_terminal_refuses_different_passphrases(monkeypatch, capsys):
    stdin(monkeypatch, "", tty=True)
    typed(monkeypatch, PASS, PASS + "x")
    assert main(["policy", "lock", "--preset", "family"]) == 1
    assert "differ" in capsys.readouterr().err
    assert show(capsys)["status"] == "default"


def test_lock_without_a_terminal_or_stdin_flag_is_refused(monkeypatch, capsys):
    stdin(monkeypatch, "")
    assert main(["policy", "lock", "--preset", "family"]) == 1
    assert "passphrase-stdin" in capsys.readouterr().err


def test_locked_policy_cannot_be_changed_without_the_passphrase(monkeypatch, capsys):
    lock_family(monkeypatch, capsys)
    stdin(monkeypatch, "")
    assert main(["policy", "set", "sensitive", "allow"]) == 1
    stdin(monkeypatch, "wrong passphrase\n")
    assert main(["policy", "set", "sensitive", "allow", "--passphrase-stdin"]) == 1
    assert "not the parent passphrase" in capsys.readouterr().err
    stdin(monkeypatch, "")
    assert main(["policy", "unlock"]) == 1
    # A preset re-lock without the current passphrase is refused too.
    stdin(monkeypatch, "child's new passphrase\n")
    assert main(["policy", "lock", "--preset", "default", "--passphrase-stdin"]) == 1
    assert show(capsys)["policy"]["sensitive"] == "gate"
    stdin(monkeypatch, PASS + "\n")
    assert main(["policy", "set", "sensitive", "block", "--passphrase-stdin"]) == 0
    doc = show(capsys)
    assert doc["policy"]["sensitive"] == "block" and doc["status"] == "locked"


def test_relock_reads_current_then_new(monkeypatch, capsys):
    lock_family(monkeypatch, capsys)
    stdin(monkeypatch, f"{PASS}\nanother passphrase\n")
    assert main(["policy", "lock", "--passphrase-stdin"]) == 0
    stdin(monkeypatch, "another passphrase\n")
    assert main(["policy", "unlock", "--passphrase-stdin"]) == 0
    doc = show(capsys)
    assert doc["status"] == "unlocked" and doc["preset"] == "family"


@pytest.mark.parametrize("args", [["sensitive", "maybe"], ["ask_consent", "perhaps"],
                                  ["allowed_output_folders", "/no/such/folder"]])
def test_bad_values_are_usage_errors(args, capsys):
    assert main(["policy", "set", *args]) == 2


def test_unknown_rule_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["policy", "set", "no_such_rule", "true"])
    assert info.value.code == 2


def test_set_while_unlocked_needs_no_passphrase(capsys):
    assert main(["policy", "set", "audit", "true"]) == 0
    assert show(capsys)["policy"]["audit"] is True


def test_tampered_file_shows_and_falls_back_to_strict(monkeypatch, capsys):
    lock_family(monkeypatch, capsys)
    path = load_state().folders.policy_file
    doc = json.loads(path.read_text())
    doc["policy"]["sensitive"] = "allow"
    path.write_text(json.dumps(doc))
    shown = show(capsys)
    assert shown["status"] == "tampered" and shown["policy"] == STRICTEST.to_dict()
    assert shown["stored"]["sensitive"] == "allow"
    assert main(["policy", "show"]) == 0
    assert "TAMPERED" in capsys.readouterr().out


# -- clean under the policy -------------------------------------------------------------------

def _clean(tmp_path, *paths, extra=()):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    # --no-isolation: the fake_model fixture patches this process, not the checker's workers
    return main(["clean", "--no-isolation", "-o", str(out), *extra, *map(str, paths)]), out


def test_consent_flag_cannot_skip_consent_under_the_family_policy(monkeypatch, capsys, tmp_path):
    lock_family(monkeypatch, capsys)
    stdin(monkeypatch, "")
    # Flags and variables that might move or loosen the policy do nothing.
    monkeypatch.setenv("SHARE_GUARD_HOME", str(tmp_path / "elsewhere"))
    code, out = _clean(tmp_path, gps_jpeg(tmp_path),
                       extra=["--consent", "--overwrite", "--rebuild"])
    assert code == 1 and not list(out.iterdir())
    err = capsys.readouterr().err
    assert "--consent is not accepted" in err
    assert "pass --consent" not in err, "the refusal must not suggest the flag it just refused"
    code, out = main(["--data-dir", str(tmp_path / "d2"), "clean", "--consent", "-o",
                      str(out), str(gps_jpeg(tmp_path, "b.jpg"))]), out
    assert code == 1 and not list(out.iterdir())


def test_consent_flag_works_without_a_policy(monkeypatch, capsys, tmp_path):
    stdin(monkeypatch, "")
    code, out = _clean(tmp_path, gps_jpeg(tmp_path), extra=["--consent"])
    assert code == 0 and len(list(out.iterdir())) == 1


def test_terminal_consent_strips_gps_under_the_family_policy(monkeypatch, capsys, tmp_path):
    lock_family(monkeypatch, capsys)
    stdin(monkeypatch, "y\ny\n", tty=True)
    code, out = _clean(tmp_path, gps_jpeg(tmp_path))
    assert code == 0, capsys.readouterr()
    [copy] = out.iterdir()
    assert not inspect(copy).by_category(Category.LOCATION)


def test_flagged_photo_needs_the_passphrase_on_the_terminal(monkeypatch, capsys, tmp_path):
    lock_family(monkeypatch, capsys)
    flagged = gps_jpeg(tmp_path, "flagged.jpg")
    stdin(monkeypatch, "", tty=False)
    code, out = _clean(tmp_path, flagged, extra=["--json"])
    assert code == 1 and not list(out.iterdir())
    assert "parent" in json.loads(capsys.readouterr().out)["files"][0]["reason"]

    # the app's calm choices on the terminal: "Don't share" first and the default; talking
    # to someone and the helplines are there before any passphrase
    stdin(monkeypatch, "2\n3\n\n", tty=True)
    prompts = typed(monkeypatch, PASS)
    code, out = _clean(tmp_path, flagged)
    text = capsys.readouterr().out
    assert code == 1 and not list(out.iterdir()) and not prompts
    assert "1. Don't share" in text and "4. A parent is here" in text
    assert "You are not in trouble" in text and "Helplines" in text
    assert text.rstrip().endswith("Nothing was shared.")

    stdin(monkeypatch, "4\ny\ny\n", tty=True)
    typed(monkeypatch, "not it at all", "", "")
    code, out = _clean(tmp_path, flagged)
    assert code == 1 and not list(out.iterdir())

    stdin(monkeypatch, "4\ny\ny\n", tty=True)
    prompts = typed(monkeypatch, PASS)
    code, out = _clean(tmp_path, flagged)
    assert code == 0 and len(list(out.iterdir())) == 1
    assert len(prompts) == 1 and "without clothes" in capsys.readouterr().out


def test_consent_log_delete_and_clear(monkeypatch, capsys, tmp_path):
    stdin(monkeypatch, "")
    for name in ("one.jpg", "two.jpg"):
        assert _clean(tmp_path, gps_jpeg(tmp_path, name), extra=["--consent"])[0] == 0
    capsys.readouterr()
    assert main(["consent", "log"]) == 0
    text = capsys.readouterr().out
    assert "#1" in text and "#2" in text and "removed: Location" in text
    assert "one.jpg" not in text and str(tmp_path) not in text
    assert main(["consent", "log", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)["records"]
    assert [r["id"] for r in records] == [2, 1] and records[0]["via"] == "flag"
    assert main(["consent", "delete", "1"]) == 0
    assert main(["consent", "delete", "1"]) == 1  # already gone
    assert main(["consent", "clear"]) == 2  # no terminal: needs --yes
    assert main(["consent", "clear", "--yes"]) == 0
    capsys.readouterr()
    assert main(["consent", "log"]) == 0
    assert "No consent records" in capsys.readouterr().out


def test_inspect_shows_the_warning_only_when_the_policy_checks(monkeypatch, capsys, tmp_path):
    flagged = gps_jpeg(tmp_path, "flagged.jpg")
    # --no-isolation: the fake_model fixture patches this process, not the checker's workers
    assert main(["inspect", "--no-isolation", str(flagged)]) == 1
    assert "Sensitive content" not in capsys.readouterr().out
    lock_family(monkeypatch, capsys)
    assert main(["inspect", "--no-isolation", str(flagged)]) == 1
    out = capsys.readouterr().out
    assert "Sensitive content:" in out and "May show nudity" in out


def test_moving_the_data_folder_does_not_escape_the_takedown_list(monkeypatch, capsys, tmp_path):
    lock_family(monkeypatch, capsys)
    photo = gps_jpeg(tmp_path, "listed.jpg")
    account = load_state().folders.data
    assert main(["--data-dir", str(account), "takedown", "add", "--label", "test entry", str(photo)]) == 0
    # The child points share_guard at an empty data folder: no takedown list there ...
    monkeypatch.setenv("SHARE_GUARD_HOME", str(tmp_path / "empty-home"))
    stdin(monkeypatch, "y\ny\n", tty=True)
    code, out = _clean(tmp_path, photo)
    # ... but the locked policy still checks the list that goes with it.
    assert code == 1 and not list(out.iterdir())
    assert "takedown list" in capsys.readouterr().out


def test_withdrawing_a_takedown_entry_needs_the_parent_under_the_lock(monkeypatch, capsys, tmp_path):
    # The child ran `takedown remove --item ...` and then exported the listed photo.
    lock_family(monkeypatch, capsys)
    photo = gps_jpeg(tmp_path, "listed.jpg")
    assert main(["takedown", "add", "--label", "case 12", str(photo)]) == 0
    capsys.readouterr()
    assert main(["takedown", "list", "--json"]) == 0
    item = json.loads(capsys.readouterr().out)["entries"][0]["item"]
    listing = tmp_path / "empty.jsonl"
    assert main(["takedown", "export", str(listing)]) == 0
    capsys.readouterr()
    for attempt in (["takedown", "remove", "--item", item],
                    ["takedown", "import", str(listing)]):
        for typed_in, tty in (("", False), ("guess-guess\n", True)):
            stdin(monkeypatch, typed_in, tty=tty)
            typed(monkeypatch, typed_in.strip())
            assert main(attempt) == 1, attempt
            err = capsys.readouterr().err
            assert "passphrase" in err and "nothing was changed" in err, err
    assert main(["takedown", "check", str(photo)]) == 1, "still on the list"
    stdin(monkeypatch, PASS + "\n")
    assert main(["takedown", "remove", "--item", item, "--passphrase-stdin"]) == 0
    assert main(["takedown", "check", str(photo)]) == 0


def test_family_preset_asks_the_people_question_on_the_terminal(monkeypatch, capsys, tmp_path):
    """`clean` of a photo with people under the family preset printed "nothing identifying
    found", asked the two usual questions and wrote the faces uncovered. Faces are looked
    for by default; the copy's coverage is told, then the people question, before writing."""
    from test_sandbox_boundary import astronaut

    from share_guard.core.export.consent import FACES_CONFIRMED, statement

    lock_family(monkeypatch, capsys)
    photo = astronaut(tmp_path / "astronaut.jpg")
    people = statement(FACES_CONFIRMED)
    stdin(monkeypatch, "y\ny\nn\n", tty=True)  # no to the people question
    code, out = _clean(tmp_path, photo)
    text = capsys.readouterr().out
    assert code == 1 and not list(out.iterdir()), text
    assert text.index("astronaut.jpg in the picture: NOT covered: 1 face") < text.index(people)

    stdin(monkeypatch, "y\ny\ny\n", tty=True)
    code, out = _clean(tmp_path, photo)
    text = capsys.readouterr().out
    assert code == 0 and len(list(out.iterdir())) == 1, text

    stdin(monkeypatch, "y\ny\n", tty=True)  # covered: the two usual questions only
    code, out = _clean(tmp_path, photo, extra=["--redact-faces"])
    text = capsys.readouterr().out
    assert code == 0 and "in the picture: covered: 1 face" in text and people not in text
    assert "covered (solid fill): 1 face" in text

    stdin(monkeypatch, "y\ny\nn\n", tty=True)  # --no-faces cannot skip the family face rule
    code, out = _clean(tmp_path, photo, extra=["--no-faces"])
    text = capsys.readouterr().out
    assert code == 1 and people in text and len(list(out.iterdir())) == 2
