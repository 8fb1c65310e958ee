"""The consultation state machine: which transitions exist and which timestamp each sets.

queued → admitted → ended; queued → rejected / cancelled / cleared / abandoned;
queued → ended only when it was continued by phone (the doctor took it by phone).
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Consultation

S = Consultation.State

TRANSITIONS: dict[str, set[str]] = {
    S.QUEUED: {S.ADMITTED, S.REJECTED, S.CANCELLED, S.CLEARED, S.ABANDONED},
    S.ADMITTED: {S.ENDED},
}

# "Fortsat over telefon": where a consultation continued by phone goes. A queued one leaves
# the queue as ended; an admitted one keeps running until one side ends it.
BY_PHONE: dict[str, str] = {S.QUEUED: S.ENDED, S.ADMITTED: S.ADMITTED}

TIMESTAMP_FIELD: dict[str, str] = {
    S.ADMITTED: "admitted_at",
    S.ENDED: "ended_at",
    S.REJECTED: "rejected_at",
    S.CANCELLED: "cancelled_at",
    S.CLEARED: "cleared_at",
    S.ABANDONED: "abandoned_at",
}


class TransitionNotAllowed(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"{current} → {target}")
        self.current, self.target = current, target
        self.user_message = _("Konsultationen er allerede afsluttet eller ændret.")


def can_transition(current: str, target: str, *, by_phone: bool = False) -> bool:
    if by_phone and BY_PHONE.get(current) == target != current:
        return True
    return target in TRANSITIONS.get(current, set())


def transition(consultation: Consultation, target: str, *, by_phone: bool = False) -> list[str]:
    """Move to `target`, stamp the time and bump the sequence number; returns changed fields."""
    if not can_transition(consultation.state, target, by_phone=by_phone):
        raise TransitionNotAllowed(consultation.state, target)
    consultation.state = target
    setattr(consultation, TIMESTAMP_FIELD[target], timezone.now())
    consultation.seq += 1
    return ["state", TIMESTAMP_FIELD[target], "seq"]
