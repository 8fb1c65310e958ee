from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kontaktlaege.privacy"
    verbose_name = _("Databeskyttelse")

    def ready(self) -> None:
        from .logredact import install

        install()
