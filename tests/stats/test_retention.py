"""Retention erases the personal data of finished consultations; the statistics count the
same before and after (PRODUCT §3.8: "statistics survive as anonymous counts")."""

from datetime import datetime, timedelta

from django.db.models import F

from kontaktlaege.administration.models import Placement
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.privacy import retention
from kontaktlaege.stats import rollup
from kontaktlaege.stats.models import ConsultationFact
from tests.support import factories
from tests.support.signin import verified_client
from tests.support.statistics import CPH, PERIOD, sections, seed


def test_statistics_survive_retention(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    # One continued by phone: the mark is no personal data and stays with the counts.
    Consultation.objects.filter(queued_at=datetime(2025, 1, 6, 9, 0, tzinfo=CPH)).update(
        phone_fallback_at=F("ended_at")
    )
    admin = factories.UserFactory(username="national", kind="admin")
    client = verified_client(admin)
    url = f"/statistik/kommune/{seeded.kbh.pk}/"
    before = client.get(url, {**PERIOD, "eksport": "csv"}).content

    erased = retention.erase_expired(datetime(2025, 6, 1, tzinfo=CPH) + timedelta(days=60))
    assert erased == Consultation.objects.count() == 10
    assert not Consultation.objects.exclude(reason="").exists()
    assert not Consultation.objects.exclude(employee_workplace="").exists()
    assert ConsultationFact.objects.count() == 10
    assert ConsultationFact.objects.filter(phone_fallback=True).count() == 1

    # The employees leave their units (or the municipality) later: the counts stay put.
    Placement.objects.all().delete()
    after = client.get(url, {**PERIOD, "eksport": "csv"}).content
    assert after == before
    assert sections(after.decode("utf-8"))["Fortsat over telefon pr. måned"][-1] == [
        "I alt",
        "4",
        "1",
        "25,0 %",
    ]
    assert b"Hjemmeplejen Nord" in after  # the unit survives; the people do not
    assert b"Bost\xc3\xb8tten Indre By (Social)" in after

    # Rows written only now count the same per department and unit: the unit the employees
    # called from stays on the consultations (no personal data), whatever their placement is
    # today. (The workplace they typed is erased with their details.)
    assert Consultation.objects.filter(employee_unit=seeded.health).count() == 3
    ConsultationFact.objects.all().delete()
    assert rollup.refresh(full=True) == 10
    late = sections(client.get(url, {**PERIOD, "eksport": "csv"}).content.decode("utf-8"))
    early = sections(before.decode("utf-8"))
    for table in ("Forvaltninger", "Enheder", "Konsultationer pr. måned efter type"):
        assert late[table] == early[table]
