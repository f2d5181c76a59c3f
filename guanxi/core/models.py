from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class SchedulerLease(models.Model):
    """Only the holder of an unexpired lease enqueues periodic work; a second scheduler idles."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    holder = models.CharField(_("holder"), max_length=200)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("scheduler lease")
        verbose_name_plural = _("scheduler leases")

    def __str__(self) -> str:
        return f"{self.name} ({self.holder})"


class PeriodicRun(models.Model):
    """Last time the scheduler enqueued each periodic job, so a restart does not repeat one."""

    job = models.CharField(_("job"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("last run at"))

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")

    def __str__(self) -> str:
        return self.job
