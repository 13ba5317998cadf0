"""XMP packets -> findings in plain words.

XMP is attacker-controlled XML: packets with a DOCTYPE (entity tricks) are
not parsed, size is capped, and expat's own amplification guards apply.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - DOCTYPE refused below; expat guards expansion
from collections import Counter
from functools import lru_cache

from share_guard.core.budget import Collector, exhausted, spend, unread
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category, Finding

MAX_XMP_BYTES = 16 * 1024 * 1024
#: markup tags ("<") one packet may hold: each costs a few microseconds to parse and walk.
#: Photoshop's runaway DocumentAncestors lists reach about 100,000 entries; more is refused
#: as more than share_guard lists (it would take seconds, and gigabytes as a tree)
MAX_XMP_TAGS = 400_000
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"

# local property name (lower case) -> category
_LOCATION = {"gpslatitude", "gpslongitude", "gpsaltitude", "gpsposition", "location", "city",
             "state", "country", "countrycode", "sublocation", "locationcreated",
             "locationshown", "provincestate", "gpsdestlatitude", "gpsdestlongitude",
             "worldregion", "locationname"}
_IDENTITY = {"creator", "artist", "author", "rights", "copyright", "owner", "ownername",
             "cameraownername", "credit", "authorsposition", "captionwriter", "contributor",
             "publisher", "personinimage", "ciemailwork", "ciadrcity", "citelwork", "ciurlwork",
             "usageterms", "webstatement", "documentid", "instanceid", "originaldocumentid",
             "imageuniqueid", "marked", "name", "attributionname", "ciadrextadr"}
_DEVICE = {"make", "model", "serialnumber", "lensserialnumber", "lens", "lensmodel", "lensid",
           "lensinfo", "creatortool", "software", "cameraserialnumber", "bodyserialnumber",
           "internalserialnumber", "firmware", "lensmake"}
_TIME = {"createdate", "modifydate", "metadatadate", "datecreated", "datetimeoriginal",
         "datetimedigitized", "when", "dateacquired", "gpstimestamp", "gpsdatestamp"}
_HIDDEN = {"history", "derivedfrom", "pantry", "ingredients", "textlayers", "motionphoto",
           "microvideo", "microvideooffset", "motionphotopresentationtimestampus",
           "hasextendedxmp", "data", "directory", "item", "regions", "regionlist"}
_GROUPED = {"history", "derivedfrom", "pantry", "ingredients"}
_NS_HIDDEN = ("http://ns.adobe.com/camera-raw-settings/", "http://ns.google.com/photos/")
_NS_NAMES = {
    "http://ns.adobe.com/exif/1.0/": "exif", "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://purl.org/dc/elements/1.1/": "dc", "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM", "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/exif/1.0/aux/": "aux", "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
}

_WHY = {
    Category.LOCATION: N_("shows where the photo was taken"),
    Category.IDENTITY: N_("can name or track the person behind the photo"),
    Category.DEVICE: N_("tells which device or software made it"),
    Category.TIME: N_("tells when it was made"),
    Category.HIDDEN: N_("hidden data such as edit history or an embedded video"),
    Category.OTHER: N_("descriptive text; removed"),
}


@lru_cache(maxsize=4096)  # a flood repeats a few names: each is classified once
def classify(local: str, namespace: str) -> Category:
    key = local.lower()
    if key.startswith("gps") and key not in _TIME:
        return Category.LOCATION
    for names, category in ((_LOCATION, Category.LOCATION), (_IDENTITY, Category.IDENTITY),
                            (_DEVICE, Category.DEVICE), (_TIME, Category.TIME),
                            (_HIDDEN, Category.HIDDEN)):
        if key in names:
            return category
    if namespace.startswith(_NS_HIDDEN):
        return Category.HIDDEN
    return Category.OTHER


def xmp_findings(packet: bytes, where: str = "XMP") -> list[Finding]:
    """Describe an XMP packet. Never raises: unreadable XML is one UNKNOWN finding."""
    if exhausted():  # the file has had its share: this packet goes unread (and is removed)
        return [unread("XMP")]
    if len(packet) > MAX_XMP_BYTES or b"<!DOCTYPE" in packet[:4096].upper() or b"<!ENTITY" in packet:
        return [_unreadable(where, packet, "it is too large or declares entities")]
    if packet.count(b"<") > MAX_XMP_TAGS:  # counted at C speed, before any parsing
        return [unread("XMP")]
    text = packet.strip(b"\x00 \r\n\t")
    try:
        root = ET.fromstring(text)  # noqa: S314 - see module docstring
    except ET.ParseError:
        return [_unreadable(where, packet, "it is not well-formed XML")]
    props = _properties(root)
    del root
    spend(len(props))
    if not props:
        return [Finding(Category.OTHER, where, N_("XMP packet"), f"{len(packet)} bytes",
                        N_("an empty metadata packet; removed"))]
    found = Collector()  # 50,000 dc:creator items are one finding with a count
    rest: Counter[str] = Counter()
    grouped: Counter[str] = Counter()
    for top, ns, local, value in props:
        if top.lower() in _GROUPED:
            grouped[top] += 1
            continue
        category = classify(local, ns)
        if category is Category.OTHER:
            rest[local] += 1
            continue
        prefix = _NS_NAMES.get(ns, "")
        name = f"{prefix}:{local}" if prefix else local
        # Translators: a metadata field's name, then why it matters ("Artist: names the person...")
        why = message(N_("{name}: {why}"), name=local, why=_WHY[category])
        found.add(category, where, name, value or "(structure)", why)
    for local, n in grouped.items():
        label = N_("Edit history") if local.lower() == "history" else message(
            N_("Source documents ({local})"), local=local)
        found.add(Category.HIDDEN, where, label, f"{n} values",
                  N_("records of earlier versions and edits of this picture"))
    if rest:
        names = ", ".join(sorted(rest)[:6])
        found.add(Category.OTHER, where, N_("Other XMP properties"),
                  f"{sum(rest.values())} ({names})", _WHY[Category.OTHER])
    return found.findings()


def _unreadable(where: str, packet: bytes, why: str) -> Finding:
    return Finding(Category.UNKNOWN, where, N_("Unreadable XMP packet"), f"{len(packet)} bytes",
                   message(N_("metadata we could not read because {why}; it is removed"), why=why))


_SKIP_LOCAL = {"RDF", "Description", "li", "Seq", "Bag", "Alt", "xmpmeta", "value"}


def _properties(root: ET.Element) -> list[tuple[str, str, str, str]]:
    """Flatten an XMP tree into (top-level property, namespace, local name, text) leaves."""
    out: list[tuple[str, str, str, str]] = []
    # (element, top-level property name, owning property namespace, owning property name)
    stack: list[tuple[ET.Element, str, str, str]] = [(root, "", "", "")]
    while stack:  # bounded: the packet holds at most MAX_XMP_TAGS elements
        elem, top, parent_ns, parent_local = stack.pop()
        ns, local = _split(elem.tag)
        named = local not in _SKIP_LOCAL
        owner_ns, owner_local = (ns, local) if named else (parent_ns, parent_local)
        if named and not top:
            top = local
        for key, value in elem.attrib.items():
            ans, alocal = _split(key)
            if ans in (_RDF[1:-1], "http://www.w3.org/XML/1998/namespace", "adobe:ns:meta/"):
                continue
            out.append((top or alocal, ans, alocal, value))
        children = list(elem)
        text = (elem.text or "").strip()
        if not children and text and owner_local:
            out.append((top, owner_ns, owner_local, text))
        for child in reversed(children):
            stack.append((child, top, owner_ns, owner_local))
    return out


@lru_cache(maxsize=4096)
def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, sep, local = tag[1:].partition("}")
        if sep:
            return ns, local
    return "", tag
