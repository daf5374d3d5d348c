"""A list page's search box and sortable columns, kept within what keyset pagination and an index can serve.

The search is "name starts with", as typed: a range on the name (`name >= q` and below the next prefix) that the
list's (subscription, name, id) index serves, so a search costs the same at 100 rows or 100,000. A sort is one
column of the list with the primary key after it, each backed by an index of the same shape. While a search is
active the rows come in name order, the order its index gives; the other columns sort the unsearched list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.http import urlencode

MAX_SEARCH = 64


@dataclass(frozen=True)
class ListOrder:
    """What a list page was asked for: its search text, and the column (model field) it is sorted by."""

    search: str
    sort: str  # the `sort` parameter as the page's links write it: "name", "-status", ...
    key: str  # the model field
    descending: bool
    path: str = ""
    columns: tuple[str, ...] = field(default=())

    @property
    def headers(self) -> dict[str, dict[str, str]]:
        """Per sortable column, the address its header links to and its aria-sort ("" when not sorted by it)."""
        return {column: {"url": self.url(column), "aria_sort": self.aria_sort(column)} for column in self.columns}

    def url(self, column: str) -> str:
        query = {"q": self.search, "sort": self.link(column)} if self.search else {"sort": self.link(column)}
        return f"{self.path}?{urlencode(query)}"

    def link(self, column: str) -> str:
        """The `sort` value a column header links to: its own order, or the reverse when it is the current one."""
        if column == self.sort.lstrip("-"):
            return column if self.sort.startswith("-") else f"-{column}"
        return column

    def aria_sort(self, column: str) -> str:
        if column != self.sort.lstrip("-"):
            return ""
        return "descending" if self.descending else "ascending"


def list_order(request: HttpRequest, *, columns: dict[str, str], default: str, name_column: str = "name") -> ListOrder:
    """Read `q` and `sort` from the request; an unknown sort is the default one, a search sorts by name."""
    search = request.GET.get("q", "").strip()[:MAX_SEARCH]
    sort = request.GET.get("sort", "") or default
    if sort.lstrip("-") not in columns:
        sort = default
    if search and sort.lstrip("-") != name_column:
        sort = name_column
    column = sort.lstrip("-")
    return ListOrder(
        search=search,
        sort=sort,
        key=columns[column],
        descending=sort.startswith("-"),
        path=request.path,
        columns=tuple(columns),
    )


def name_starts_with(queryset: QuerySet, prefix: str, *, field: str = "name") -> QuerySet:
    """Keep the rows whose name starts with `prefix`, as a range the name index reads from its start to its end."""
    if not prefix:
        return queryset
    bounds = Q(**{f"{field}__gte": prefix, f"{field}__startswith": prefix})
    if ord(prefix[-1]) < 0x10FFFF:
        bounds &= Q(**{f"{field}__lt": prefix[:-1] + chr(ord(prefix[-1]) + 1)})
    return queryset.filter(bounds)
