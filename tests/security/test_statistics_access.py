"""Statistics by scope: who may open which page, and that a page shows nothing of another
scope and nothing personal. The URL × role rows for the shared personas are in
test_authorization_matrix.py; these add the scoped administrators."""

import pytest

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.audit.views import scoped_entries
from kontaktlaege.stats.models import ConsultationFact
from tests.security.conftest import AdminFactory
from tests.support.signin import verified_client
from tests.support.statistics import PERIOD, sections, seed

OK, DENIED = 200, 403


@pytest.fixture
def people(world, scene):  # type: ignore[no-untyped-def]
    return {
        "national": scene.admin,
        "kbh_admin": scene.kbh_admin,
        "ros_admin": AdminFactory(
            username="rosadmin", municipality=world.foreign_carer.municipality
        ),
        "clinic_admin": scene.clinic_admin,
        # Copenhagen's region and Roskilde's are two: each administrator sees only their own.
        "kbh_region_admin": AdminFactory(
            username="hovedstaden", region=world.clinic.municipality.region
        ),
        "ros_region_admin": AdminFactory(
            username="sjaelland", region=world.foreign_carer.municipality.region
        ),
        "gp": world.gp,
        "other_gp": world.other_gp,
        "carer": world.carer,
    }


def test_who_sees_which_page(world, people) -> None:  # type: ignore[no-untyped-def]
    kbh, ros = world.clinic.municipality, world.other_clinic.municipality
    pages = {
        "nation": "/statistik/",
        "kbh_region": f"/statistik/region/{kbh.region_id}/",
        "kbh_report": f"/statistik/region/{kbh.region_id}/halvaar.xlsx",
        "ros_region": f"/statistik/region/{ros.region_id}/",
        "ros_report": f"/statistik/region/{ros.region_id}/halvaar.xlsx",
        "kbh": f"/statistik/kommune/{kbh.pk}/",
        "ros": f"/statistik/kommune/{ros.pk}/",
        "clinic": f"/statistik/praksis/{world.clinic.pk}/",
        "other_clinic": f"/statistik/praksis/{world.other_clinic.pk}/",
        "no_such_clinic": "/statistik/praksis/999999/",
    }
    # The start page sends each viewer to their own page (302).
    allowed = {
        "national": {p: OK for p in pages} | {"no_such_clinic": DENIED},
        "kbh_admin": {"nation": 302, "kbh": OK},
        "ros_admin": {"nation": 302, "ros": OK},
        "kbh_region_admin": {
            "nation": 302,
            "kbh_region": OK,
            "kbh_report": OK,
            "kbh": OK,
            "clinic": OK,
        },
        "ros_region_admin": {
            "nation": 302,
            "ros_region": OK,
            "ros_report": OK,
            "ros": OK,
            "other_clinic": OK,
        },
        "clinic_admin": {"nation": 302, "clinic": OK},
        "gp": {"nation": 302, "clinic": OK},
        "other_gp": {"nation": 302, "other_clinic": OK},
        "carer": {},
    }
    wrong = []
    for who, user in people.items():
        client = verified_client(user)
        for page, url in pages.items():
            got = client.get(url).status_code
            want = allowed[who].get(page, DENIED)
            if got != want:
                wrong.append(f"{who} {page}: {got}, want {want}")
    assert not wrong, "\n".join(wrong)


def test_start_page_leads_to_own_scope(world, people) -> None:  # type: ignore[no-untyped-def]
    kbh = world.clinic.municipality
    assert verified_client(people["kbh_admin"]).get("/statistik/")["Location"] == (
        f"/statistik/kommune/{kbh.pk}/"
    )
    assert verified_client(people["gp"]).get("/statistik/")["Location"] == (
        f"/statistik/praksis/{world.clinic.pk}/"
    )
    assert verified_client(people["kbh_region_admin"]).get("/statistik/")["Location"] == (
        f"/statistik/region/{kbh.region_id}/"
    )


def test_a_municipality_sees_none_of_another(world, people) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    client = verified_client(people["kbh_admin"])
    response = client.get(f"/statistik/kommune/{seeded.kbh.pk}/", {**PERIOD, "eksport": "csv"})
    text = response.content.decode()
    # Roskilde's carer called the Copenhagen clinic: Roskilde's number, not Copenhagen's.
    assert sections(text)["Konsultationer pr. måned efter type"][-1][-1] == "8"
    assert "Roskilde" not in text
    page = client.get(f"/statistik/kommune/{seeded.kbh.pk}/", PERIOD).content.decode()
    assert "Roskilde" not in page
    for personal in ("Inger Jensen", "Mette Sørensen", "Ondt i knæet", world.cpr):
        assert personal not in page and personal not in text
    assert ConsultationFact.objects.filter(municipality=seeded.ros).count() == 2


def test_a_clinic_sees_only_its_own(world, people) -> None:  # type: ignore[no-untyped-def]
    seed(world)
    client = verified_client(people["other_gp"])
    own = client.get(f"/statistik/praksis/{world.other_clinic.pk}/", {**PERIOD, "eksport": "csv"})
    assert sections(own.content.decode())["Konsultationer pr. måned efter type"][-1][-1] == "1"
    csv_of_other = client.get(
        f"/statistik/praksis/{world.clinic.pk}/", {**PERIOD, "eksport": "csv"}
    )
    assert csv_of_other.status_code == DENIED


def test_a_region_sees_its_municipalities(world, people) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    client = verified_client(people["national"])
    text = client.get(f"/statistik/region/{seeded.kbh.region_id}/", PERIOD).content.decode()
    assert "Københavns Kommune" in text and "Roskilde Kommune" not in text


def test_a_region_administrator_sees_their_region_only(world, people) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    client = verified_client(people["ros_region_admin"])
    region = f"/statistik/region/{seeded.ros.region_id}/"
    text = client.get(region, {**PERIOD, "eksport": "csv"}).content.decode()
    # Roskilde's two calls, none of Copenhagen's eight; the municipality is a link to follow.
    assert sections(text)["Konsultationer pr. måned efter type"][-1][-1] == "2"
    assert "København" not in text
    page = client.get(region, PERIOD).content.decode()
    assert f'href="/statistik/kommune/{seeded.ros.pk}/"' in page
    assert "Tilbage til" not in page  # no way up to the whole country
    kbh_pages = (
        f"/statistik/region/{seeded.kbh.region_id}/",
        f"/statistik/kommune/{seeded.kbh.pk}/",
    )
    for other in kbh_pages:
        assert client.get(other, {**PERIOD, "eksport": "csv"}).status_code == DENIED
    # Statistics only: none of the audit log, which names people.
    assert AuditEntry.objects.exists()
    assert not scoped_entries(people["ros_region_admin"]).exists()
