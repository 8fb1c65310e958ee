from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "kontaktlaege.consultations"
    verbose_name = _("Konsultationer")

    def ready(self) -> None:
        from django.conf import settings

        if settings.EMBEDDED_SCHEDULER:
            from .scheduler import start_in_background

            start_in_background()
