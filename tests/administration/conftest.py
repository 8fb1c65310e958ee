"""Administrators of each scope beside the personas: Copenhagen's and Roskilde's
municipality administrators, the lead of Lægehuset Nørrebro, the national administrator."""

from dataclasses import dataclass

import pytest

from kontaktlaege.accounts.models import User
from tests.support import factories


@dataclass
class Admins:
    kbh: User
    ros: User
    lead: User
    national: User


@pytest.fixture
def admins(world) -> Admins:  # type: ignore[no-untyped-def]
    admin = User.Kind.ADMIN
    return Admins(
        kbh=factories.UserFactory(
            username="kbhadmin", kind=admin, municipality=world.carer.municipality
        ),
        ros=factories.UserFactory(
            username="rosadmin", kind=admin, municipality=world.foreign_carer.municipality
        ),
        lead=factories.UserFactory(username="lead", kind=admin, clinic=world.clinic),
        national=factories.UserFactory(username="national", kind=admin),
    )
