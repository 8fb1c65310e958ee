"""The append-only audit log. Each entry carries the hash of the previous one, so an edited
or deleted row breaks the chain (`manage.py verify_audit`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    at = models.DateTimeField(_("tidspunkt"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("hvem"),
    )
    actor_label = models.CharField(_("hvem (navn)"), max_length=200, blank=True)
    action = models.CharField(_("handling"), max_length=50, db_index=True)
    citizen_cpr_hash = models.CharField(max_length=64, blank=True, db_index=True)
    clinic = models.ForeignKey(
        "directory.Clinic",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("praksis"),
    )
    municipality = models.ForeignKey(
        "directory.Municipality",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("kommune"),
    )
    consultation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("revisionslinje")
        verbose_name_plural = _("revisionslog")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit entries are append-only")


class AuditHead(models.Model):
    """One row, locked while an entry is appended, so the chain stays linear across
    processes."""

    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return self.last_hash
