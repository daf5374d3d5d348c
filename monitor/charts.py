"""Shape a VM's series into the charts the Monitor tab and the Dashboard draw, and the tables that read them out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.series import Point

SERIES_LABELS = {
    "cpu_percent": "CPU percentage",
    "disk_read_bps": "Disk read",
    "disk_write_bps": "Disk write",
    "net_in_bps": "Network in",
    "net_out_bps": "Network out",
}
BYTES = "bytes/s"


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    metrics: tuple[str, ...]
    units: tuple[str, ...]
    points: tuple[Point, ...]

    @property
    def data_id(self) -> str:
        return f"chart-{self.key}-data"

    @property
    def empty(self) -> bool:
        return all(rates is None for _at, rates in self.points)

    @property
    def headers(self) -> list[str]:
        return [f"{SERIES_LABELS[metric]} ({unit})" for metric, unit in zip(self.metrics, self.units, strict=True)]

    @property
    def rows(self) -> list[tuple[datetime, list[str]]]:
        """The chart's numbers as table rows: a time and a value per series (a dash where there is no sample)."""
        return [
            (at, ["-" if rates is None else _number(getattr(rates, metric), unit) for metric, unit in self._pairs()])
            for at, rates in self.points
        ]

    @property
    def data(self) -> dict:
        """What static/js/monitor.js reads: times in epoch seconds and one list of values per series."""
        return {
            "title": self.title,
            "x": [int(at.timestamp()) for at, _rates in self.points],
            "series": [
                {
                    "label": SERIES_LABELS[metric],
                    "unit": unit,
                    "values": [None if rates is None else getattr(rates, metric) for _at, rates in self.points],
                }
                for metric, unit in self._pairs()
            ],
        }

    def _pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.metrics, self.units, strict=True))


def _number(value: float, unit: str) -> str:
    return f"{value:.1f}" if unit == "%" else f"{value:,.0f}"


def monitor_charts(points: Sequence[Point]) -> list[Chart]:
    """Return the Monitor tab's charts: CPU, disk and network."""
    points = tuple(points)
    return [
        Chart("cpu", "CPU percentage", ("cpu_percent",), ("%",), points),
        Chart("disk", "Disk read and write", ("disk_read_bps", "disk_write_bps"), (BYTES, BYTES), points),
        Chart("network", "Network in and out", ("net_in_bps", "net_out_bps"), (BYTES, BYTES), points),
    ]


def dashboard_chart(points: Sequence[Point]) -> Chart:
    """Return the Dashboard's small chart: CPU and network of the last hour."""
    return Chart(
        "dashboard",
        "CPU and network, last hour",
        ("cpu_percent", "net_in_bps", "net_out_bps"),
        ("%", BYTES, BYTES),
        tuple(points),
    )


def sparkline_path(
    values: Sequence[tuple[datetime, float]], *, start: datetime, end: datetime, gap_seconds: float
) -> str:
    """Return an SVG path (100 x 20 box) of CPU percentages over a span, broken where samples are gap_seconds apart."""
    length = (end - start).total_seconds() or 1
    parts = []
    previous: datetime | None = None
    for at, cpu in values:
        x = 100 * (at - start).total_seconds() / length
        y = 20 - 20 * max(0.0, min(100.0, cpu)) / 100
        move = previous is None or (at - previous).total_seconds() > gap_seconds
        parts.append(f"{'M' if move else 'L'}{x:.1f} {y:.1f}")
        previous = at
    return " ".join(parts)
