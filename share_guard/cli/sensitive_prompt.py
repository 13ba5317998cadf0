"""The calm warning on the terminal before ``clean`` shares a photo that may show nudity:
the app's words and choices ("Don't share" first), typed as a number."""

from __future__ import annotations

from collections.abc import Callable

from share_guard.cli.common import say
from share_guard.core.family import sensitive_words as words
from share_guard.core.i18n import _, translated


def helplines_text() -> list[str]:
    """The offline helplines table, as lines, the country the locale names first (the
    app's help page and ``share-guard help-lines`` show the same)."""
    import os

    from share_guard.cli.helplines_cmd import language_for, render
    from share_guard.core.helplines import country_from_locale, environment_locale, load

    where = environment_locale(os.environ)
    heading = _("Helplines and reporting services, your country first:")
    return [heading, "", *render(load(), country_from_locale(where), language_for(where))]


def calm_warning(mode: str, count: int, ask: Callable[[str], str] = input) -> str:
    """Show the warning and return the choice (a ``sensitive_words`` key). Enter, a wrong
    answer or the end of input is "Don't share"."""
    say("")
    for line in (words.heading(count), words.BODY, words.PRIVATE):
        say(f"  {translated(line)}")
    options = words.choices(mode)
    while True:
        say("")
        for n, key in enumerate(options, 1):
            say(f"  {n}. {translated(words.CHOICE_WORDS[key])}")
        try:
            typed = ask("  " + _("Your choice [1]: ")).strip()
        except EOFError:
            typed = ""
        choice = options[int(typed) - 1] if typed.isdigit() and 1 <= int(typed) <= len(
            options) else words.DONT_SHARE
        if choice == words.TALK_TO_SOMEONE:
            say(f"  {translated(words.TALK)}")
        elif choice == words.GET_HELP:
            for line in helplines_text():
                say(f"  {line}")
        else:
            return choice
