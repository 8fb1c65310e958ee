"""Every change an administrator makes: one transaction each, the audit row inside it, the
scope checked again here (a view's check is not the only one)."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.accounts import activation
from kontaktlaege.accounts.models import User
from kontaktlaege.audit.log import record
from kontaktlaege.directory.models import Clinic, Doctor, Municipality, Region, Ydernummer

from . import scope
from .models import MunicipalitySetup, Placement, Unit


class ActionError(Exception):
    """A rule said no; the message is for the administrator, in their language."""


def _scope_kwargs(admin: User) -> dict[str, Any]:
    return {"municipality": admin.municipality_id, "clinic": admin.clinic_id}


def _managed(admin: User, user_pk: int) -> User:
    user = scope.managed_users(admin).select_for_update().filter(pk=user_pk).first()
    if user is None:
        raise ActionError(_("Brugeren findes ikke i dit område."))
    return user


def create_account(
    admin: User,
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    unit: Unit | None = None,
    region: Region | None = None,
) -> tuple[User, str]:
    """A local account in the administrator's scope (an employee of the municipality, staff
    of the clinic, or a region's administrator), and its one-time activation code."""
    national = scope.is_national_admin(admin)
    if not (scope.is_municipality_admin(admin) or scope.is_clinic_lead(admin) or national):
        raise ActionError(_("Du kan ikke oprette brugere."))
    if national and region is None:
        raise ActionError(_("Vælg regionen, som administratoren skal se statistik for."))
    if User.objects.filter(username__iexact=username).exists():
        raise ActionError(_("Brugernavnet er allerede i brug."))
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    if national and region is not None:
        user.kind, user.region = User.Kind.ADMIN, region
    elif scope.is_clinic_lead(admin):
        user.kind, user.clinic_id = User.Kind.CLINIC, admin.clinic_id
    else:
        user.kind, user.municipality_id = User.Kind.EMPLOYEE, admin.municipality_id
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ActionError(" ".join(exc.messages)) from exc
    user.set_password(password)
    if unit is not None and (
        user.municipality_id is None or unit.municipality_id != user.municipality_id
    ):
        raise ActionError(_("Enheden findes ikke i din kommune."))
    with transaction.atomic():
        user.save()
        if unit is not None:
            Placement.objects.create(user=user, unit=unit)
        record("account_created", actor=admin, detail={"user": user.pk}, **_scope_kwargs(admin))
        code = activation.issue(user, by=admin, via="administration")
    return user, code


def set_account_active(admin: User, user_pk: int, active: bool) -> User:
    """Deactivate (the account can no longer sign in, its sessions end) or reactivate."""
    with transaction.atomic():
        user = _managed(admin, user_pk)
        user.is_active = active
        user.save(update_fields=["is_active"])
        record(
            "account_activated" if active else "account_deactivated",
            actor=admin,
            detail={"user": user.pk},
            **_scope_kwargs(admin),
        )
    return user


def reset_second_factor(admin: User, user_pk: int) -> tuple[User, str]:
    """A lost phone: the account's authenticator is removed and a new one-time activation
    code issued; its owner binds a new app with it. No secret is ever shown to the admin."""
    with transaction.atomic():
        user = _managed(admin, user_pk)
        for device in TOTPDevice.objects.filter(user=user):
            device.delete()  # one by one: the owner hears of each removal
        record("second_factor_reset", actor=admin, detail={"user": user.pk}, **_scope_kwargs(admin))
        code = activation.issue(user, by=admin, via="administration")
    return user, code


def place(admin: User, user_pk: int, unit: Unit | None) -> None:
    """Move one of the municipality's employees to one of its units (or to none). Their calls
    so far, finished or not, keep the unit they called from (Consultation.employee_unit)."""
    if not scope.is_municipality_admin(admin):
        raise ActionError(_("Kun kommunens administrator kan ændre enheder."))
    with transaction.atomic():
        user = _managed(admin, user_pk)
        if unit is None:
            Placement.objects.filter(user=user).delete()
        elif unit.municipality_id != scope.municipality_id(admin):
            raise ActionError(_("Enheden findes ikke i din kommune."))
        else:
            Placement.objects.update_or_create(user=user, defaults={"unit": unit})
        record(
            "employee_placed",
            actor=admin,
            detail={"user": user.pk, "unit": unit.pk if unit else None},
            municipality=admin.municipality_id,
        )


def save_unit(
    admin: User, *, unit_pk: int | None, name: str, department: str, active: bool = True
) -> Unit:
    if not scope.is_municipality_admin(admin):
        raise ActionError(_("Kun kommunens administrator kan ændre enheder."))
    with transaction.atomic():
        if unit_pk is None:
            unit = Unit(municipality_id=scope.municipality_id(admin))
        else:
            found = (
                Unit.objects.select_for_update()
                .filter(pk=unit_pk, municipality_id=scope.municipality_id(admin))
                .first()
            )
            if found is None:
                raise ActionError(_("Enheden findes ikke i din kommune."))
            unit = found
        clash = Unit.objects.filter(municipality_id=scope.municipality_id(admin), name__iexact=name)
        if clash.exclude(pk=unit.pk).exists():
            raise ActionError(_("Der findes allerede en enhed med det navn."))
        unit.name, unit.department, unit.active = name, department, active
        unit.save()
        record(
            "unit_saved",
            actor=admin,
            detail={"unit": unit.pk, "department": department, "active": active},
            municipality=admin.municipality_id,
        )
    return unit


def _setup(municipality_id: int) -> MunicipalitySetup:
    MunicipalitySetup.objects.get_or_create(municipality_id=municipality_id)
    return MunicipalitySetup.objects.select_for_update().get(municipality_id=municipality_id)


def set_pilot(admin: User, *, pilot: bool, clinics: Iterable[Clinic]) -> MunicipalitySetup:
    """Limit the municipality's employees to the pilot's clinics, or lift the limit (the
    list is kept, for a later pilot)."""
    if not scope.is_municipality_admin(admin):
        raise ActionError(_("Kun kommunens administrator kan ændre afprøvningen."))
    clinics = list(clinics)
    if pilot and not clinics:
        raise ActionError(_("Vælg mindst én klinik til afprøvningen."))
    with transaction.atomic():
        setup = _setup(scope.municipality_id(admin))
        setup.pilot = pilot
        setup.save(update_fields=["pilot"])
        setup.pilot_clinics.set(clinics)
        record(
            "pilot_changed",
            actor=admin,
            detail={"pilot": pilot, "clinics": sorted(c.pk for c in clinics)},
            municipality=admin.municipality_id,
        )
    return setup


SUPPORT_FIELDS = ("support_name", "support_phone", "support_email", "support_hours")


def set_support(admin: User, **contact: str) -> MunicipalitySetup:
    if not scope.is_municipality_admin(admin):
        raise ActionError(_("Kun kommunens administrator kan ændre supportoplysningerne."))
    with transaction.atomic():
        setup = _setup(scope.municipality_id(admin))
        for field in SUPPORT_FIELDS:
            setattr(setup, field, contact.get(field, "").strip())
        setup.save(update_fields=list(SUPPORT_FIELDS))
        record("support_contact_changed", actor=admin, municipality=admin.municipality_id)
    return setup


def set_connected(admin: User, municipality: Municipality, connected: bool) -> None:
    """The national administrator connects a municipality; until then its employees cannot
    sign in."""
    if not scope.is_national_admin(admin):
        raise ActionError(_("Kun den nationale administrator kan tilslutte kommuner."))
    with transaction.atomic():
        setup = _setup(municipality.pk)
        setup.connected = connected
        setup.save(update_fields=["connected"])
        record(
            "municipality_connected" if connected else "municipality_disconnected",
            actor=admin,
            municipality=municipality.pk,
        )


def add_doctor(lead: User, *, ydernummer_pk: int, name: str) -> Doctor:
    if not scope.is_clinic_lead(lead):
        raise ActionError(_("Kun klinikkens leder kan ændre lægerne."))
    with transaction.atomic():
        ydernummer = Ydernummer.objects.filter(
            pk=ydernummer_pk, clinic_id=scope.clinic_id(lead)
        ).first()
        if ydernummer is None:
            raise ActionError(_("Ydernummeret hører ikke til din klinik."))
        doctor = Doctor.objects.create(ydernummer=ydernummer, name=name)
        record("doctor_added", actor=lead, clinic=lead.clinic_id, detail={"doctor": doctor.pk})
    return doctor


def remove_doctor(lead: User, doctor_pk: int) -> None:
    if not scope.is_clinic_lead(lead):
        raise ActionError(_("Kun klinikkens leder kan ændre lægerne."))
    with transaction.atomic():
        doctor = Doctor.objects.filter(
            pk=doctor_pk, ydernummer__clinic_id=scope.clinic_id(lead)
        ).first()
        if doctor is None:
            raise ActionError(_("Lægen hører ikke til din klinik."))
        doctor.delete()
        record("doctor_removed", actor=lead, clinic=lead.clinic_id, detail={"doctor": doctor_pk})


def add_ydernummer(lead: User, number: str) -> Ydernummer:
    if not scope.is_clinic_lead(lead):
        raise ActionError(_("Kun klinikkens leder kan ændre ydernumrene."))
    with transaction.atomic():
        if Ydernummer.objects.filter(number=number).exists():
            raise ActionError(_("Ydernummeret er allerede registreret."))
        ydernummer = Ydernummer.objects.create(number=number, clinic_id=scope.clinic_id(lead))
        record("ydernummer_added", actor=lead, clinic=lead.clinic_id, detail={"number": number})
    return ydernummer
