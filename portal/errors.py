"""What a service's refusal means to a caller: the one table both APIs read to tell a conflict from a bad request.

Services refuse with Django's ``ValidationError`` and a ``code``. Some refusals depend on the state of things rather
than on the request itself (a name is taken, a VM is busy or held by a drill): those are conflicts, and both the JSON
API and the classic API answer them with 409; every other refusal is the request's fault, 400.
"""

from __future__ import annotations

CONFLICT_CODES = frozenset(
    {
        "busy",
        "wrong_state",
        "vm_name_taken",
        "dns_name_taken",
        "set_name_taken",
        "name_taken",
        "unique",
        "set_not_empty",
        "idempotency_key_reused",
        "public_port_taken",
        "private_port_taken",
        "already_member",
        "role_name_taken",
        "target_taken",
        "dependency_exists",
        "drill_running",
        "held",
        "ended",
    }
)
