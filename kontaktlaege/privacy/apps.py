from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kontaktlaege.privacy"
    verbose_name = _("Databeskyttelse")

    def ready(self) -> None:
        from kontaktlaege.live.signin import SocketRule, add_socket_rule

        from .logredact import install
        from .shared_device import SOCKET_RULE_KEYS, socket_allowed

        install()
        # Idle lock and citizen mode bind sockets as they bind pages.
        add_socket_rule(SocketRule(SOCKET_RULE_KEYS, socket_allowed))
