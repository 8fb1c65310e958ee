"""Bookkeeping for privacy jobs: one row per day the retention job has run, so several
scheduler processes run it at most once a day (the unique day is the lock)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionRun(models.Model):
    day = models.DateField(_("dag"), unique=True)
    ran_at = models.DateTimeField(_("kørt"))
    erased = models.IntegerField(_("slettede konsultationer"), default=0)

    class Meta:
        verbose_name = _("sletningskørsel")
        verbose_name_plural = _("sletningskørsler")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.erased}"
