"""Weekly opening hours, kept by the clinic twice: its own hours per ydernummer (doctorinfo)
and the waiting room's video windows (consultations). One weekday list, one form, the
formset's initial data and rows; the table is templates/weekly_hours.html."""

from collections.abc import Iterable
from datetime import time
from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Mandag")
    TUESDAY = 1, _("Tirsdag")
    WEDNESDAY = 2, _("Onsdag")
    THURSDAY = 3, _("Torsdag")
    FRIDAY = 4, _("Fredag")
    SATURDAY = 5, _("Lørdag")
    SUNDAY = 6, _("Søndag")


class WeeklyHoursForm(forms.ModelForm):
    """One weekday's from–to; a subclass names the model in its Meta."""

    class Meta:
        fields = ["weekday", "start", "end"]
        widgets = {
            "start": forms.TimeInput(attrs={"type": "time"}),
            "end": forms.TimeInput(attrs={"type": "time"}),
        }


def formset(form: type[WeeklyHoursForm]) -> type[forms.BaseFormSet]:
    """Up to three periods a day: 21 rows, two empty ones to add to."""
    return forms.formset_factory(form, extra=2, can_delete=True, max_num=21, validate_max=True)


def initial(hours: Iterable[Any]) -> list[dict[str, Any]]:
    """The formset's rows from saved hours (any model with weekday, start and end)."""
    return [{"weekday": h.weekday, "start": h.start, "end": h.end} for h in hours]


def rows(valid: forms.BaseFormSet) -> list[tuple[int, time, time]]:
    """The kept rows of a valid formset: (weekday, start, end), deleted and empty ones left out."""
    return [
        (f.cleaned_data["weekday"], f.cleaned_data["start"], f.cleaned_data["end"])
        for f in valid.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]
