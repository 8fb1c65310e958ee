"""The owner of an account hears of every second-factor device added to it or removed from it:
an audit entry, and an e-mail when the account has an address (Django's mail; an outbox app
may take over the sending)."""

import logging
from typing import Any

from django.core.mail import send_mail
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.audit.log import record

from .models import User

log = logging.getLogger(__name__)


def _tell_owner(user: User, subject: str, body: str) -> None:
    if not user.email:
        return
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # the change is made; a mail server down must not undo or hide it
        log.exception("device notice to user %s not sent", user.pk)


def _when() -> str:
    return timezone.localtime().strftime("%d.%m.%Y %H:%M")


def added(device: TOTPDevice, *, by: Any = None, address: str = "") -> None:
    user = device.user
    detail: dict[str, Any] = {"device": device.pk}
    if address:
        detail["address"] = address
    if by is not None and by.pk != user.pk:
        detail["by"] = by.pk
    record("totp_device_added", actor=user, detail=detail)
    _tell_owner(
        user,
        _("Kontakt Læge: ny enhed til to-faktor-login"),
        _(
            "Hej %(name)s\n\nDen %(when)s blev en godkendelses-app føjet til din konto "
            "%(username)s i Kontakt Læge.\n\nVar det ikke dig, så kontakt straks din "
            "administrator."
        )
        % {"name": user.display_name, "when": _when(), "username": user.username},
    )


def removed(sender: Any, instance: TOTPDevice, origin: Any = None, **kwargs: Any) -> None:
    """post_delete of a TOTP device. Not when the account itself is deleted with it."""
    if not instance.confirmed:
        return
    if isinstance(origin, User) or (isinstance(origin, QuerySet) and origin.model is User):
        return
    user = User.objects.filter(pk=instance.user_id).first()
    if user is None:
        return
    record("totp_device_removed", actor=user, detail={"device": instance.pk})
    _tell_owner(
        user,
        _("Kontakt Læge: enhed til to-faktor-login fjernet"),
        _(
            "Hej %(name)s\n\nDen %(when)s blev en godkendelses-app fjernet fra din konto "
            "%(username)s i Kontakt Læge.\n\nVar det ikke dig eller din administrator, så "
            "kontakt straks din administrator."
        )
        % {"name": user.display_name, "when": _when(), "username": user.username},
    )
