"""Shared personas (healthchecks-style): a home carer of Copenhagen and one of Roskilde, a GP
and a secretary of one clinic, a GP of another clinic."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import DjangoDbBlocker

from kontaktlaege.accounts.models import User
from kontaktlaege.directory.models import Clinic, Ydernummer

from . import factories, live


@dataclass
class World:
    clinic: Clinic
    ydernummer: Ydernummer
    other_clinic: Clinic
    other_ydernummer: Ydernummer
    carer: User  # employee, Copenhagen
    carer2: User  # another employee, Copenhagen
    foreign_carer: User  # employee, Roskilde
    gp: User
    secretary: User
    other_gp: User
    cpr: str  # a citizen whose own doctor is `ydernummer`
    cpr2: str


@pytest.fixture(scope="session")
def live_url(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """The product's server (kontaktlaege.serve) in its own process, serving the real ASGI
    application (HTTP + sockets) on a free loopback port against the test database."""
    with live.server(connection.settings_dict, LOG_LEVEL="WARNING") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def world(db: None) -> World:
    kbh = factories.MunicipalityFactory(name="Københavns Kommune")
    ros = factories.MunicipalityFactory(name="Roskilde Kommune")
    clinic = factories.ClinicFactory(name="Lægehuset Nørrebro", municipality=kbh)
    yn = factories.YdernummerFactory(clinic=clinic, number="012345")
    factories.DoctorFactory(ydernummer=yn, name="Anne Holm")
    other = factories.ClinicFactory(name="Roskilde Lægecenter", municipality=ros)
    other_yn = factories.YdernummerFactory(clinic=other, number="045678")
    return World(
        clinic=clinic,
        ydernummer=yn,
        other_clinic=other,
        other_ydernummer=other_yn,
        carer=factories.EmployeeFactory(
            username="mette",
            first_name="Mette",
            last_name="Sørensen",
            municipality=kbh,
            job_role="Social- og sundhedshjælper",
            workplace="Hjemmeplejen Nord",
        ),
        carer2=factories.EmployeeFactory(
            username="ali",
            first_name="Ali",
            last_name="Hassan",
            municipality=kbh,
        ),
        foreign_carer=factories.EmployeeFactory(username="jonas", municipality=ros),
        gp=factories.ClinicStaffFactory(
            username="anne", first_name="Anne", last_name="Holm", clinic=clinic
        ),
        secretary=factories.ClinicStaffFactory(username="bodil", clinic=clinic),
        other_gp=factories.ClinicStaffFactory(username="jens", clinic=other),
        cpr=factories.citizen(yn, "Inger Jensen"),
        cpr2=factories.citizen(yn, "Poul Nielsen"),
    )


def verified_client(user: User) -> Client:
    """A test client signed in with password and second factor."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture
def as_user():  # type: ignore[no-untyped-def]
    return verified_client


SERVER_FIXTURES = {"live_url", "check_server", "video_server", "server_url", "cluster"}


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):  # type: ignore[no-untyped-def]
    """PBKDF2 costs ~2 s per test world; the hasher is not what these tests are about. Tests
    against a real server process keep the production hasher, which that process uses."""
    if not SERVER_FIXTURES.intersection(request.fixturenames):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def danish() -> Iterator[None]:
    """Each test starts in the default language, whatever a request before it activated."""
    from django.utils import translation

    translation.activate("da")
    yield
    translation.deactivate()
