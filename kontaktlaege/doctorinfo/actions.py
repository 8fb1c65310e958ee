"""Every change of doctor information and of a municipality's pinned doctors: one
transaction that checks who may do it, writes and audits."""

from dataclasses import dataclass
from datetime import date, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.audit.log import record
from kontaktlaege.directory.models import Ydernummer

from .models import Absence, DoctorInfo, OpeningHours, PinnedDoctor


class ActionError(Exception):
    """A rule said no; the message is for the user, in their language."""


@dataclass(frozen=True)
class Substitute:
    name: str
    clinic: str
    phone: str


def _check_staff(staff: User, ydernummer: Ydernummer) -> None:
    if not staff.is_clinic_staff or ydernummer.clinic_id != staff.clinic_id:
        raise ActionError(_("Du kan kun ændre oplysninger om din egen kliniks læger."))


def _audit(action: str, staff: User, ydernummer: Ydernummer, **detail: object) -> None:
    record(
        action,
        actor=staff,
        clinic=ydernummer.clinic_id,
        detail={"ydernummer": ydernummer.number, **detail},
    )


def set_opening_hours(
    staff: User, ydernummer: Ydernummer, hours: list[tuple[int, time, time]]
) -> None:
    with transaction.atomic():
        _check_staff(staff, ydernummer)
        OpeningHours.objects.filter(ydernummer=ydernummer).delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(ydernummer=ydernummer, weekday=d, start=s, end=e) for d, s, e in hours
        )
        _audit("opening_hours_changed", staff, ydernummer, windows=len(hours))


def set_details(
    staff: User, ydernummer: Ydernummer, *, back_line_phone: str, closed_on_optional: bool
) -> DoctorInfo:
    with transaction.atomic():
        _check_staff(staff, ydernummer)
        info, _created = DoctorInfo.objects.select_for_update().get_or_create(ydernummer=ydernummer)
        info.back_line_phone = back_line_phone.strip()
        info.closed_on_optional_holidays = closed_on_optional
        info.save()
        # The number itself stays out of the log: who changed it and when is what counts.
        _audit(
            "doctor_info_changed",
            staff,
            ydernummer,
            back_line=bool(info.back_line_phone),
            closed_on_optional_holidays=closed_on_optional,
        )
    return info


def add_absence(
    staff: User,
    ydernummer: Ydernummer,
    *,
    starts: date,
    ends: date,
    reason: str = "",
    substitute: Substitute | None = None,
) -> Absence:
    if ends < starts:
        raise ActionError(_("Fraværet skal slutte samme dag eller efter, det begynder."))
    with transaction.atomic():
        _check_staff(staff, ydernummer)
        sub = substitute or Substitute("", "", "")
        absence = Absence.objects.create(
            ydernummer=ydernummer,
            starts=starts,
            ends=ends,
            reason=reason.strip(),
            substitute_name=sub.name.strip(),
            substitute_clinic=sub.clinic.strip(),
            substitute_phone=sub.phone.strip(),
            created_by=staff,
        )
        _audit(
            "absence_added",
            staff,
            ydernummer,
            absence=absence.pk,
            starts=starts.isoformat(),
            ends=ends.isoformat(),
        )
    return absence


def remove_absence(staff: User, absence_id: int) -> None:
    if not staff.is_clinic_staff or staff.clinic_id is None:
        raise ActionError(_("Fraværet findes ikke."))
    with transaction.atomic():
        absence = (
            Absence.objects.select_for_update()
            .select_related("ydernummer")
            .filter(pk=absence_id, ydernummer__clinic_id=staff.clinic_id)
            .first()
        )
        if absence is None:
            raise ActionError(_("Fraværet findes ikke."))
        _audit("absence_removed", staff, absence.ydernummer, absence=absence.pk)
        absence.delete()


def _check_municipal_admin(admin: User) -> int:
    if admin.kind != User.Kind.ADMIN or admin.municipality_id is None:
        raise ActionError(_("Kun en kommunes administrator kan fastgøre læger."))
    return admin.municipality_id


def pin(admin: User, ydernummer: Ydernummer) -> PinnedDoctor:
    with transaction.atomic():
        municipality_id = _check_municipal_admin(admin)
        pinned, created = PinnedDoctor.objects.get_or_create(
            municipality_id=municipality_id,
            ydernummer=ydernummer,
            defaults={"pinned_by": admin, "pinned_at": timezone.now()},
        )
        if created:
            record(
                "doctor_pinned",
                actor=admin,
                municipality=municipality_id,
                clinic=ydernummer.clinic_id,
                detail={"ydernummer": ydernummer.number},
            )
    return pinned


def unpin(admin: User, ydernummer: Ydernummer) -> None:
    with transaction.atomic():
        municipality_id = _check_municipal_admin(admin)
        removed, _n = PinnedDoctor.objects.filter(
            municipality_id=municipality_id, ydernummer=ydernummer
        ).delete()
        if removed:
            record(
                "doctor_unpinned",
                actor=admin,
                municipality=municipality_id,
                clinic=ydernummer.clinic_id,
                detail={"ydernummer": ydernummer.number},
            )
