from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kontaktlaege.accounts"
    verbose_name = _("Brugere")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(_close_sockets_of_the_session, dispatch_uid="kl-session-ended")


def _close_sockets_of_the_session(sender: Any, request: Any, **kwargs: Any) -> None:
    # Sent before the session is flushed: its key is still the one the sockets opened with.
    from kontaktlaege.live.session_watch import session_ended

    session = getattr(request, "session", None)
    session_ended(getattr(session, "session_key", None))
