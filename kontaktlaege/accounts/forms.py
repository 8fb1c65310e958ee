from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User


class PasswordLoginForm(forms.Form):
    username = forms.CharField(label=_("Brugernavn"), max_length=150)
    password = forms.CharField(label=_("Adgangskode"), widget=forms.PasswordInput, max_length=128)


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Engangskode fra din app"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Koden består af 6 cifre.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ActivationForm(forms.Form):
    code = forms.CharField(
        label=_("Aktiveringskode"),
        max_length=40,
        help_text=_("Koden, du har fået af din administrator, fx ABCD-EFGH-JKMN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["job_role", "workplace"]
        labels = {"job_role": _("Din rolle"), "workplace": _("Dit arbejdssted")}
        help_texts = {
            "job_role": _("Fx hjemmesygeplejerske eller social- og sundhedshjælper."),
            "workplace": _("Fx Hjemmeplejen Nord. Lægen ser rolle og arbejdssted."),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for field in self.fields.values():
            field.required = True
