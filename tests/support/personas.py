"""The shared personas (healthchecks-style): a home carer of Copenhagen and one of Roskilde,
a GP and a secretary of one clinic, a GP of another clinic."""

from dataclasses import dataclass

from kontaktlaege.accounts.models import User
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory.models import Clinic, Ydernummer
from tests.support import factories


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


def make_world() -> World:
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


def join_on_behalf(
    world: World,
    reason: str = "Hoste og feber i tre dage",
    *,
    carer: User | None = None,
    second: bool = False,
) -> Consultation:
    """`carer` (the world's first) queues at `world.ydernummer` on behalf of its citizen Inger
    Jensen (`second`: Poul Nielsen), with her consent."""
    cpr, name = (world.cpr2, "Poul Nielsen") if second else (world.cpr, "Inger Jensen")
    return actions.join_queue(
        carer or world.carer,
        ydernummer=world.ydernummer,
        reason=reason,
        citizen=actions.CitizenOnBehalf(cpr=cpr, name=name),
        consent_given=True,
    )
