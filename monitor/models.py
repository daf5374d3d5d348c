"""A virtual machine's metrics over time: CPU, disk and network rates, sampled by the worker.

Raw samples and their 5-minute roll-ups share one table, told apart by ``resolution``: a chart or an API call of any
span is then one query on one index (the VM, the resolution, the time), and retention prunes each resolution by age.
"""

from __future__ import annotations

from django.db import models

from vms.models import VirtualMachine


class MetricSample(models.Model):
    """The average rates of one VM over one sample (raw) or over five minutes (a roll-up)."""

    class Resolution(models.IntegerChoices):
        RAW = 0, "Sample"
        FIVE_MINUTES = 300, "5 minutes"

    # No index of its own: the unique constraint's index leads with the VM.
    virtual_machine = models.ForeignKey(VirtualMachine, on_delete=models.CASCADE, related_name="+", db_index=False)
    resolution = models.PositiveSmallIntegerField(choices=Resolution.choices, default=Resolution.RAW)
    at = models.DateTimeField(help_text="When the sample was taken; a roll-up's start.")
    cpu_percent = models.FloatField("CPU percentage")
    disk_read_bps = models.FloatField("Disk read bytes/s")
    disk_write_bps = models.FloatField("Disk write bytes/s")
    net_in_bps = models.FloatField("Network in bytes/s")
    net_out_bps = models.FloatField("Network out bytes/s")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["virtual_machine", "resolution", "at"], name="metric_sample_one_per_vm_resolution_and_time"
            )
        ]
        # The worker's roll-up and retention read every VM's rows of one resolution by time.
        indexes = [models.Index(fields=["resolution", "at"], name="metric_sample_resolution_at")]

    def __str__(self) -> str:
        return f"{self.virtual_machine_id} at {self.at:%Y-%m-%d %H:%M:%S}"
