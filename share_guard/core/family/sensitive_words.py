"""The words of the calm warning before a photo that may show nudity is shared.

One text for both front ends: the app's full-window screen and the terminal's
(``share-guard clean``) say the same thing and offer the same choices, in the same
order, "Don't share" first. The app passes these through its translations.
"""

from __future__ import annotations

HEADING = "This may show someone without clothes."
#: the heading for a batch: whole sentences per count ("{n}" is the number)
HEADING_MANY = "{n} of these may show someone without clothes."
BODY = ("Sharing it can hurt them and may be illegal, even if it's you. Once a picture is sent, "
        "you can't take it back.")
PRIVATE = "Nobody has been told about this. It stays between you and this computer."
TALK = ("You are not in trouble for stopping to think. A parent, a teacher, a school counsellor "
        "or another adult you trust can help, also if someone is asking or pushing you to "
        "send pictures. You can show them this screen.")

#: what the person may choose, as keys (front ends show the words below)
DONT_SHARE, TALK_TO_SOMEONE, GET_HELP, PARENT, SHARE_ANYWAY = (
    "dont_share", "talk", "help", "parent", "share_anyway")
CHOICE_WORDS = {
    DONT_SHARE: "Don't share",
    TALK_TO_SOMEONE: "Talk to someone you trust",
    GET_HELP: "Get help",
    PARENT: "A parent is here",
    SHARE_ANYWAY: "Share anyway",
}


def heading(count: int) -> str:
    return HEADING if count == 1 else HEADING_MANY.format(n=count)


def choices(mode: str) -> tuple[str, ...]:
    """The choices under the policy's ``sensitive`` rule: "gate" ends with "A parent is
    here", "warn" with "Share anyway", "block" offers no way on."""
    way_on = {"gate": (PARENT,), "warn": (SHARE_ANYWAY,)}.get(mode, ())
    return (DONT_SHARE, TALK_TO_SOMEONE, GET_HELP, *way_on)
