"""Consultations with a citizen, called by the Copenhagen carer and taken by the GP (over
video, or by phone from the queue), and a delivered thread about one."""

from kontaktlaege.consultations import actions as consultations
from kontaktlaege.consultations.models import Consultation
from tests.support.personas import join_on_behalf


def called(world, *, end: bool = True) -> Consultation:  # type: ignore[no-untyped-def]
    consultation = join_on_behalf(world)
    consultations.admit(world.gp, consultation.pk)
    if end:
        consultations.end(world.gp, consultation.pk)
    consultation.refresh_from_db()
    return consultation


def by_phone(world, *, second: bool = False) -> Consultation:  # type: ignore[no-untyped-def]
    """A consultation the GP took by phone straight from the queue: ended, never admitted."""
    consultation = join_on_behalf(world, second=second)
    consultations.continue_by_phone(world.gp, consultation.pk)
    consultation.refresh_from_db()
    return consultation


def delivered_thread(consultation: Consultation) -> None:
    """A note delivered to the consultation's municipality and a reply delivered to its
    clinic, written straight into the table (the authorization matrix's objects)."""
    import uuid

    from django.utils import timezone

    from kontaktlaege.correspondence.models import CareCommunication as M

    now = timezone.now()
    common = {
        "consultation": consultation,
        "clinic_id": consultation.clinic_id,
        "municipality_id": consultation.municipality_id,
        "bundle": "{}",
        "created_at": now,
        "next_attempt_at": now,
        "state": M.State.SENT,
    }
    note = M.objects.create(
        direction=M.Direction.TO_MUNICIPALITY,
        author_name="Anne Holm",
        text="Notat",
        message_id=uuid.uuid4(),
        **common,
    )
    M.objects.create(
        direction=M.Direction.TO_CLINIC,
        author_name="Mette Sørensen",
        text="Svar",
        message_id=uuid.uuid4(),
        in_reply_to=note,
        **common,
    )
