"""The administration pages × every role × GET/POST × objects of each scope, against an
explicit table (the main matrix in test_authorization_matrix.py leaves these URLs here).

Roles: administrators of each scope — Copenhagen's and Roskilde's municipality
administrators, the leads of the two clinics, Copenhagen's region's administrator, the
national administrator — besides an
employee and clinic staff. Object URLs are tried with an object of every scope; only the
administrator of that scope may act on it. Each request runs in its own rolled-back
transaction."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from kontaktlaege.accounts.models import User
from kontaktlaege.administration.models import Unit
from kontaktlaege.directory.models import Doctor
from tests.security.test_authorization_matrix import outcome, urls
from tests.support import factories
from tests.support.signin import verified_client

ROLES = [
    "anon",
    "password_only",
    "employee",
    "clinic",
    "national",
    "kbh_admin",
    "ros_admin",
    "clinic_lead",
    "other_clinic_lead",
    "region_admin",
]
MUNICIPAL = {"kbh_admin", "ros_admin"}
LEADS = {"clinic_lead", "other_clinic_lead"}
ADMINS = MUNICIPAL | LEADS | {"national", "region_admin"}
SIGNED_IN = ADMINS | {"employee", "clinic"}


def allowed(roles: set[str] | None) -> dict[str, str]:
    """None: the method is not allowed at all (405) for anyone."""
    if roles is None:
        return dict.fromkeys(ROLES, "not_allowed")
    table = {"anon": "login", "password_only": "verify"}
    for role in ROLES[2:]:
        table[role] = "ok" if role in roles else "denied"
    return table


# name → (roles for GET, roles for POST)
PAGES: dict[str, tuple[set[str] | None, set[str] | None]] = {
    "administration:home": (ADMINS, ADMINS),
    # The national administrator's accounts are the regions' administrators.
    "administration:accounts": (MUNICIPAL | LEADS | {"national"}, MUNICIPAL | LEADS | {"national"}),
    "administration:units": (MUNICIPAL, MUNICIPAL),
    "administration:pilot": (MUNICIPAL, MUNICIPAL),
    "administration:support": (MUNICIPAL, MUNICIPAL),
    "administration:usage": (MUNICIPAL, MUNICIPAL),
    "administration:doctors": (LEADS, LEADS),
    "administration:municipalities": ({"national"}, {"national"}),
    "administration:directory_import": ({"national"}, {"national"}),
    "administration:help": (SIGNED_IN, SIGNED_IN),
    "administration:test_call": (SIGNED_IN, SIGNED_IN),
}


@dataclass
class Admins:
    national: User
    kbh_admin: User
    ros_admin: User
    clinic_lead: User
    other_clinic_lead: User
    region_admin: User
    kbh_unit: Unit
    ros_unit: Unit
    doctor: Doctor
    other_doctor: Doctor


@pytest.fixture
def admins(world) -> Admins:  # type: ignore[no-untyped-def]
    admin = User.Kind.ADMIN
    kbh, ros = world.carer.municipality, world.foreign_carer.municipality
    return Admins(
        national=factories.UserFactory(username="national", kind=admin),
        kbh_admin=factories.UserFactory(username="kbhadmin", kind=admin, municipality=kbh),
        ros_admin=factories.UserFactory(username="rosadmin", kind=admin, municipality=ros),
        clinic_lead=factories.UserFactory(username="lead", kind=admin, clinic=world.clinic),
        other_clinic_lead=factories.UserFactory(
            username="otherlead", kind=admin, clinic=world.other_clinic
        ),
        region_admin=factories.UserFactory(username="regionadmin", kind=admin, region=kbh.region),
        kbh_unit=Unit.objects.create(
            municipality=kbh, name="Hjemmeplejen Indre By", department="health"
        ),
        ros_unit=Unit.objects.create(
            municipality=ros, name="Bostøtten Roskilde", department="social"
        ),
        doctor=world.ydernummer.doctors.get(),
        other_doctor=factories.DoctorFactory(ydernummer=world.other_ydernummer),
    )


def objects(name: str, world: Any, a: Admins) -> list[tuple[str, int, set[str]]]:
    """(label, pk, the roles whose scope the object is in) for an object URL."""
    if name == "administration:place":  # a unit is the municipality's matter only
        return [
            (label, pk, owners & MUNICIPAL)
            for label, pk, owners in objects("administration:deactivate", world, a)
        ]
    if name in {
        "administration:deactivate",
        "administration:reactivate",
        "administration:reset_second_factor",
    }:
        return [
            ("kbh employee", world.carer.pk, {"kbh_admin"}),
            ("ros employee", world.foreign_carer.pk, {"ros_admin"}),
            ("clinic staff", world.gp.pk, {"clinic_lead"}),
            ("other clinic staff", world.other_gp.pk, {"other_clinic_lead"}),
            # Administrators are nobody's to manage here.
            ("kbh admin", a.kbh_admin.pk, set()),
            ("clinic lead", a.clinic_lead.pk, set()),
            ("region admin", a.region_admin.pk, {"national"}),
        ]
    if name == "administration:unit":
        return [
            ("kbh unit", a.kbh_unit.pk, {"kbh_admin"}),
            ("ros unit", a.ros_unit.pk, {"ros_admin"}),
        ]
    if name == "administration:remove_doctor":
        return [
            ("doctor", a.doctor.pk, {"clinic_lead"}),
            ("other doctor", a.other_doctor.pk, {"other_clinic_lead"}),
        ]
    if name == "administration:set_connected":
        return [
            ("kbh", world.carer.municipality_id, {"national"}),
            ("ros", world.foreign_carer.municipality_id, {"national"}),
        ]
    raise KeyError(name)


# name → (GET allowed at all, POST allowed at all); who may is per object.
OBJECT_PAGES = {
    "administration:deactivate": (False, True),
    "administration:reactivate": (False, True),
    "administration:reset_second_factor": (False, True),
    "administration:place": (False, True),
    "administration:unit": (True, True),
    "administration:remove_doctor": (False, True),
    "administration:set_connected": (False, True),
}
POST_DATA = {"name": "Sygeplejen Vest", "department": "health", "active": "on", "connected": "0"}


def client_for(role: str, world: Any, a: Admins) -> Client:
    if role == "anon":
        return Client()
    if role == "password_only":
        client = Client()
        client.force_login(a.kbh_admin)
        return client
    user = {"employee": world.carer, "clinic": world.gp}.get(role) or getattr(a, role)
    return verified_client(user)


def administration_urls() -> list[tuple[str, str]]:
    return [(n, r) for n, r in urls() if n.startswith("administration:")]


def test_every_administration_url_is_in_the_table() -> None:
    missing = [n for n, _ in administration_urls() if n not in PAGES and n not in OBJECT_PAGES]
    assert not missing, f"administration URLs without a row: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_administration_matrix(role: str, world, admins: Admins) -> None:  # type: ignore[no-untyped-def]
    wrong = []
    for name, _route in administration_urls():
        if name in PAGES:
            cases = [(None, reverse(name), PAGES[name])]
        else:
            get_ok, post_ok = OBJECT_PAGES[name]
            cases = [
                (
                    label,
                    reverse(name, args=[pk]),
                    (owners if get_ok else None, owners if post_ok else None),
                )
                for label, pk, owners in objects(name, world, admins)
            ]
        for label, path, (get_roles, post_roles) in cases:
            for method, roles in (("GET", get_roles), ("POST", post_roles)):
                with transaction.atomic():
                    client = client_for(role, world, admins)
                    response = client.get(path) if method == "GET" else client.post(path, POST_DATA)
                    got = outcome(response)
                    transaction.set_rollback(True)
                want = allowed(roles)[role]
                if got != want:
                    wrong.append(f"{method} {path} ({name}, {label}): {got}, want {want}")
    assert not wrong, "\n".join(wrong)
