"""Hot reads compiled once per process: the ORM writes the SQL, and each call only binds new parameters.

Building a query's SQL costs the ORM more than the database takes to answer it: about 1.7 ms for a dashboard's
eleven-table join that PostgreSQL answers, prepared, in 0.3 ms. A page that runs on every click and every poll
pays that each time for the same SQL with other numbers in it. `compiled_values` takes a function that builds a
values_list query from integer arguments, compiles it once with stand-ins for the arguments, and from then on
runs that SQL with the real ones. Rows come back as the database driver gives them, so the caller turns them into
its row type (a boolean is 0 or 1 on SQLite).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps

from django.db import connections
from django.db.models import QuerySet

# Stand-ins for the arguments while the SQL is compiled: integers no row or constant of the portal's queries holds.
STAND_INS = (-7_340_001, -7_340_002, -7_340_003, -7_340_004)


def compiled_values(build: Callable[..., QuerySet]) -> Callable[..., list[tuple]]:
    """Run `build(*arguments)`'s SQL, compiled once per database, with integer arguments bound at each call."""
    compiled: dict[str, tuple[str, list, list[tuple[int, int]]]] = {}
    lock = threading.Lock()

    def compile_for(alias: str) -> tuple[str, list, list[tuple[int, int]]]:
        queryset = build(*STAND_INS[: build.__code__.co_argcount])
        sql, params = queryset.query.get_compiler(using=alias).as_sql()
        slots = [(index, STAND_INS.index(value)) for index, value in enumerate(params) if value in STAND_INS]
        if len(slots) < build.__code__.co_argcount:
            raise ValueError(f"{build.__name__} does not use each of its arguments as a query parameter.")
        return sql, list(params), slots

    @wraps(build)
    def run(*arguments: int, using: str = "default") -> list[tuple]:
        if not compiled.get(using):
            with lock:
                compiled[using] = compile_for(using)
        sql, params, slots = compiled[using]
        params = list(params)
        for index, argument in slots:
            params[index] = int(arguments[argument])
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run
