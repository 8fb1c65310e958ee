"""The filters of a statistics page: a period of whole months and, optionally, one kind."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kontaktlaege.consultations.models import Consultation

MAX_MONTHS = 36


def _month(value: date) -> int:
    return value.year * 100 + value.month


class MonthField(forms.CharField):
    """YYYY-MM, as <input type="month"> sends it; cleaned to an int like 202601."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value: object) -> int | None:  # type: ignore[override]
        text = str(value or "").strip()
        if not text:
            return None
        try:
            year, month = (int(part) for part in text.split("-"))
        except ValueError:
            raise forms.ValidationError(_("Skriv måneden som ÅÅÅÅ-MM.")) from None
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise forms.ValidationError(_("Skriv måneden som ÅÅÅÅ-MM."))
        return year * 100 + month


class FilterForm(forms.Form):
    start = MonthField(label=_("Fra måned"), required=False)
    end = MonthField(label=_("Til måned"), required=False)
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Alle typer")), *Consultation.Kind.choices],
    )

    def period(self) -> tuple[int, int]:
        """The chosen months (first, last), by default the last 12 including this one."""
        today = timezone.localdate()
        last = self.cleaned_data.get("end") or _month(today)
        first = self.cleaned_data.get("start")
        if first is None:
            year, month = divmod(last, 100)
            first = (year - 1) * 100 + month + 1 if month < 12 else year * 100 + 1
        first = min(first, last)
        year, month = divmod(last, 100)
        earliest = (year - 3) * 100 + month + 1 if month < 12 else (year - 2) * 100 + 1
        return max(first, earliest), last

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, int) and isinstance(end, int):
            if start > end:
                raise forms.ValidationError(_("Perioden skal begynde før den slutter."))
            if (end // 100 - start // 100) * 12 + end % 100 - start % 100 >= MAX_MONTHS:
                raise forms.ValidationError(_("Vælg højst 36 måneder ad gangen."))
        return data


def month_value(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"
