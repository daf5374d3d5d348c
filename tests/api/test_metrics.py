"""GET /api/v1/virtual-machines/{id}/metrics: a VM's metrics over a span, one query whatever the span."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import ANY

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.helpers.monitor import record_minutes


class TestMetricsApi:
    def url(self, vm):
        return f"virtual-machines/{vm.pk}/metrics"

    def test_the_last_hour_by_default(self, api, vm):
        record_minutes(vm, 3, cpu=12.5)
        body = api.get(self.url(vm)).json()
        assert body["interval"] == "raw"
        assert body["metrics"]["cpu_percent"] == [12.5, 12.5, 12.5]
        assert set(body["metrics"]) == {"cpu_percent", "disk_read_bps", "disk_write_bps", "net_in_bps", "net_out_bps"}

    def test_one_metric_at_an_interval(self, api, vm):
        record_minutes(vm, 3, cpu=12.5)
        now = timezone.now()
        body = api.get(
            self.url(vm), name="net_out_bps", interval="5m", **{"from": (now - timedelta(hours=2)).isoformat()}
        ).json()
        assert list(body["metrics"]) == ["net_out_bps"]
        assert body["interval"] == "5m"
        assert len(body["times"]) == len(body["metrics"]["net_out_bps"]) >= 24
        assert 4.0 in body["metrics"]["net_out_bps"] and None in body["metrics"]["net_out_bps"]

    def test_a_start_after_the_end_is_refused(self, api, vm):
        now = timezone.now()
        response = api.get(self.url(vm), **{"from": now.isoformat(), "to": (now - timedelta(hours=1)).isoformat()})
        assert response.status_code == 400

    def test_someone_elses_vm_is_not_found(self, api):
        assert api.get(self.url(factories.VirtualMachineFactory())).status_code == 404

    @pytest.mark.parametrize("days", [0, 1, 7])
    def test_one_query_reads_the_metrics_whatever_the_span(self, api, vm, days):
        record_minutes(vm, 30)
        start = (timezone.now() - timedelta(days=days, hours=1)).isoformat()
        with CaptureQueriesContext(connection) as queries:
            assert api.get(self.url(vm), **{"from": start}).status_code == 200
        assert [query["sql"] for query in queries if "monitor_metricsample" in query["sql"]] == [ANY]
        # The token and its last use, the rate limit's window, the VM, and the samples: the same for every span.
        assert len(queries) == 8
