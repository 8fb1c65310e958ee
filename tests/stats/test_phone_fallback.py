"""The share of consultations continued by phone (issue 34: "where recorded"), per month,
against the hand-counted data set with three of its completed calls marked, and the
generated year's small share."""

import json
from datetime import date, datetime

from django.db.models import F

from kontaktlaege.consultations.models import Consultation
from kontaktlaege.stats.generate import generate
from kontaktlaege.stats.models import ConsultationFact
from tests.support import factories
from tests.support.signin import verified_client
from tests.support.statistics import CPH, PERIOD, sections, seed

PHONE = "Fortsat over telefon pr. måned"
HEADER = ["Måned", "Gennemført", "Fortsat over telefon", "Andel fortsat over telefon"]


def _phoned(*queued: datetime) -> None:
    """Mark the seeded consultations queued at these Copenhagen times continued by phone."""
    at = [q.replace(tzinfo=CPH) for q in queued]
    marked = Consultation.objects.filter(queued_at__in=at).update(phone_fallback_at=F("ended_at"))
    assert marked == len(queued)


def _seed_with_phone(world):  # type: ignore[no-untyped-def]
    seeded = seed(world)
    # Copenhagen's 6 January and 4 March calls; a Roskilde carer's call to the Copenhagen
    # clinic (Roskilde's figure, and the clinic's).
    _phoned(datetime(2025, 1, 6, 9, 0), datetime(2025, 3, 4, 9, 0), datetime(2025, 1, 20, 11, 0))
    return seeded


def _client():  # type: ignore[no-untyped-def]
    return verified_client(factories.UserFactory(username="national", kind="admin"))


def _csv(client, url: str, **params: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(url, {**PERIOD, **params, "eksport": "csv"})
    assert response.status_code == 200
    return sections(response.content.decode("utf-8"))[PHONE]


def test_share_per_month_for_a_municipality(world) -> None:  # type: ignore[no-untyped-def]
    seeded = _seed_with_phone(world)
    assert _csv(_client(), f"/statistik/kommune/{seeded.kbh.pk}/") == [
        HEADER,
        ["jan 2025", "3", "1", "33,3 %"],
        ["feb 2025", "0", "0", "–"],
        ["mar 2025", "1", "1", "100,0 %"],
        ["I alt", "4", "2", "50,0 %"],
    ]
    assert ConsultationFact.objects.filter(phone_fallback=True).count() == 3


def test_clinic_region_nation_and_the_kind_filter(world) -> None:  # type: ignore[no-untyped-def]
    seeded = _seed_with_phone(world)
    client = _client()
    # The clinic counts the Roskilde carer's call too: January 4 completed, 2 by phone.
    clinic = _csv(client, f"/statistik/praksis/{world.clinic.pk}/")
    assert clinic[1] == ["jan 2025", "4", "2", "50,0 %"]
    region = _csv(client, f"/statistik/region/{seeded.ros.region_id}/")
    assert region[-1] == ["I alt", "2", "1", "50,0 %"]
    nation = _csv(client, "/statistik/")
    assert nation[-1] == ["I alt", "6", "3", "50,0 %"]
    filtered = _csv(client, f"/statistik/kommune/{seeded.kbh.pk}/", kind="without_citizen")
    assert filtered[-1] == ["I alt", "1", "0", "0,0 %"]


def test_the_page_has_the_chart_and_the_table(world) -> None:  # type: ignore[no-untyped-def]
    seeded = _seed_with_phone(world)
    response = _client().get(f"/statistik/kommune/{seeded.kbh.pk}/", PERIOD)
    page = response.content.decode()
    assert 'id="table-phone"' in page and 'data-chart="chart-phone"' in page
    [phone] = [t for t in response.context["tables"] if t.key == "phone"]
    assert phone.chart is not None
    assert json.loads(json.dumps(phone.chart.as_json()))["series"] == [
        {"label": "Andel fortsat over telefon (%)", "values": [33.3, None, 100.0]}
    ]


def test_the_generated_year_has_a_few_percent_by_phone(db) -> None:  # type: ignore[no-untyped-def]
    generate(consultations=4000, end=date(2025, 12, 31))
    completed = ConsultationFact.objects.filter(outcome=Consultation.State.ENDED)
    phoned = completed.filter(phone_fallback=True).count()
    assert 0.02 < phoned / completed.count() < 0.07
    # Every one continued by phone is completed; some were taken straight from the queue.
    assert not ConsultationFact.objects.filter(phone_fallback=True).exclude(outcome="ended")
    assert completed.filter(phone_fallback=True, wait_seconds__isnull=True).exists()
