from django import forms
from django.utils.translation import gettext_lazy as _

from kontaktlaege import weekly_hours

from .models import Absence, OpeningHours


class OpeningHoursForm(weekly_hours.WeeklyHoursForm):
    """The model's constraint says why a row ending before it starts is refused."""

    class Meta(weekly_hours.WeeklyHoursForm.Meta):
        model = OpeningHours


OpeningHoursFormSet = weekly_hours.formset(OpeningHoursForm)


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
