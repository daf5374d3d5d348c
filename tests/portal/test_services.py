"""Housekeeping the worker's schedule does: task rows whose worker died, and expired sessions with their drafts."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from django.contrib.sessions.models import Session
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.services import ABANDONED_TASK_ERROR, sessions_clear_expired, task_results_mark_abandoned
from vms.tasks import carry_out_operation

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def running_task(*, started_seconds_ago: float) -> DBTaskResult:
    result = carry_out_operation.enqueue(1, 1)
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("a-worker")
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - timedelta(seconds=started_seconds_ago))
    return row


class TestAbandonedTasks:
    def test_a_running_row_past_the_timeout_is_marked_failed_with_the_reason(self, database_tasks, settings):
        row = running_task(started_seconds_ago=settings.OPERATION_TIMEOUT_SECONDS + 1)

        assert task_results_mark_abandoned() == 1

        row.refresh_from_db()
        assert row.status == TaskResultStatus.FAILED
        assert row.exception_class_path == ABANDONED_TASK_ERROR
        assert "worker running this task stopped answering" in row.traceback
        assert row.finished_at is not None
        assert not DBTaskResult.objects.running().exists()

    def test_running_rows_within_the_timeout_and_other_rows_are_left_alone(self, database_tasks, settings):
        fresh = running_task(started_seconds_ago=settings.OPERATION_TIMEOUT_SECONDS - 5)
        queued = DBTaskResult.objects.get(pk=carry_out_operation.enqueue(2, 1).id)
        DBTaskResult.objects.filter(pk=queued.pk).update(enqueued_at=timezone.now() - timedelta(days=1))

        assert task_results_mark_abandoned() == 0

        assert DBTaskResult.objects.get(pk=fresh.pk).status == TaskResultStatus.RUNNING
        assert DBTaskResult.objects.get(pk=queued.pk).status == TaskResultStatus.READY


def test_expired_sessions_are_deleted_and_live_ones_kept(settings):
    store = import_module(settings.SESSION_ENGINE).SessionStore
    expired, live = store(), store()
    expired["vms-wizard"] = "an encrypted draft"
    expired.set_expiry(-1)
    expired.create()
    live["vms-wizard"] = "another draft"
    live.create()

    sessions_clear_expired()

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
