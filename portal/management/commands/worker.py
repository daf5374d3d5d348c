"""``manage.py worker``: the portal's background worker (tasks and the periodic schedule)."""

from __future__ import annotations

from django_tasks_db.management.commands import db_worker

from portal.worker import PortalWorker


class Command(db_worker.Command):
    help = "Run the portal's background worker: queued operations and the periodic schedule."

    def handle(self, *args, **options) -> None:
        # db_worker builds its Worker by name; the portal's worker also runs the periodic schedule.
        original = db_worker.Worker
        db_worker.Worker = PortalWorker
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original
