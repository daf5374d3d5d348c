"""The header's Help: what each page is for, in a short paragraph, and the docs/ section that says more.

The reference is the Markdown under docs/; the portal serves it at /help/<document>/ (`render_document`), each
heading with the anchor GitHub gives it, so a topic links to `/help/portal/#rebalance` as the README links to
`docs/portal.md#rebalance`. Raw HTML in a document is shown as text, never passed through.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

DOCS = Path(settings.BASE_DIR) / "docs"
DOCUMENT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DEFAULT_TOPIC = "home"


class Topic(NamedTuple):
    """What a page is for, and where in docs/ it is told in full."""

    title: str
    text: str
    document: str  # a docs/ file's name without .md
    section: str = ""  # a heading's anchor in it; "" for its top

    @property
    def url(self) -> str:
        return reverse("help-document", args=[self.document]) + (f"#{self.section}" if self.section else "")


_VMS = (
    "Every virtual machine of the subscription, with its status, location and availability set. Click a row to select "
    "it: the command bar then offers Connect, Start, Shut Down, Restart and Delete. New -> Compute -> Virtual Machine "
    "creates one, by Quick Create or From Gallery."
)
_MACHINE = (
    "One virtual machine. The Dashboard's quick glance tells its status, how a client reaches it (its endpoints at "
    "NAME.cloudapp.net), its internal IP address, OS disk and availability set; Monitor charts its CPU, disk and "
    "network; Endpoints maps public ports to it; Configure changes its size and availability set."
)
_CLOUD_SERVICE = (
    "A cloud service: the DNS name NAME.cloudapp.net its virtual machines share, every endpoint and load-balanced set "
    "on it, and which members each set's probe keeps in rotation."
)
_SETS = (
    "The availability sets of a cloud service and their members' fault and update domains. Two or more virtual "
    "machines that perform the same role in one set are never all stopped by planned maintenance or a rack's failure; "
    "a set out of balance offers Rebalance."
)

# Keyed by a page's URL name, or by its URL namespace for every page of an app without a topic of its own.
TOPICS: dict[str, Topic] = {
    DEFAULT_TOPIC: Topic(
        "The Management Portal",
        "The portal manages the subscription's virtual machines, cloud services, storage and networks. The navigation "
        "on the left leads to each; New along the bottom creates them, and the command bar holds what applies to the "
        "page or the selected row.",
        "portal",
        "working-in-the-portal",
    ),
    "vms:list": Topic("Virtual Machines", _VMS, "portal", "working-in-the-portal"),
    "vms:wizard": Topic("New virtual machine", _VMS, "portal", "working-in-the-portal"),
    "vms:quick-create": Topic("Quick Create", _VMS, "portal", "working-in-the-portal"),
    "vms:dashboard": Topic("A virtual machine", _MACHINE, "portal", "working-in-the-portal"),
    "vms:monitor": Topic("A virtual machine", _MACHINE, "portal", "working-in-the-portal"),
    "vms:configure": Topic("A virtual machine", _MACHINE, "portal", "working-in-the-portal"),
    "vms:connect": Topic("A virtual machine", _MACHINE, "portal", "working-in-the-portal"),
    "endpoints:cloud-service": Topic("A cloud service", _CLOUD_SERVICE, "endpoints"),
    "endpoints": Topic(
        "Endpoints",
        "A virtual machine's input endpoints: each maps a public port of its cloud service (TCP or UDP) to a private "
        "port of the machine. Endpoints of several machines that share a load-balanced set spread one public port over "
        "them, and a probe takes a member that does not answer out of rotation.",
        "endpoints",
    ),
    "vms:cloud-services": Topic(
        "Cloud Services",
        "The subscription's cloud services: each is the DNS name NAME.cloudapp.net that its virtual machines share, "
        "and holds their endpoints and availability sets. Open one for its endpoints and load-balanced sets.",
        "endpoints",
    ),
    "vms:cloud-service-create": Topic(
        "New cloud service",
        "A cloud service is the DNS name NAME.cloudapp.net that its virtual machines share.",
        "portal",
        "working-in-the-portal",
    ),
    "vms:storage": Topic(
        "Storage",
        "The subscription's storage accounts: each virtual machine's OS disk lives in one, in the region of its cloud "
        "service. The first virtual machine of a region makes one automatically; later ones reuse it.",
        "portal",
        "working-in-the-portal",
    ),
    "vms:networks": Topic(
        "Networks",
        "Affinity groups keep a subscription's services close together in one region; virtual networks, with their "
        "subnets, give virtual machines addresses of their own. Both are chosen when a virtual machine is created.",
        "portal",
        "working-in-the-portal",
    ),
    "vms:activity": Topic(
        "Activity Log",
        "Every operation of the subscription: what was started, by whom, and how it ended. Search by the name of the "
        "object it acted on.",
        "portal",
        "working-in-the-portal",
    ),
    "vms:notifications": Topic(
        "Notifications",
        "Operations in progress and those of the last ten minutes, as the notification area on the command bar shows "
        "them. Dismiss one to hide it; it stays in the Activity Log.",
        "portal",
        "working-in-the-portal",
    ),
    "availability:detail": Topic("An availability set", _SETS, "portal", "rebalance"),
    "availability:rebalance": Topic("Rebalance", _SETS, "portal", "rebalance"),
    "availability": Topic("Availability sets", _SETS, "portal", "rebalance"),
    "applications": Topic(
        "Applications",
        "An application groups the roles that serve one purpose and their dependencies. Its assessment says which "
        "roles survive the loss of a rack or planned maintenance, and a drill stops members to prove it.",
        "applications",
    ),
    "settings-subscriptions": Topic(
        "Subscriptions",
        "Each subscription you belong to: its ID, its administrators and its usage of cores, virtual machines, cloud "
        "services, storage accounts and endpoints against its limits.",
        "portal",
        "working-in-the-portal",
    ),
    "api-tokens": Topic(
        "API tokens",
        "Tokens that a script presents to the JSON API under /api/v1 in place of signing in. A token is shown once, "
        "when it is made; revoke one that is no longer needed.",
        "api",
    ),
    "management-certificates": Topic(
        "Management certificates",
        "Certificates that a classic Service Management client (the classic SDK) presents to reach this subscription "
        "through the classic XML API.",
        "classic-api",
    ),
    "fabric": Topic(
        "Hosts",
        "Staff only: each rack's hosts, how much of them the placed virtual machines take, and which virtual machines "
        "run where.",
        "portal",
        "the-fabric",
    ),
    "help-document": Topic(
        "Help",
        "The portal's reference, as its docs/ folder has it. The ? in the header tells what the page you are on is for "
        "and links to the section that says more.",
        "portal",
    ),
}


def topic_named(view_name: str | None) -> Topic:
    """Return the topic of a page by its URL name, else its URL namespace's, else the portal's."""
    if view_name:
        for key in (view_name, view_name.rpartition(":")[0]):
            if key in TOPICS:
                return TOPICS[key]
    return TOPICS[DEFAULT_TOPIC]


def topic_at(path: str | None) -> Topic:
    """Return the topic of the page at a path of the portal (the one a Help dialog was opened on)."""
    try:
        match = resolve(path or "/")
    except Resolver404:
        return TOPICS[DEFAULT_TOPIC]
    return topic_named(match.view_name)


def document_names() -> list[str]:
    """The names of the documents in docs/ that /help/<name>/ serves."""
    return sorted(path.stem for path in DOCS.glob("*.md") if DOCUMENT_NAME.match(path.stem))


class Document(NamedTuple):
    title: str
    html: SafeString


def render_document(name: str) -> Document | None:
    """Return docs/<name>.md as HTML with an anchor on each heading, or None if there is no such document."""
    if not DOCUMENT_NAME.match(name):
        return None
    path = DOCS / f"{name}.md"
    if not path.is_file():
        return None
    return _rendered(path, path.stat().st_mtime_ns, get_script_prefix())


def heading_anchor(text: str) -> str:
    """Return the anchor GitHub gives a heading: lowercase, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _markdown() -> MarkdownIt:
    # CommonMark with tables; "html": False shows raw HTML as text, and links with unsafe schemes are not linked.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@lru_cache(maxsize=32)
def _rendered(path: Path, modified: int, prefix: str) -> Document:
    markdown = _markdown()
    tokens = markdown.parse(path.read_text(encoding="utf-8"))
    seen: Counter[str] = Counter()
    title = path.stem
    names = set(document_names())
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[index + 1]
            text = "".join(child.content for child in inline.children or () if child.type in {"text", "code_inline"})
            anchor = heading_anchor(text)
            # A repeated heading gets -1, -2, ... after its anchor, as on GitHub.
            token.attrSet("id", f"{anchor}-{seen[anchor]}" if seen[anchor] else anchor)
            seen[anchor] += 1
            if token.tag == "h1" and title == path.stem:
                title = text
        elif token.type == "table_open":
            token.attrSet("class", "table table-sm")
        elif token.type == "inline":
            for child in token.children or ():
                if child.type == "link_open":
                    child.attrSet("href", _help_link(str(child.attrGet("href") or ""), names))
    html = markdown.renderer.render(tokens, markdown.options, {})
    return Document(title=title, html=mark_safe(html))  # noqa: S308 - markdown-it escapes text and raw HTML alike


def _help_link(href: str, names: set[str]) -> str:
    """Turn a link to another document of docs/ (`worker.md#the-schedule`) into its /help/ address."""
    target, _, anchor = href.partition("#")
    if target.endswith(".md") and "/" not in target and target[:-3] in names:
        return reverse("help-document", args=[target[:-3]]) + (f"#{anchor}" if anchor else "")
    return href
