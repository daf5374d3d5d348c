"""Chains of operations that the worker moves on: a drill's steps, a maintenance run's rounds.

Each operation of a chain names its chain in ``details`` (``{"drill": 7}``) and a follow-up (:mod:`vms.operations`);
when the operation ends, however it ends, the follow-up queues a task once that end is committed, and the task
advances the chain: the last operation of a step to end begins the next.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import transaction
from django.tasks import Task

from vms.models import Operation
from vms.operations import FollowUp, operation_follow_up


class Chain:
    """Advance the chains of one kind, each named by its id under `key` in its operations' details."""

    def __init__(self, key: str, advance: Callable[[int], object]) -> None:
        self.key = key
        self.advance = advance
        self._advancing = threading.local()

    def operation_ended(self, operation_id: int) -> str:
        """Advance the chain an ended operation belongs to, if its details name one."""
        details = Operation.objects.filter(pk=operation_id).values_list("details", flat=True).first() or {}
        if self.key not in details:
            return f"no {self.key}"
        return self.run(details[self.key])

    def run(self, chain_id: int) -> str:
        """Advance a chain; when called while this thread is already advancing one, leave it to that outer call.

        A backend that runs tasks at once (the immediate backend of the tests) calls the follow-up of an operation
        from inside the step that began it; queueing it for the outer call keeps the stack flat however long the
        chain is. With the database backend every call is its own task and the queue holds just that one chain.
        """
        queue = getattr(self._advancing, "queue", None)
        if queue is not None:
            queue.append(chain_id)
            return "queued"
        self._advancing.queue = queue = [chain_id]
        try:
            while queue:
                self.advance(queue.pop(0))
        finally:
            self._advancing.queue = None
        return "advanced"


def operation_follow_up_enqueue(name: str, task: Task) -> FollowUp:
    """Register as follow-up `name` the queueing of `task` with the ended operation's id, once its end is committed."""

    def enqueue(operation: Operation) -> None:
        operation_id = operation.pk
        transaction.on_commit(lambda: task.enqueue(operation_id))

    return operation_follow_up(name)(enqueue)
