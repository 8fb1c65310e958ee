from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kontaktlaege.directory.models import Doctor
from kontaktlaege.outbox.recipients import PhoneNumberField

from .models import Booking

MINUTES = [(m, _("%(m)d minutter") % {"m": m}) for m in (10, 15, 20, 30, 45, 60)]


class WhenForm(forms.Form):
    day = forms.DateField(label=_("Dato"), widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.TimeField(label=_("Klokken"), widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.TypedChoiceField(label=_("Varighed"), choices=MINUTES, coerce=int, initial=15)

    def starts_at(self) -> datetime:
        """The chosen time, read as Copenhagen time (stored in UTC)."""
        day: date = self.cleaned_data["day"]
        at: time = self.cleaned_data["at"]
        return timezone.make_aware(datetime.combine(day, at))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("day") and data.get("at") and self.starts_at() <= timezone.now():
            raise forms.ValidationError(_("Tidspunktet er allerede passeret."))
        return data


class BookingForm(WhenForm):
    who = forms.ChoiceField(
        label=_("Hvem skal til videokonsultation?"),
        choices=Booking.Who.choices,
        initial=Booking.Who.PATIENT,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("Navn"), max_length=100)
    phone = PhoneNumberField(label=_("Mobilnummer"), required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    doctor = forms.ModelChoiceField(
        label=_("Læge"), queryset=Doctor.objects.none(), required=False, empty_label="–"
    )

    field_order = ["who", "name", "phone", "email", "day", "at", "minutes", "doctor"]

    def __init__(self, *args: Any, clinic: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = Doctor.objects.filter(  # type: ignore[attr-defined]
            ydernummer__clinic=clinic
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("phone") or data.get("email")) and not self.has_error("phone"):
            raise forms.ValidationError(
                _("Skriv et mobilnummer eller en e-mailadresse, så personen kan få linket.")
            )
        return data
