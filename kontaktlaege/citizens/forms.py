from django.utils.translation import gettext_lazy as _

from kontaktlaege.consultations.forms import ReasonForm


class CitizenReasonForm(ReasonForm):
    """The employee's reason field and its bounds, addressed to the citizen."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reason"].help_text = _(
            "Skriv kort, hvad du har brug for hjælp til. Lægen læser det i venteværelset."
        )
