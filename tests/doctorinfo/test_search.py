"""Municipal scoping of the doctor search (issue 32): an employee sees their municipality's
doctors first, then their region's, then the rest; the doctors their municipality's
administrator has pinned come before all of them."""

import re

from kontaktlaege.accounts.models import User
from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.doctorinfo.models import PinnedDoctor
from tests.support import factories
from tests.support.personas import World

SEARCH = "/medarbejder/ydernummer/"
PINS = "/kommune/faste-laeger/"


class AdminFactory(factories.UserFactory):
    kind = User.Kind.ADMIN


def found(client, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    html = client.get(SEARCH, {"q": query}).content.decode()
    results = html.split('id="doctor-results"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<strong>([^<]+)</strong>", results)


def landscape(world: World) -> None:
    """Copenhagen (Nørrebro) and Frederiksberg share a region; Roskilde and Køge another."""
    kbh, ros = world.carer.municipality, world.foreign_carer.municipality
    frb = factories.MunicipalityFactory(name="Frederiksberg Kommune", region=kbh.region)
    koege = factories.MunicipalityFactory(name="Køge Kommune", region=ros.region)
    for name, municipality, number, doctor in (
        ("Lægehuset Frederiksberg", frb, "200001", "Bo Frost"),
        ("Lægehuset Køge", koege, "300001", "Karen Frost"),
        ("Lægehuset Roskilde", ros, "400001", "Ib Frost"),
    ):
        clinic = factories.ClinicFactory(name=name, municipality=municipality)
        yn = factories.YdernummerFactory(clinic=clinic, number=number)
        factories.DoctorFactory(ydernummer=yn, name=doctor)


def test_each_municipality_sees_its_own_then_its_region_then_the_rest(
    world: World, as_user
) -> None:  # type: ignore[no-untyped-def]
    landscape(world)
    copenhagen, roskilde = as_user(world.carer), as_user(world.foreign_carer)
    assert found(copenhagen, "Lægehuset") == [
        "Lægehuset Nørrebro",
        "Lægehuset Frederiksberg",
        "Lægehuset Køge",
        "Lægehuset Roskilde",
    ]
    assert found(roskilde, "Lægehuset") == [
        "Lægehuset Roskilde",
        "Lægehuset Køge",
        "Lægehuset Frederiksberg",
        "Lægehuset Nørrebro",
    ]
    # By the doctor's name and by the start of the ydernummer, in the same order.
    assert found(roskilde, "frost") == [
        "Lægehuset Roskilde",
        "Lægehuset Køge",
        "Lægehuset Frederiksberg",
    ]
    assert found(copenhagen, "Anne Holm") == ["Lægehuset Nørrebro"]
    assert found(copenhagen, "3000") == ["Lægehuset Køge"]
    assert found(copenhagen, "Ingen sådan læge") == []


def test_the_municipalitys_administrator_pins_doctors_for_its_staff_only(
    world: World, as_user
) -> None:  # type: ignore[no-untyped-def]
    landscape(world)
    kbh_admin = AdminFactory(username="kbhadmin", municipality=world.carer.municipality)
    admin = as_user(kbh_admin)
    # A municipality's administrator starts on the administration page, which leads here.
    start = admin.get(admin.get("/")["Location"]).content.decode()
    assert f'href="{PINS}"' in start
    assert admin.get(PINS).status_code == 200
    page = admin.get(PINS, {"q": "Køge"}).content.decode()
    assert "Lægehuset Køge" in page and "Fastgør" in page
    assert admin.post(PINS, {"action": "pin", "ydernummer": "300001"}).status_code == 302
    assert PinnedDoctor.objects.filter(municipality=world.carer.municipality).count() == 1
    assert AuditEntry.objects.filter(action="doctor_pinned", actor=kbh_admin).exists()

    copenhagen, roskilde = as_user(world.carer), as_user(world.foreign_carer)
    assert found(copenhagen, "Lægehuset")[:2] == ["Lægehuset Køge", "Lægehuset Nørrebro"]
    assert "Fastgjort af kommunen" in copenhagen.get(SEARCH, {"q": "Køge"}).content.decode()
    # Without a search the pinned doctors are offered straight away.
    start = copenhagen.get(SEARCH).content.decode()
    assert "Kommunens faste læger" in start and "Lægehuset Køge" in start
    # Roskilde's order is Roskilde's own.
    assert found(roskilde, "Lægehuset")[:2] == ["Lægehuset Roskilde", "Lægehuset Køge"]
    assert "Lægehuset Køge" not in roskilde.get(SEARCH).content.decode()

    admin.post(PINS, {"action": "unpin", "ydernummer": "300001"})
    assert not PinnedDoctor.objects.exists()
    assert found(copenhagen, "Lægehuset")[0] == "Lægehuset Nørrebro"

    # Only a municipality's administrator: not a national one, not an employee.
    national = as_user(AdminFactory(username="national"))
    assert national.get(PINS).status_code == 403
    assert copenhagen.post(PINS, {"action": "pin", "ydernummer": "300001"}).status_code == 403
    assert not PinnedDoctor.objects.exists()
