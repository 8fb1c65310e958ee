from django import forms
from django.utils.translation import gettext_lazy as _

from kontaktlaege.directory.models import Clinic, Region

from .models import Unit


class AccountForm(forms.Form):
    username = forms.RegexField(
        label=_("Brugernavn"),
        regex=r"^[\w.@+-]{2,150}$",
        error_messages={"invalid": _("Brug bogstaver, tal og . @ + - _ (2–150 tegn).")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(label=_("Fornavn"), max_length=150)
    last_name = forms.CharField(label=_("Efternavn"), max_length=150)
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Brugeren får besked her, når der tilføjes eller fjernes en enhed til login."),
    )
    password = forms.CharField(
        label=_("Første adgangskode"),
        help_text=_("Giv den til brugeren sammen med aktiveringskoden."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    unit = forms.ModelChoiceField(
        label=_("Enhed"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("(ingen enhed)"),
    )

    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        help_text=_("Regionens administrator ser statistik for regionen og dens kommuner."),
    )

    def __init__(self, *args, units=None, regions=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if units is None:  # clinic staff and region administrators have no unit
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        if regions is None:  # only the national administrator creates region administrators
            del self.fields["region"]
        else:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class PlacementForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Enhed"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args, units, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Enhedens navn"), max_length=150)
    department = forms.ChoiceField(label=_("Forvaltning"), choices=Unit.Department.choices)
    active = forms.BooleanField(label=_("I brug"), required=False, initial=True)


class PilotForm(forms.Form):
    pilot = forms.BooleanField(
        label=_("Afprøvning: medarbejderne kan kun ringe til de valgte klinikker"),
        required=False,
    )
    clinics = forms.ModelMultipleChoiceField(
        label=_("Klinikker i afprøvningen"),
        queryset=Clinic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class SupportForm(forms.Form):
    support_name = forms.CharField(
        label=_("Navn (f.eks. IT-support)"), max_length=150, required=False
    )
    support_phone = forms.CharField(label=_("Telefon"), max_length=30, required=False)
    support_email = forms.EmailField(label=_("E-mail"), required=False)
    support_hours = forms.CharField(label=_("Åbningstid"), max_length=150, required=False)


class DoctorForm(forms.Form):
    ydernummer = forms.ChoiceField(label=_("Ydernummer"))
    name = forms.CharField(label=_("Lægens navn"), max_length=200)


class YdernummerForm(forms.Form):
    number = forms.RegexField(
        label=_("Nyt ydernummer"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Et ydernummer består af 6 cifre.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV-fil (UTF-8)"))
    dry_run = forms.BooleanField(
        label=_("Prøvekørsel: vis hvad der ville ændres, uden at gemme"),
        required=False,
        initial=True,
    )
