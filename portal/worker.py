"""The background worker: django-tasks-db's task loop with the portal's periodic schedule beside it."""

from __future__ import annotations

import logging
import time

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from portal.periodic import periodic_run_due

logger = logging.getLogger(__name__)


class PortalWorker(Worker):
    """Carry out queued tasks one at a time and run every due periodic job between them."""

    def run_once(self) -> bool:
        """Run due periodic jobs, then claim and run one ready task; True when a task ran."""
        close_old_connections()
        periodic_run_due()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)  # claimed, so no other worker process runs it
        if task_result is None:
            return False
        self.run_task(task_result)
        close_old_connections()
        return True

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        while self.running:
            ran = self.run_once()
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.batch and not ran:
                return
            if self.running and not ran:
                time.sleep(self.interval)
