from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kontaktlaege.accounts"
    verbose_name = _("Brugere")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_delete
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from . import devices, signin_audit

        user_logged_out.connect(_close_sockets_of_the_session, dispatch_uid="kl-session-ended")
        user_logged_in.connect(signin_audit.logged_in, dispatch_uid="kl-audit-login")
        user_logged_out.connect(signin_audit.logged_out, dispatch_uid="kl-audit-logout")
        user_login_failed.connect(signin_audit.login_failed, dispatch_uid="kl-audit-failed")
        user_locked_out.connect(signin_audit.locked_out, dispatch_uid="kl-audit-locked-out")
        post_delete.connect(devices.removed, sender=TOTPDevice, dispatch_uid="kl-totp-removed")


def _close_sockets_of_the_session(sender: Any, request: Any, **kwargs: Any) -> None:
    # Sent before the session is flushed: its key is still the one the sockets opened with.
    from kontaktlaege.live.session_watch import session_ended

    session = getattr(request, "session", None)
    session_ended(getattr(session, "session_key", None))
