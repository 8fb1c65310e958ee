"""Shared tablets: the idle lock and citizen mode ("Borgertilstand"), kept in the session.

Idle lock: an employee inactive longer than IDLE_TIMEOUT_SECONDS must give password and
TOTP code again. Citizen mode: the employee locks the device to one running consultation;
until they unlock it with their own password, only that consultation's page, its socket
and POST endpoints, static files and the unlock page answer."""

import time
from typing import Any

from django.conf import settings

CITIZEN_MODE = "kl_citizen_mode"  # consultation id; readable in templates (no underscore)
IDLE_LOCKED = "kl_idle_locked"
LAST_ACTIVITY = "kl_last_activity"
# Write the activity stamp at most this often: not a session write on every request.
ACTIVITY_RESOLUTION = 30


def citizen_mode_paths(consultation_id: int) -> tuple[str, ...]:
    """Path prefixes open in citizen mode."""
    return (
        f"/konsultation/{consultation_id}/",
        f"/ws/konsultation/{consultation_id}/",
        f"/ws/video/{consultation_id}/",
        settings.STATIC_URL,
        "/privatliv/laas-op/",
    )


def citizen_mode_allows(path: str, consultation_id: int) -> bool:
    return path.startswith(citizen_mode_paths(consultation_id))


def idle_expired(session: Any, now: float | None = None) -> bool:
    last = session.get(LAST_ACTIVITY)
    now = time.time() if now is None else now
    return isinstance(last, (int, float)) and now - last > settings.IDLE_TIMEOUT_SECONDS


def touch(session: Any, now: float | None = None) -> None:
    now = time.time() if now is None else now
    last = session.get(LAST_ACTIVITY)
    if not isinstance(last, (int, float)) or now - last >= ACTIVITY_RESOLUTION:
        session[LAST_ACTIVITY] = now


def socket_allowed(session: Any, path: str) -> bool:
    """The socket rule, read from the session the socket was opened with."""
    if session.get(IDLE_LOCKED):
        return False
    mode = session.get(CITIZEN_MODE)
    return mode is None or citizen_mode_allows(path, int(mode))
