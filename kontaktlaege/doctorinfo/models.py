"""What employees need to know before they call, kept per ydernummer by the clinic's staff
(reference 001, "Deling af lægens åbningstider"): opening hours, absences with the
substitute, the back-line number; and the doctors a municipality pins for its care staff."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kontaktlaege.directory.models import Municipality, Ydernummer
from kontaktlaege.weekly_hours import Weekday


class DoctorInfo(models.Model):
    """The back-line number is for municipal employees and the clinic's own staff only."""

    ydernummer = models.OneToOneField(
        Ydernummer, on_delete=models.CASCADE, related_name="info", verbose_name=_("ydernummer")
    )
    back_line_phone = models.CharField(_("bagomnummer"), max_length=20, blank=True)
    # Grundlovsdag, 1 May, 24 and 31 December: the `holidays` package's "optional" category.
    closed_on_optional_holidays = models.BooleanField(
        _("lukket på 1. maj, grundlovsdag, juleaftensdag og nytårsaftensdag"), default=True
    )

    class Meta:
        verbose_name = _("lægeinformation")
        verbose_name_plural = _("lægeinformation")

    def __str__(self) -> str:
        return str(self.ydernummer)


class OpeningHours(models.Model):
    """The clinic's own opening hours for one weekday (video hours are the waiting room's)."""

    ydernummer = models.ForeignKey(
        Ydernummer, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.IntegerField(_("ugedag"), choices=Weekday.choices)
    start = models.TimeField(_("fra"))
    end = models.TimeField(_("til"))

    class Meta:
        verbose_name = _("åbningstid")
        verbose_name_plural = _("åbningstider")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                name="hours_start_before_end",
                condition=models.Q(start__lt=models.F("end")),
                violation_error_message=_("Sluttidspunktet skal ligge efter starttidspunktet."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Absence(models.Model):
    """The doctor is away from `starts` to `ends`, both days included."""

    ydernummer = models.ForeignKey(Ydernummer, on_delete=models.CASCADE, related_name="absences")
    starts = models.DateField(_("fra"))
    ends = models.DateField(_("til og med"))
    reason = models.CharField(_("årsag (valgfri)"), max_length=200, blank=True)
    substitute_name = models.CharField(_("afløserens navn"), max_length=200, blank=True)
    substitute_clinic = models.CharField(_("afløserens klinik"), max_length=200, blank=True)
    substitute_phone = models.CharField(_("afløserens telefon"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("fravær")
        verbose_name_plural = _("fravær")
        ordering = ["starts", "pk"]
        constraints = [
            models.CheckConstraint(
                name="absence_starts_before_ends",
                condition=models.Q(starts__lte=models.F("ends")),
                violation_error_message=_(
                    "Fraværet skal slutte samme dag eller efter, det begynder."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.ydernummer} {self.starts}–{self.ends}"


class PinnedDoctor(models.Model):
    """A doctor a municipality's administrator puts first in its care staff's search."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="pinned_doctors"
    )
    ydernummer = models.ForeignKey(Ydernummer, on_delete=models.CASCADE, related_name="+")
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    pinned_at = models.DateTimeField(_("fastgjort"))

    class Meta:
        verbose_name = _("fastgjort læge")
        verbose_name_plural = _("fastgjorte læger")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "ydernummer"], name="pinned_once_per_municipality"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.ydernummer}"
