"""Who is on the other end of a WebSocket: the same rule as for pages (signed in and second
factor verified), read from the session the socket was opened with."""

from typing import Any

from channels.db import database_sync_to_async
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from kontaktlaege.privacy.shared_device import socket_allowed

from .models import User


def _verified_user(scope: dict[str, Any]) -> User | None:
    user = scope.get("user")
    session = scope.get("session")
    if user is None or not user.is_authenticated or session is None:
        return None
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    # Idle lock and citizen mode (shared tablets) bind sockets as they bind pages.
    if not socket_allowed(session, scope.get("path", "")):
        return None
    return User.objects.select_related("clinic", "municipality").get(pk=user.pk)


async def verified_user(scope: dict[str, Any]) -> User | None:
    return await database_sync_to_async(_verified_user)(scope)
