"""Every change of the correspondence goes through here, each in one audited transaction:
the clinic sends the doctor's note (send_note), the municipality's employee replies (reply),
the receiving side marks a message read (mark_read). The audit keeps ids only, never the
text. Delivery itself is delivery.py's: the embedded adapter delivers at once (after the
commit), any other waits for the scheduler."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.audit.log import record
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory.models import Clinic, Municipality

from . import delivery, fhir, validator
from .models import CareCommunication

M = CareCommunication
NOTE_MAX_LENGTH = 5000
# A note is written during or after the call.
NOTE_STATES = {Consultation.State.ADMITTED, Consultation.State.ENDED}


class ActionError(Exception):
    """A rule said no; the message is for the user, in their language."""


def _organisation(org: Clinic | Municipality) -> fhir.Organisation:
    if not (org.sor_code and org.ean_number):
        raise ActionError(
            _("%(name)s mangler SOR-kode eller EAN-nummer; kontakt administratoren.")
            % {"name": org.name}
        )
    return fhir.Organisation(name=org.name, sor=org.sor_code, ean=org.ean_number)


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ActionError(_("Skriv en tekst."))
    if len(text) > NOTE_MAX_LENGTH:
        raise ActionError(
            _("Teksten må højst være %(n)d tegn.") % {"n": NOTE_MAX_LENGTH},
        )
    return text


def _create(
    *,
    direction: str,
    consultation: Consultation,
    municipality: Municipality,
    author: User,
    author_role: str,
    sender: Clinic | Municipality,
    receiver: Clinic | Municipality,
    text: str,
    in_reply_to: CareCommunication | None = None,
) -> CareCommunication:
    now = timezone.now()
    message_id = uuid.uuid4()
    cpr = consultation.citizen_cpr if consultation.citizen_cpr_encrypted else ""
    if not cpr:
        raise ActionError(_("Konsultationen har ingen borger med CPR-nummer."))
    bundle = fhir.build(
        message_id=str(message_id),
        sent_at=timezone.localtime(now),
        sender=_organisation(sender),
        receiver=_organisation(receiver),
        author=fhir.Person(name=author.display_name, role=author_role),
        patient_cpr=cpr,
        patient_name=consultation.citizen_name,
        text=text,
        reply_to=fhir.Reply(str(in_reply_to.message_id)) if in_reply_to else None,
        topic=fhir.TOPIC_BY_PHONE if consultation.phone_fallback_at else fhir.TOPIC,
    )
    problems = validator.problems(fhir.as_dict(bundle))
    if problems:  # our own builder's mistake: never send a message MedCom would refuse
        raise ActionError(_("Beskeden kunne ikke dannes korrekt: %s") % "; ".join(problems))
    message = M.objects.create(
        direction=direction,
        consultation=consultation,
        clinic=consultation.clinic,
        municipality=municipality,
        in_reply_to=in_reply_to,
        author=author,
        author_name=author.display_name,
        text=text,
        bundle=fhir.to_json(bundle),
        message_id=message_id,
        created_at=now,
        next_attempt_at=now,
    )
    record(
        f"carecommunication_{direction}",
        actor=author,
        clinic=consultation.clinic_id,
        municipality=municipality.pk,
        consultation=consultation,
        detail={"message": message.pk, "in_reply_to": in_reply_to.pk if in_reply_to else None},
    )
    transaction.on_commit(lambda: delivery.deliver_now(message.pk))
    return message


def send_note(staff: User, consultation_id: int, text: str) -> CareCommunication:
    """The clinic's note about a consultation, to the municipality of the employee who
    called. Raises Consultation.DoesNotExist outside the staff's clinic."""
    text = _text(text)
    with transaction.atomic():
        consultation = (
            Consultation.objects.select_for_update(of=("self",))
            .select_related("clinic", "municipality")
            .get(pk=consultation_id, clinic_id=staff.clinic_id or 0)
        )
        if consultation.state not in NOTE_STATES:
            raise ActionError(_("Et notat kan sendes under eller efter konsultationen."))
        if consultation.municipality is None:
            raise ActionError(_("Konsultationen er ikke knyttet til en kommune."))
        return _create(
            direction=M.Direction.TO_MUNICIPALITY,
            consultation=consultation,
            municipality=consultation.municipality,
            author=staff,
            author_role=staff.job_role or "Læge",
            sender=consultation.clinic,
            receiver=consultation.municipality,
            text=text,
        )


def reply(employee: User, consultation_id: int, text: str) -> CareCommunication:
    """The municipality's answer to the latest note about a consultation, to the clinic that
    sent it. Raises CareCommunication.DoesNotExist when no note of the consultation was
    delivered to the employee's municipality."""
    text = _text(text)
    with transaction.atomic():
        note = (
            M.objects.select_for_update(of=("self",))
            .select_related("consultation__clinic", "municipality")
            .filter(
                consultation_id=consultation_id,
                municipality_id=employee.municipality_id or 0,
                direction=M.Direction.TO_MUNICIPALITY,
                state=M.State.SENT,
            )
            .latest("created_at", "pk")
        )
        answer = _create(
            direction=M.Direction.TO_CLINIC,
            consultation=note.consultation,
            municipality=note.municipality,
            author=employee,
            author_role=employee.job_role,
            sender=note.municipality,
            receiver=note.consultation.clinic,
            text=text,
            in_reply_to=note,
        )
        _mark_all(employee, consultation_id)
        return answer


def incoming(user: User) -> dict[str, object]:
    """The filter of the messages delivered to the user's side: notes to an employee's
    municipality, replies to a clinic's staff."""
    if user.is_employee and user.municipality_id:
        return {
            "municipality_id": user.municipality_id,
            "direction": M.Direction.TO_MUNICIPALITY,
            "state": M.State.SENT,
        }
    if user.is_clinic_staff and user.clinic_id:
        return {
            "clinic_id": user.clinic_id,
            "direction": M.Direction.TO_CLINIC,
            "state": M.State.SENT,
        }
    return {"pk__in": []}  # nobody else receives anything


def _mark_all(user: User, consultation_id: int) -> int:
    unread = list(
        M.objects.select_for_update().filter(
            consultation_id=consultation_id, read_at__isnull=True, **incoming(user)
        )
    )
    for message in unread:
        message.read_at = timezone.now()
        message.read_by = user
        message.save(update_fields=["read_at", "read_by"])
        record(
            "carecommunication_read",
            actor=user,
            clinic=message.clinic_id,
            municipality=message.municipality_id,
            consultation=message.consultation,
            detail={"message": message.pk},
        )
    return len(unread)


def mark_read(user: User, consultation_id: int) -> int:
    """The receiving side read the thread: an employee the notes to their municipality, the
    clinic's staff the replies. Raises CareCommunication.DoesNotExist when nothing of the
    consultation was delivered to them."""
    with transaction.atomic():
        if not M.objects.filter(consultation_id=consultation_id, **incoming(user)).exists():
            raise M.DoesNotExist
        return _mark_all(user, consultation_id)


def erase_expired(now: datetime) -> int:
    """Retention (privacy/retention.py): the text and bundle of messages finished more than
    RETENTION_DAYS ago; direction, parties, state and times stay for the record."""
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    return (
        M.objects.filter(state__in=[M.State.SENT, M.State.FAILED], created_at__lt=cutoff)
        .exclude(text="")
        .update(text="", bundle="")
    )
