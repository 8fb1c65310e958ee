from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Absence, OpeningHours


class OpeningHoursForm(forms.ModelForm):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "start", "end"]
        widgets = {
            "start": forms.TimeInput(attrs={"type": "time"}),
            "end": forms.TimeInput(attrs={"type": "time"}),
        }


OpeningHoursFormSet = forms.formset_factory(
    OpeningHoursForm, extra=2, can_delete=True, max_num=21, validate_max=True
)


class DetailsForm(forms.Form):
    back_line_phone = forms.CharField(
        label=_("Bagomnummer"),
        help_text=_("Vises kun for kommunale medarbejdere og klinikkens eget personale."),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    closed_on_optional = forms.BooleanField(
        label=_("Klinikken holder lukket 1. maj, grundlovsdag, juleaftensdag og nytårsaftensdag"),
        required=False,
    )


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = [
            "starts",
            "ends",
            "reason",
            "substitute_name",
            "substitute_clinic",
            "substitute_phone",
        ]
        widgets = {
            "starts": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "substitute_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }
