"""Shared tablets: the idle lock and citizen mode ("Borgertilstand"), kept in the session.

Idle lock: an employee inactive longer than IDLE_TIMEOUT_SECONDS must give password and
TOTP code again; clinic staff and administrators, who see names, CPR numbers and reasons all
day, after the longer STAFF_IDLE_TIMEOUT_SECONDS. A video call is use of the device although
it makes no requests: the idle time does not run during one of the user's calls and runs
from its end; and the page of a consultation waiting in the queue answers however long the
wait (the employee is told to stay on it), while every other page locks.

Citizen mode: the employee locks the device to one running consultation; until they unlock
it with their own password, only that consultation's page, its socket and POST endpoints,
static files and the unlock page answer."""

import re
import time
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q

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
        # An employee signed in through SAML unlocks by signing in again at the provider.
        "/saml/bekraeft/",
        "/saml/acs/",
    )


def citizen_mode_allows(path: str, consultation_id: int) -> bool:
    return path.startswith(citizen_mode_paths(consultation_id))


def idle_timeout(user: Any) -> int:
    if getattr(user, "waits_in_queue", False):
        return int(settings.IDLE_TIMEOUT_SECONDS)
    return int(settings.STAFF_IDLE_TIMEOUT_SECONDS)


def idle_expired(session: Any, now: float | None = None, timeout: int | None = None) -> bool:
    last = session.get(LAST_ACTIVITY)
    now = time.time() if now is None else now
    timeout = settings.IDLE_TIMEOUT_SECONDS if timeout is None else timeout
    return isinstance(last, (int, float)) and now - last > timeout


def touch(session: Any, now: float | None = None) -> None:
    now = time.time() if now is None else now
    last = session.get(LAST_ACTIVITY)
    if not isinstance(last, (int, float)) or now - last >= ACTIVITY_RESOLUTION:
        session[LAST_ACTIVITY] = now


# The session keys socket_allowed reads (the session check keeps only these).
SOCKET_RULE_KEYS = (IDLE_LOCKED, CITIZEN_MODE)


def socket_allowed(session: Any, path: str) -> bool:
    """The socket rule, read from the session the socket was opened with."""
    if session.get(IDLE_LOCKED):
        return False
    mode = session.get(CITIZEN_MODE)
    return mode is None or citizen_mode_allows(path, int(mode))


def count_calls_as_use(session: Any, user: Any, now: float | None = None) -> None:
    """Move the activity stamp to now while one of the user's consultations is in a video
    call, or to the end of their latest call when that came later. The user's: an employee's
    or citizen's own; for clinic staff, one of their clinic they admitted, and any call they
    are in."""
    from kontaktlaege.consultations.models import Consultation, followed_by

    if getattr(user, "waits_in_queue", False):
        theirs = followed_by(user)
    else:
        theirs = Q(clinic_id=user.clinic_id, admitted_by=user) | Q(
            call_members__principal=f"user:{user.pk}"
        )
    calls = Consultation.objects.filter(theirs).aggregate(
        running=Count("pk", filter=Q(state=Consultation.State.ADMITTED)), ended=Max("ended_at")
    )
    now = time.time() if now is None else now
    last = session.get(LAST_ACTIVITY)
    used = now if calls["running"] else calls["ended"] and calls["ended"].timestamp()
    if used and (not isinstance(last, (int, float)) or used > last):
        session[LAST_ACTIVITY] = used


# The employee's page of a consultation, and the citizen's own (kontaktlaege/citizens).
_CONSULTATION_PAGE = re.compile(r"^/(?:borger/)?konsultation/(\d+)/")


def waiting_in_queue(user: Any, path: str) -> bool:
    """Whether the path is the page (or a form) of the employee's (or citizen's) consultation
    that waits in the queue."""
    from kontaktlaege.consultations.models import Consultation

    match = _CONSULTATION_PAGE.match(path)
    if match is None:
        return False
    return (
        Consultation.objects.followed_by(user)
        .filter(pk=int(match[1]), state=Consultation.State.QUEUED)
        .exists()
    )
