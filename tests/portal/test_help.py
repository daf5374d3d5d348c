"""Help: the header's ? on every page, its dialog saying what the page is for, and docs/ served as pages."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import NoReverseMatch, get_resolver, reverse

from portal import help as portal_help
from portal.help import TOPICS, heading_anchor, render_document, topic_named
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DIALOG = {"part": "dialog"}
HELP_LINK = re.compile(r'<a class="portal-help" href="([^"]*)"[^>]*hx-get="([^"]*)"[^>]*>.*?</a>', re.DOTALL)


@pytest.fixture
def vm(subscription):
    return factories.MembershipFactory(availability_set__cloud_service__subscription=subscription).virtual_machine


def pages(vm) -> dict[str, str]:
    """A page of each section, by its URL name."""
    return {
        "vms:list": reverse("vms:list"),
        "vms:dashboard": reverse("vms:dashboard", args=[vm.pk]),
        "vms:configure": reverse("vms:configure", args=[vm.pk]),
        "availability:detail": reverse("availability:detail", args=[vm.membership.availability_set_id]),
        "endpoints:cloud-service": reverse("endpoints:cloud-service", args=[vm.cloud_service_id]),
        "applications:list": reverse("applications:list"),
        "vms:storage": reverse("vms:storage"),
        "settings-subscriptions": reverse("settings-subscriptions"),
    }


def dialog_for(client, page_url: str) -> str:
    response = client.get(reverse("help"), DIALOG, HTTP_HX_CURRENT_URL=f"http://testserver{page_url}", **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_every_page_has_help_in_its_header_leading_to_its_docs_section(signed_in, vm):
    for name, url in pages(vm).items():
        html = signed_in.get(url).content.decode()
        header = html[html.index("<header") : html.index("</header>")]
        link = HELP_LINK.search(header)
        assert link, f"{name} has no Help link in its header"
        assert '<span class="visually-hidden">Help</span>' in link.group(0)
        # Without JavaScript the link is the page's docs section; with it, the dialog.
        assert unescape(link.group(1)) == topic_named(name).url
        assert link.group(2) == reverse("help")
        assert 'hx-target="#dialog-root"' in link.group(0)


def test_the_dialog_says_what_the_page_it_was_opened_on_is_for(signed_in, vm):
    for name, url in pages(vm).items():
        topic = topic_named(name)
        html = dialog_for(signed_in, url)
        assert "<html" not in html
        assert html.lstrip().startswith('<dialog class="portal-modal" aria-labelledby="help-title">')
        assert f"Help: {topic.title}</h2>" in html
        assert f"<p>{topic.text}</p>" in unescape(html)
        assert f'href="{topic.url}"' in html


def test_pages_of_one_section_share_a_topic_and_others_differ(signed_in, vm):
    urls = pages(vm)
    assert dialog_for(signed_in, urls["vms:dashboard"]) == dialog_for(signed_in, urls["vms:configure"])
    assert "Help: A virtual machine<" in dialog_for(signed_in, urls["vms:dashboard"])
    assert "Help: Virtual Machines<" in dialog_for(signed_in, urls["vms:list"])
    assert 'href="/help/portal/#rebalance"' in dialog_for(signed_in, urls["availability:detail"])
    assert 'href="/help/applications/"' in dialog_for(signed_in, urls["applications:list"])


def test_a_page_without_a_topic_of_its_own_gets_the_portals(signed_in):
    listed = "http://testserver" + reverse("vms:list") + "?q=web"
    for url in (
        "http://testserver/no-such-page/",
        "",
        "http://[",
        "http://elsewhere.example/virtual-machines/",
        listed,
    ):
        response = signed_in.get(reverse("help"), DIALOG, HTTP_HX_CURRENT_URL=url, **HTMX)
        html = response.content.decode()
        expected = TOPICS["vms:list"] if url == listed else TOPICS[portal_help.DEFAULT_TOPIC]
        assert f"Help: {expected.title}</h2>" in html, url


def test_without_htmx_help_is_a_page_listing_the_documents(signed_in):
    response = signed_in.get(reverse("help"), DIALOG)
    html = response.content.decode()
    assert "<html" in html and "<dialog" not in html
    assert '<a href="/help/portal/">Using the portal</a>' in html
    assert '<a href="/help/load-balancer/">' in html
    assert "HX-Request" in response["Vary"]


def test_every_topic_names_a_page_or_section_that_exists():
    resolver = get_resolver()
    names = {name for name in resolver.reverse_dict if isinstance(name, str)}
    namespaces = set(resolver.namespace_dict)
    for key in TOPICS:
        if key == portal_help.DEFAULT_TOPIC or key in namespaces:
            continue
        namespace = key.rpartition(":")[0]
        if namespace:
            assert namespace in namespaces, key
            try:
                reverse(key, args=[1])
            except NoReverseMatch:
                reverse(key)
        else:
            assert key in names, key


def test_every_topic_has_text_and_links_to_a_heading_of_a_document():
    for key, topic in TOPICS.items():
        assert topic.title and len(topic.text) > 40, key
        document = render_document(topic.document)
        assert document is not None, f"{key}: no docs/{topic.document}.md"
        if topic.section:
            assert f'id="{topic.section}"' in document.html, f"{key}: no #{topic.section} in {topic.document}"


def test_a_document_renders_as_a_page_with_an_anchor_on_each_heading(signed_in):
    response = signed_in.get(reverse("help-document", args=["portal"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Using the portal - Management Portal</title>" in html
    for heading in ("using-the-portal", "the-fabric", "management-commands", "working-in-the-portal", "rebalance"):
        assert re.search(rf'<h[12] id="{heading}">', html), heading
    assert '<table class="table table-sm">' in html
    # A link to another document of docs/ goes to its page here.
    assert '<a href="/help/worker/">' in html
    assert "Help</span></a>" in html


def test_every_document_renders(signed_in):
    for name in portal_help.document_names():
        response = signed_in.get(reverse("help-document", args=[name]))
        assert response.status_code == 200, name
        assert '<article class="portal-document"><h1 id="' in response.content.decode(), name


@pytest.mark.parametrize("name", ["no-such-document", "README", "..", "portal.md", "Portal", "systemd"])
def test_an_unknown_document_is_not_found(signed_in, name):
    assert signed_in.get(reverse("help-document", args=[name])).status_code == 404


def test_help_needs_signing_in(client):
    for url in (reverse("help"), reverse("help-document", args=["portal"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_raw_html_and_unsafe_links_in_a_document_are_shown_as_text(tmp_path, monkeypatch):
    (tmp_path / "odd.md").write_text(
        "# Odd <b>title</b>\n\n<script>alert(1)</script>\n\nSome <img src=x onerror=alert(1)> text and a "
        "[link](javascript:alert(1)).\n\n## Same\n\n## Same\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(portal_help, "DOCS", tmp_path)
    html = render_document("odd").html
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html
    assert '<h2 id="same">' in html and '<h2 id="same-1">' in html


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Rebalance", "rebalance"),
        ("Working in the portal", "working-in-the-portal"),
        (
            "Load balancers: HAProxy carries cloud services' public ports",
            "load-balancers-haproxy-carries-cloud-services-public-ports",
        ),
        ("The `worker`'s schedule", "the-workers-schedule"),
    ],
)
def test_headings_get_the_anchors_github_gives_them(heading, anchor):
    assert heading_anchor(heading) == anchor
