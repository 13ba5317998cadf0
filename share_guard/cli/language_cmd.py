"""share-guard language [CODE|system]: the languages, and the one remembered for next time.

The choice is kept in the data folder's ``language`` file, the same one the app's language
menu writes: choosing here changes the app too, and the other way round.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from share_guard.cli.common import say, warn
from share_guard.core import i18n
from share_guard.core.i18n import _
from share_guard.core.paths import data_dir

EXIT_OK, EXIT_USAGE = 0, 2
SYSTEM = "system"


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("language", help=_("show the languages, or choose one for next time"),
                        description=_("With no CODE: the languages, the one in use marked. With "
                                      "a CODE: use that language from now on, here and in the "
                                      "app. With 'system': follow the system's language again."))
    p.add_argument("code", nargs="?", metavar="CODE",
                   help=_("a language code (hi, bn, ur, ta, te, mr, es, pt_BR, ar, fr, en) or "
                          "'system'"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.code is None:
        for line in listing(data_dir(args.data_dir, create=False)):
            say(line)
        return EXIT_OK
    folder = data_dir(args.data_dir)
    if args.code.strip().lower() == SYSTEM:
        i18n.remember(folder, None)
        code = i18n.choose(None, folder)
        i18n.set_language(code)
        say(_("The language follows the system again (now: {name}).").format(
            name=i18n.LANGUAGES[code]))
        return EXIT_OK
    try:
        code = i18n.choose(args.code)
    except ValueError:
        warn(_("no translation for {code}; choose one of: {codes}").format(
            code=i18n.isolate(repr(args.code)), codes=", ".join(i18n.LANGUAGES)))
        return EXIT_USAGE
    i18n.remember(folder, code)
    i18n.set_language(code)
    say(_("From now on share_guard speaks {name}, here and in the app.").format(
        name=i18n.LANGUAGES[code]))
    return EXIT_OK


def listing(folder: Path) -> list[str]:
    """Each language named in itself, the one in use marked with "*", and where the choice
    comes from (``folder``: the data folder)."""
    from share_guard.cli import Asked

    current = Asked.code
    lines = [f"{'*' if code == current else ' '} {code:<6} {i18n.isolate(name)}"
             for code, name in i18n.LANGUAGES.items()]
    lines.append("")
    if i18n.remembered(folder) is not None:
        lines.append(_("Chosen with 'share-guard language'; 'share-guard language system' "
                       "follows the system's language again."))
    else:
        lines.append(_("Following the system's language; 'share-guard language CODE' chooses "
                       "one for next time."))
    return lines
