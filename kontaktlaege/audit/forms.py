from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.models import Clinic


class CprField(forms.CharField):
    def clean(self, value: Any) -> str:
        value = super().clean(value)
        return cprlib.normalize(value) if value else ""


class AuditSearchForm(forms.Form):
    cpr = CprField(
        label=_("Borgerens CPR-nummer"),
        max_length=11,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    action = forms.CharField(label=_("Handling"), max_length=50, required=False)
    actor = forms.CharField(label=_("Brugernavn"), max_length=150, required=False)
    clinic = forms.ModelChoiceField(
        label=_("Praksis"), queryset=Clinic.objects.none(), required=False
    )
    date_from = forms.DateField(
        label=_("Fra dato"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Til dato"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, clinics: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["clinic"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clinics if clinics is not None else Clinic.objects.none()


class CitizenReportForm(forms.Form):
    cpr = CprField(
        label=_("Borgerens CPR-nummer"),
        max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
