"""The consultation state machine: every allowed transition stamps its time and bumps the
sequence number; every other one is refused and changes nothing."""

import itertools

import pytest
from django.utils import timezone

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions, lifecycle
from kontaktlaege.consultations.models import Consultation, WaitingRoom

S = Consultation.State
ALLOWED = {
    (S.QUEUED, S.ADMITTED),
    (S.QUEUED, S.REJECTED),
    (S.QUEUED, S.CANCELLED),
    (S.QUEUED, S.CLEARED),
    (S.QUEUED, S.ABANDONED),
    (S.ADMITTED, S.ENDED),
}
TIMESTAMPS = [
    "admitted_at",
    "ended_at",
    "rejected_at",
    "cancelled_at",
    "cleared_at",
    "abandoned_at",
]
PAIRS = list(itertools.product(S.values, S.values))


def _consultation(world, state: str) -> Consultation:  # type: ignore[no-untyped-def]
    return Consultation.objects.create(
        clinic=world.clinic,
        ydernummer=world.ydernummer,
        kind=Consultation.Kind.WITHOUT_CITIZEN,
        employee=world.carer,
        reason="Sår på benet",
        state=state,
        queued_at=timezone.now(),
        seq=3,
    )


def test_transition_table_is_the_documented_one() -> None:
    table = {(a, b) for a, targets in lifecycle.TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize("current, target", sorted(p for p in PAIRS if p in ALLOWED))
def test_allowed_transition_stamps_time_and_bumps_seq(world, current, target) -> None:  # type: ignore[no-untyped-def]
    c = _consultation(world, current)
    before = timezone.now()
    fields = lifecycle.transition(c, target)
    c.save(update_fields=fields)
    c.refresh_from_db()
    assert c.state == target
    assert c.seq == 4
    stamp = getattr(c, lifecycle.TIMESTAMP_FIELD[target])
    assert stamp is not None and stamp >= before
    others = [f for f in TIMESTAMPS if f != lifecycle.TIMESTAMP_FIELD[target]]
    assert all(getattr(c, f) is None for f in others)


@pytest.mark.parametrize("current, target", sorted(p for p in PAIRS if p not in ALLOWED))
def test_disallowed_transition_raises_and_changes_nothing(world, current, target) -> None:  # type: ignore[no-untyped-def]
    c = _consultation(world, current)
    with pytest.raises(lifecycle.TransitionNotAllowed) as excinfo:
        lifecycle.transition(c, target)
    assert excinfo.value.user_message  # a Danish sentence for the user
    assert (c.state, c.seq) == (current, 3)
    assert all(getattr(c, f) is None for f in TIMESTAMPS)
    c.refresh_from_db()
    assert (c.state, c.seq) == (current, 3)


@pytest.mark.parametrize("state", [s for s in S.values if s != S.QUEUED])
def test_admit_of_a_consultation_that_is_not_queued_is_refused_by_the_action(world, state) -> None:  # type: ignore[no-untyped-def]
    c = _consultation(world, state)
    room_seq = WaitingRoom.objects.get(clinic=world.clinic).seq
    audit_rows = AuditEntry.objects.count()
    with pytest.raises(actions.ActionError, match="allerede afsluttet"):
        actions.admit(world.gp, c.pk)
    c.refresh_from_db()
    assert (c.state, c.seq, c.admitted_at, c.admitted_by) == (state, 3, None, None)
    assert WaitingRoom.objects.get(clinic=world.clinic).seq == room_seq
    assert AuditEntry.objects.count() == audit_rows


def test_each_action_audits_its_transition_and_bumps_room_seq(world) -> None:  # type: ignore[no-untyped-def]
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste i en uge")
    room = WaitingRoom.objects.get(clinic=world.clinic)
    seq_after_join = room.seq
    actions.admit(world.gp, c.pk)
    actions.end(world.gp, c.pk)
    c.refresh_from_db()
    assert c.state == S.ENDED and c.admitted_by == world.gp
    assert c.admitted_at is not None and c.ended_at is not None and c.ended_at >= c.admitted_at
    room.refresh_from_db()
    assert room.seq == seq_after_join + 2
    assert list(
        AuditEntry.objects.filter(consultation_id=c.pk).values_list("action", flat=True)
    ) == ["consultation_queued", "consultation_admitted", "consultation_ended"]
