"""What every answer says about itself: its Content-Security-Policy, Permissions-Policy and caching, and nothing about
the server software; read-only pages refuse POST; and the templates hold nothing the policy would block."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from portal.models import WizardDraft
from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


def cache_directives(response) -> set[str]:
    return {directive.strip() for directive in response.get("Cache-Control", "").split(",") if directive.strip()}


@pytest.fixture
def vm(subscription):
    return factories.MembershipFactory(availability_set__cloud_service__subscription=subscription).virtual_machine


def signed_in_pages(vm) -> list[str]:
    return [
        reverse("vms:list"),
        reverse("vms:cloud-services"),
        reverse("vms:storage"),
        reverse("vms:networks"),
        reverse("vms:activity"),
        reverse("vms:notifications"),
        reverse("vms:dashboard", args=[vm.pk]),
        reverse("vms:configure", args=[vm.pk]),
        reverse("availability:list", args=[vm.cloud_service_id]),
        reverse("availability:detail", args=[vm.membership.availability_set_id]),
        reverse("vms:wizard"),  # starts a run, and a page of its own goes on to the run's first page
        reverse("vms:dns-name-check") + "?dns_name=contosoweb",
    ]


class TestContentSecurityPolicy:
    @pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
    def test_every_page_and_fragment_carries_the_policy(self, signed_in, vm, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        for url in signed_in_pages(vm):
            response = signed_in.get(url, headers=headers, follow=True)
            assert response.status_code == 200, url
            policy = response["Content-Security-Policy"]
            assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
            assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy

    def test_the_policy_allows_no_inline_code_and_no_eval(self, client):
        policy = client.get(reverse("login"))["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy

    def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(self, signed_in):
        html = signed_in.get(reverse("vms:list")).content.decode()
        meta = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", html)
        assert meta is not None
        config = json.loads(meta.group(1))
        assert config["includeIndicatorStyles"] is False
        assert config["allowEval"] is False
        css = (ROOT / "static" / "css" / "portal.css").read_text()
        assert ".htmx-request .htmx-indicator" in css


class TestTemplatesHoldNothingThePolicyBlocks:
    INLINE = [
        # A data block (type="application/json") is never run, so the policy has nothing to block there.
        (
            re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.IGNORECASE),
            "an inline <script>",
        ),
        (re.compile(r"<style\b", re.IGNORECASE), "a <style> block"),
        (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style= attribute"),
        (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an on...= event handler"),
        (re.compile(r"\shx-on[:-]", re.IGNORECASE), "an hx-on attribute (it needs eval)"),
        (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
    ]

    @pytest.mark.parametrize(
        "template", sorted((ROOT / "templates").rglob("*.html")), ids=lambda path: str(path.relative_to(ROOT))
    )
    def test_no_inline_script_style_or_handler(self, template):
        text = template.read_text()
        found = [what for pattern, what in self.INLINE if pattern.search(text)]
        assert not found, f"{template.name} has {', '.join(found)}"


class TestPermissionsPolicy:
    def test_every_answer_switches_off_unused_browser_features(self, client, signed_in, vm):
        for response in (client.get(reverse("login")), signed_in.get(reverse("vms:dashboard", args=[vm.pk]))):
            policy = response["Permissions-Policy"]
            for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
                assert feature in policy


class TestPrivatePages:
    @pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
    def test_signed_in_pages_and_fragments_are_never_stored(self, signed_in, vm, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        for url in signed_in_pages(vm):
            response = signed_in.get(url, headers=headers)
            assert {"private", "no-store"} <= cache_directives(response), url
            assert "public" not in cache_directives(response)

    def test_answers_to_signed_in_posts_are_never_stored(self, signed_in, vm):
        response = signed_in.post(reverse("vms:command", args=[vm.pk, "restart"]), headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert {"private", "no-store"} <= cache_directives(response)

    def test_an_htmx_fragment_is_never_stored_even_signed_out(self, client):
        response = client.get(reverse("vms:notifications"), headers={"HX-Request": "true"})
        assert {"private", "no-store"} <= cache_directives(response)


class TestReadOnlyPagesRefusePost:
    @pytest.mark.parametrize(
        "name",
        ["vms:list", "vms:cloud-services", "vms:storage", "vms:networks", "vms:notifications", "vms:activity"],
    )
    def test_list_pages_answer_post_with_405(self, signed_in, name):
        response = signed_in.post(reverse(name))
        assert response.status_code == 405
        assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}

    def test_the_other_read_only_pages_answer_post_with_405(self, signed_in, vm):
        for url in [
            reverse("home"),
            reverse("vms:dashboard", args=[vm.pk]),
            reverse("availability:list", args=[vm.cloud_service_id]),
            reverse("availability:detail", args=[vm.membership.availability_set_id]),
            reverse("vms:dns-name-check"),
        ]:
            assert signed_in.post(url).status_code == 405, url

    def test_the_forms_of_the_list_pages_still_take_posts(self, signed_in):
        response = signed_in.post(reverse("vms:storage-create"), {"name": "", "region": ""})
        assert response.status_code == 200


class TestMalformedHtmxHeaders:
    @pytest.mark.parametrize("current_url", ["http://[", "http://]", "http://[::1", "://", "%", "\x00", "http://a:b/"])
    @pytest.mark.parametrize("step", ["image", None])
    def test_a_malformed_current_url_gets_a_normal_answer(self, signed_in, current_url, step):
        url = reverse("vms:wizard-step", args=[step]) if step else reverse("vms:wizard")
        for part in ("page", "dialog", "images"):
            response = signed_in.get(url, {"part": part}, headers={"HX-Request": "true", "HX-Current-URL": current_url})
            assert response.status_code == 200

    def test_a_malformed_current_url_is_taken_as_the_dialog(self, signed_in):
        signed_in.get(reverse("vms:wizard"))
        draft = WizardDraft.objects.get()
        response = signed_in.get(
            reverse("vms:wizard-step", args=["image"]) + f"?draft={draft.pk}&part=page",
            headers={"HX-Request": "true", "HX-Current-URL": "http://["},
        )
        assert "HX-Push-Url" not in response
        assert "Select the virtual machine operating system" in response.content.decode()

    def test_a_malformed_auto_encoded_current_url_gets_a_normal_answer(self, signed_in):
        response = signed_in.get(
            reverse("vms:wizard"),
            headers={
                "HX-Request": "true",
                "HX-Current-URL": "http%3A%2F%2F%5B",
                "HX-Current-URL-URI-AutoEncoded": "true",
            },
        )
        assert response.status_code == 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_does_not_name_itself(tmp_path):
    """The production server, started as the README says, answers without a Server header."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-for-this-test-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "portal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/virtual-machines/")
                response = connection.getresponse()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert response.status == 302 and response.getheader("Location").startswith("/signin/")
        assert response.getheader("Server") is None, response.getheaders()
        assert response.getheader("Content-Security-Policy")
        assert response.getheader("Permissions-Policy")
    finally:
        server.terminate()
        server.wait(timeout=10)
