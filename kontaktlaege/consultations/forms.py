from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kontaktlaege import weekly_hours
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.models import Ydernummer

from .actions import closed_message
from .models import OpeningWindow


class CitizenForm(forms.Form):
    cpr = forms.CharField(
        label=_("Borgerens CPR-nummer"),
        max_length=11,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "ddmmåå-xxxx"}
        ),
    )
    consent = forms.BooleanField(
        label=_(
            "Tro- og love-erklæring: Jeg erklærer på tro og love, at borgeren har givet "
            "samtykke til, at jeg logger ind på borgerens vegne."
        ),
        error_messages={"required": _("Du skal sikre dig borgerens samtykke og sætte flueben.")},
    )

    def clean_cpr(self) -> str:
        return cprlib.normalize(self.cleaned_data["cpr"])


class PassantForm(forms.Form):
    """A patient not listed at the clinic, added by the clinic's staff (reference 002)."""

    cpr = forms.CharField(
        label=_("Patientens CPR-nummer"),
        max_length=11,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "ddmmåå-xxxx"}
        ),
    )
    reason = forms.CharField(
        label=_("Hvad drejer konsultationen sig om?"),
        max_length=settings.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    address = forms.CharField(
        label=_("Mobilnummer eller e-mail til invitationslink (valgfrit)"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_cpr(self) -> str:
        return cprlib.normalize(self.cleaned_data["cpr"])

    def clean_address(self) -> str:
        from kontaktlaege.outbox import recipients

        address = self.cleaned_data["address"].strip()
        if not address:
            return ""
        if "@" in address:
            return recipients.normalize_email(address)
        return recipients.normalize_phone(address)


class YdernummerForm(forms.Form):
    found: Ydernummer | None = None  # the doctor found, when they cannot be called now

    ydernummer = forms.RegexField(
        label=_("Lægens ydernummer"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Et ydernummer består af 6 cifre.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_ydernummer(self) -> Ydernummer:
        number = self.cleaned_data["ydernummer"]
        ydernummer = Ydernummer.objects.select_related("clinic").filter(number=number).first()
        if ydernummer is None:
            raise forms.ValidationError(_("Der findes ingen læge med det ydernummer."))
        closed = closed_message(ydernummer.clinic)
        if closed:  # said now, not after the device check and the reason
            self.found = ydernummer  # the page shows its doctor card with the error
            raise forms.ValidationError(closed)
        return ydernummer


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Hvad drejer konsultationen sig om?"),
        help_text=_(
            "Skriv borgerens behov og problem, og gerne din egen rolle i samtalen. "
            "Lægen læser det i venteværelset."
        ),
        max_length=settings.REASON_MAX_LENGTH,
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class RejectForm(forms.Form):
    message = forms.CharField(
        label=_("Besked til den ventende (valgfri)"),
        max_length=settings.MESSAGE_MAX_LENGTH,
        required=False,
    )


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Besked til den ventende"), max_length=settings.MESSAGE_MAX_LENGTH
    )


class CloseForm(forms.Form):
    clear_queue = forms.BooleanField(required=False)


class OpeningWindowForm(weekly_hours.WeeklyHoursForm):
    class Meta(weekly_hours.WeeklyHoursForm.Meta):
        model = OpeningWindow

    # The window's constraint has no message of its own (doctorinfo's has); say it here.
    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise forms.ValidationError(_("Sluttidspunktet skal ligge efter starttidspunktet."))
        return data


OpeningWindowFormSet = weekly_hours.formset(OpeningWindowForm)
