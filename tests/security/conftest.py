"""Shared pieces of the security tests: a fast password hasher, administrators of each
scope, a queued consultation of each employee, and a real server process on loopback."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from kontaktlaege.accounts.models import User
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation
from tests.support import factories, server
from tests.support.personas import join_on_behalf

ROOT = Path(__file__).resolve().parents[2]


class AdminFactory(factories.UserFactory):
    kind = User.Kind.ADMIN


@dataclass
class Scene:
    mine: Consultation  # carer's, at world.clinic (Copenhagen)
    theirs: Consultation  # foreign_carer's, at world.other_clinic (Roskilde)
    admin: User  # national
    kbh_admin: User  # municipality admin of Copenhagen
    clinic_admin: User  # admin of world.clinic


@pytest.fixture
def scene(world) -> Scene:  # type: ignore[no-untyped-def]
    mine = join_on_behalf(world)
    theirs = actions.join_queue(
        world.foreign_carer, ydernummer=world.other_ydernummer, reason="Svimmelhed om morgenen"
    )
    return Scene(
        mine=mine,
        theirs=theirs,
        admin=AdminFactory(username="national"),
        kbh_admin=AdminFactory(username="kbhadmin", municipality=world.carer.municipality),
        clinic_admin=AdminFactory(username="klinikadmin", clinic=world.clinic),
    )


@pytest.fixture(scope="module")
def server_url(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """A real server process serving the test database on a loopback port."""
    with server.server(
        connection.settings_dict,
        WS_MAX_MESSAGES_PER_SECOND=str(django_settings.WS_MAX_MESSAGES_PER_SECOND),
    ) as port:
        yield f"127.0.0.1:{port}"
