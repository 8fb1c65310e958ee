from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import NOTE_MAX_LENGTH


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Notat til kommunen"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Sendes som MedCom-korrespondancebesked til borgerens kommune."),
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Svar til klinikken"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
