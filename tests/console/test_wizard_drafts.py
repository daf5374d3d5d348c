"""Each run of a wizard keeps a draft of its own: runs of one person never share or overwrite each other's state."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from console.views import wizard as wizard_views
from portal.models import WizardDraft
from portal.periodic import prune_wizard_drafts
from tests import factories
from tests.helpers.wizard import (
    CENTOS,
    CURRENT_STEP,
    IN_DIALOG,
    UBUNTU,
    WINDOWS,
    checked_image,
    configuration,
    create_set,
    image,
    latest_draft,
    page_of,
    standalone,
    submit,
    url,
)
from vms.models import VirtualMachine

pytestmark = pytest.mark.django_db

EXPIRED = "This wizard has expired"


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path):
    settings.WIZARD_UPLOAD_ROOT = tmp_path / "wizard-uploads"
    return settings.WIZARD_UPLOAD_ROOT


def start(client) -> WizardDraft:
    """Open New -> From Gallery in a dialog, as the New drawer does; return the new run's draft."""
    response = client.get(url(), {"part": "dialog"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return latest_draft()


def to_the_last_page(client, draft: WizardDraft, *, image_name: str = WINDOWS) -> None:
    submit(client, "image", {"image": image(image_name).pk}, draft=draft)
    submit(client, "configuration", configuration(image_name), draft=draft)
    submit(client, "mode", standalone(), draft=draft)


def finish_data() -> dict:
    return {CURRENT_STEP: "options", **{f"options-{name}": value for name, value in create_set().items()}}


def assert_expired(response) -> None:
    assert response.status_code in {200, 400}
    assert EXPIRED in page_of(response)


def test_two_runs_of_one_person_interleaved_keep_their_own_drafts(signed_in):
    first = start(signed_in)
    submit(signed_in, "image", {"image": image(WINDOWS).pk}, draft=first)
    second = start(signed_in)
    submit(signed_in, "image", {"image": image(CENTOS).pk}, draft=second)
    assert first.pk != second.pk

    submit(signed_in, "configuration", configuration(WINDOWS), draft=first)
    submit(signed_in, "mode", standalone(), draft=first)
    finished = signed_in.post(url("options", first), finish_data(), follow=True)
    assert finished.status_code == 200
    assert VirtualMachine.objects.filter(name="web1").exists()
    assert not WizardDraft.objects.filter(pk=first.pk).exists()

    back_to_the_gallery = signed_in.get(url("image", second))
    assert checked_image(page_of(back_to_the_gallery)) == str(image(CENTOS).pk)
    response = signed_in.get(url("configuration", second))
    assert response.status_code == 200
    assert "Virtual machine configuration" in page_of(response)


@pytest.mark.django_db(transaction=True)
def test_a_run_started_while_the_last_one_finishes_keeps_its_first_page(signed_in, monkeypatch):
    """The finishing Create has read its draft before the new run stores its first page, and writes after it."""
    first = start(signed_in)
    to_the_last_page(signed_in, first)
    second_tab = Client()
    second_tab.cookies = signed_in.cookies  # the same person's session, in another tab

    deploying, release = threading.Event(), threading.Event()
    deploy = wizard_views.virtual_machine_deploy

    def slow_deploy(**kwargs):
        deploying.set()
        assert release.wait(timeout=30)
        return deploy(**kwargs)

    monkeypatch.setattr(wizard_views, "virtual_machine_deploy", slow_deploy)
    finished = {}

    def create() -> None:
        try:
            finished["response"] = signed_in.post(url("options", first), finish_data(), **IN_DIALOG)
        finally:
            connection.close()

    thread = threading.Thread(target=create)
    thread.start()
    try:
        assert deploying.wait(timeout=30)
        second = start(second_tab)
        stored = submit(second_tab, "image", {"image": image(CENTOS).pk}, headers=IN_DIALOG, draft=second)
        assert "Virtual machine configuration" in page_of(stored)
    finally:
        release.set()
        thread.join(timeout=60)

    assert finished["response"].status_code == 200
    assert finished["response"]["HX-Redirect"]
    assert VirtualMachine.objects.filter(name="web1").exists()
    response = second_tab.get(url("configuration", second), **IN_DIALOG)
    assert response.status_code == 200
    assert "Virtual machine configuration" in page_of(response)
    assert checked_image(page_of(second_tab.get(url("image", second)))) == str(image(CENTOS).pk)


@pytest.mark.parametrize("headers", [{}, IN_DIALOG], ids=["page", "dialog"])
def test_another_persons_draft_id_gives_the_expired_page(signed_in, subscription, headers):
    draft = start(signed_in)
    submit(signed_in, "image", {"image": image(UBUNTU).pk}, draft=draft)
    someone_else = Client()
    other = factories.UserFactory()
    subscription.members.add(other)
    someone_else.force_login(other)

    assert_expired(someone_else.get(url("configuration", draft), **headers))
    posted = someone_else.post(url("configuration", draft), {CURRENT_STEP: "configuration"}, **headers)
    assert_expired(posted)
    assert_expired(someone_else.post(url("image", draft), {CURRENT_STEP: "image", "wizard_goto_step": "image"}))
    # The owner's run is untouched.
    assert signed_in.get(url("configuration", draft)).status_code == 200


@pytest.mark.parametrize("draft_id", ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_a_missing_or_unknown_draft_id_gives_the_expired_page(signed_in, draft_id):
    start(signed_in)
    address = url("image").split("?")[0] + (f"?draft={draft_id}" if draft_id else "")
    assert_expired(signed_in.get(address))
    assert_expired(signed_in.post(address, {CURRENT_STEP: "image", "image-image": image().pk}, **IN_DIALOG))


def test_an_expired_draft_gives_the_expired_page_and_the_hourly_job_deletes_it(signed_in):
    draft = start(signed_in)
    submit(signed_in, "image", {"image": image(UBUNTU).pk}, draft=draft)
    live = start(signed_in)
    WizardDraft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_expired(signed_in.get(url("configuration", draft)))
    assert_expired(signed_in.post(url("configuration", draft), {CURRENT_STEP: "configuration"}, **IN_DIALOG))

    prune_wizard_drafts()
    assert list(WizardDraft.objects.values_list("pk", flat=True)) == [live.pk]


def test_every_address_of_a_page_carries_the_runs_draft_id(signed_in):
    draft = start(signed_in)
    submit(signed_in, "image", {"image": image(WINDOWS).pk}, draft=draft)
    html = page_of(signed_in.get(url("configuration", draft)))
    step = url("configuration", draft)
    assert f'<form id="wizard-form" method="post" action="{step}"' in html
    assert f'hx-post="{step}" hx-vals=\'{{"part": "page"}}\' hx-target="#wizard-page"' in html
    assert f'hx-post="{step}" hx-include="#wizard-form"' in html  # the step indicator's way back to page 1
    assert f'<form id="wizard-discard" method="post" action="{url(draft=draft)}"' in html
    gallery = page_of(signed_in.get(url("image", draft)))
    # The filter is a GET form, whose action loses its query: the id travels as a field of its own.
    assert f'<input type="hidden" name="draft" value="{draft.pk}">' in gallery
