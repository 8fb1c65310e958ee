from django import forms
from django.utils.translation import gettext_lazy as _

from kontaktlaege.accounts.forms import TokenForm


class UnlockForm(forms.Form):
    password = forms.CharField(
        label=_("Din adgangskode"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ResumeForm(UnlockForm, TokenForm):
    """Password and TOTP code again after the idle lock."""
