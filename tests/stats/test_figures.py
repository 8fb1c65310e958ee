"""The statistics' numbers against a hand-counted data set (tests/support/statistics.py):
each kind and outcome, medians and 90th percentiles of known times, month ends, night hours
and the change to summer time in Europe/Copenhagen."""

from datetime import datetime

from kontaktlaege.administration import actions as admin_actions
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.stats import rollup
from kontaktlaege.stats.figures import percentile
from kontaktlaege.stats.models import ConsultationFact
from tests.support import factories
from tests.support.citizens import make_citizen
from tests.support.signin import verified_client
from tests.support.statistics import PERIOD, consultation, sections, seed

KINDS = "Konsultationer pr. måned efter type"
OUTCOMES = "Konsultationer pr. måned efter udfald"
TIMES = "Ventetid og varighed (minutter:sekunder)"
TIMES_BY_MONTH = "Ventetid og varighed pr. måned (minutter:sekunder)"
WEEKDAYS = "Travleste ugedage"
HOURS = "Travleste timer (dansk tid)"
WORKPLACES = "Arbejdssteder (som medarbejderen selv har angivet)"
DEPARTMENTS = "Forvaltninger"
UNITS = "Enheder"


def national_admin():  # type: ignore[no-untyped-def]
    return factories.UserFactory(username="national", kind="admin")


def csv_of(client, url: str, **params: str) -> dict[str, list[list[str]]]:  # type: ignore[no-untyped-def]
    response = client.get(url, {**PERIOD, **params, "eksport": "csv"})
    assert response.status_code == 200
    return sections(response.content.decode("utf-8"))


def test_percentile_is_the_nearest_rank() -> None:
    four = [(60, 1), (120, 1), (180, 1), (240, 1)]
    assert percentile(four, 50) == 120
    assert percentile(four, 90) == 240
    assert percentile([(10, 9), (500, 1)], 90) == 10
    assert percentile([(10, 8), (500, 2)], 90) == 500
    assert percentile([], 50) is None


def test_municipality_by_month_kind_and_outcome(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    figures = csv_of(verified_client(national_admin()), f"/statistik/kommune/{seeded.kbh.pk}/")
    assert figures[KINDS] == [
        ["Måned", "Medarbejder på vegne af borger", "Medarbejder uden borger", "Borger selv",
         "Inviteret via link", "Booket tid", "I alt"],
        ["jan 2025", "2", "1", "0", "0", "0", "3"],
        ["feb 2025", "0", "0", "1", "1", "0", "2"],
        ["mar 2025", "2", "0", "0", "0", "1", "3"],
        ["I alt", "4", "1", "1", "1", "1", "8"],
    ]  # fmt: skip
    assert figures[OUTCOMES] == [
        ["Måned", "Gennemført", "Afvist", "Annulleret", "Fjernet ved lukning", "Forladt", "I alt"],
        ["jan 2025", "3", "0", "0", "0", "0", "3"],
        ["feb 2025", "0", "1", "1", "0", "0", "2"],
        ["mar 2025", "1", "0", "0", "1", "1", "3"],
        ["I alt", "4", "1", "1", "1", "1", "8"],
    ]


def test_waiting_time_and_duration(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    figures = csv_of(verified_client(national_admin()), f"/statistik/kommune/{seeded.kbh.pk}/")
    # Waits 60/120/180/240 s, calls 300/600/900/1200 s: nearest-rank median and p90.
    assert figures[TIMES] == [
        ["Mål", "Antal", "Median", "90. percentil"],
        ["Ventetid (fra kø til start)", "4", "2:00", "4:00"],
        ["Samtalens varighed", "4", "10:00", "20:00"],
    ]


def test_waiting_time_and_duration_per_month(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    # 00:30 on 1 March in Copenhagen is 23:30 UTC on 28 February: it counts for March.
    consultation(
        world.clinic, "on_behalf", "ended", datetime(2025, 3, 1, 0, 30),
        municipality=seeded.kbh, wait=600, duration=60,
    )  # fmt: skip
    client = verified_client(national_admin())
    figures = csv_of(client, f"/statistik/kommune/{seeded.kbh.pk}/")
    # January: waits 60/120/180 s, calls 300/600/900 s; February: no call was started;
    # March: waits 240/600 s, calls 1200/60 s (median of two: the first, p90: the second).
    assert figures[TIMES_BY_MONTH] == [
        ["Måned",
         "Ventetid (fra kø til start): antal", "Ventetid (fra kø til start): median",
         "Ventetid (fra kø til start): 90. percentil",
         "Samtalens varighed: antal", "Samtalens varighed: median",
         "Samtalens varighed: 90. percentil"],
        ["jan 2025", "3", "2:00", "3:00", "3", "10:00", "15:00"],
        ["feb 2025", "0", "–", "–", "0", "–", "–"],
        ["mar 2025", "2", "4:00", "10:00", "2", "1:00", "20:00"],
    ]  # fmt: skip
    # The period's figures come from all months together, not from the months' figures.
    assert figures[TIMES][1:] == [
        ["Ventetid (fra kø til start)", "5", "3:00", "10:00"],
        ["Samtalens varighed", "5", "10:00", "20:00"],
    ]
    # The chart holds the same medians and 90th percentiles, in minutes; gaps for February.
    page = client.get(f"/statistik/kommune/{seeded.kbh.pk}/", PERIOD)
    chart = next(t for t in page.context["tables"] if t.key == "times_by_month").chart
    assert chart.lines and chart.x == ["jan 2025", "feb 2025", "mar 2025"]
    assert [s.values for s in chart.series] == [
        [2.0, None, 4.0],
        [3.0, None, 10.0],
        [10.0, None, 1.0],
        [15.0, None, 20.0],
    ]


def test_weekdays_and_hours_in_copenhagen_time(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    figures = csv_of(verified_client(national_admin()), f"/statistik/kommune/{seeded.kbh.pk}/")
    assert dict(map(tuple, figures[WEEKDAYS][1:])) == {
        "Mandag": "4",
        "Tirsdag": "2",
        "Onsdag": "0",
        "Torsdag": "0",
        "Fredag": "1",
        "Lørdag": "1",
        "Søndag": "0",
    }
    hours = {h: int(n) for h, n in figures[HOURS][1:]}
    assert {h: n for h, n in hours.items() if n} == {
        "00–01": 1,
        "08–09": 1,
        "09–10": 2,
        "10–11": 1,
        "14–15": 1,
        "23–00": 2,
    }


def test_municipality_per_workplace(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    figures = csv_of(verified_client(national_admin()), f"/statistik/kommune/{seeded.kbh.pk}/")
    rows = {row[0]: row[1:] for row in figures[WORKPLACES][1:]}
    assert rows == {
        "Hjemmeplejen Nord": ["4", "3", "0", "0", "0", "1", "75 %"],
        "Sygeplejen": ["1", "1", "0", "0", "0", "0", "100 %"],
        "Uden arbejdssted (fx borger selv)": ["3", "0", "1", "1", "1", "0", "0 %"],
    }


def test_municipality_per_department_and_unit(world) -> None:  # type: ignore[no-untyped-def]
    """Copenhagen's item (reference 001, 7): health and social apart, by the unit the
    municipality placed the employee in, not the workplace they typed themselves."""
    seeded = seed(world)
    figures = csv_of(verified_client(national_admin()), f"/statistik/kommune/{seeded.kbh.pk}/")
    # Mette (health): 6 Jan, 7 Jan ended, 3 Mar abandoned. Ali (social): 31 Jan, 4 Mar ended.
    # Rejected 1 Feb, cancelled 10 Feb, cleared 31 Mar: nobody's unit.
    assert figures[DEPARTMENTS][0] == [
        "Forvaltning", "I alt", "Gennemført", "Afvist", "Annulleret", "Fjernet ved lukning",
        "Forladt", "Andel gennemført",
    ]  # fmt: skip
    assert {row[0]: row[1:] for row in figures[DEPARTMENTS][1:]} == {
        "Sundhed": ["3", "2", "0", "0", "0", "1", "67 %"],
        "Social": ["2", "2", "0", "0", "0", "0", "100 %"],
        "Uden enhed (fx borger selv)": ["3", "0", "1", "1", "1", "0", "0 %"],
    }
    assert {row[0]: row[1:3] for row in figures[UNITS][1:]} == {
        "Hjemmeplejen Nord (Sundhed)": ["3", "2"],
        "Bostøtten Indre By (Social)": ["2", "2"],
        "Uden enhed (fx borger selv)": ["3", "0"],
    }


def test_a_call_counts_under_the_unit_of_its_time(world) -> None:  # type: ignore[no-untyped-def]
    """A call counts under the unit its employee was placed in when they called: the calls
    before a move stay with the old unit, the calls after it count under the new one."""
    seeded = seed(world)
    kbh_admin = factories.UserFactory(username="kbhadmin", kind="admin", municipality=seeded.kbh)
    mette = world.carer
    before = consultation(
        world.clinic, "on_behalf", "ended", datetime(2025, 3, 10, 9, 0),
        municipality=seeded.kbh, employee=mette, wait=30, duration=60,
    )  # fmt: skip
    admin_actions.place(kbh_admin, mette.pk, seeded.social)
    after = consultation(
        world.clinic, "on_behalf", "ended", datetime(2025, 3, 11, 9, 0),
        municipality=seeded.kbh, employee=mette, wait=30, duration=60,
    )  # fmt: skip
    rollup.refresh(full=True)  # written with a past queue time, as the fixture's are
    facts = ConsultationFact.objects.in_bulk([before.pk, after.pk])
    assert (facts[before.pk].unit, facts[before.pk].department) == (seeded.health, "health")
    assert (facts[after.pk].unit, facts[after.pk].department) == (seeded.social, "social")


def test_a_call_waiting_or_running_at_a_move_keeps_its_unit(world) -> None:  # type: ignore[no-untyped-def]
    """Through the actions: Mette (health) has one call in the queue and one running when
    she is moved to social, Ali (social) one in the queue when he is taken out of every unit.
    Those count under the units they called from; Mette's next call under social."""
    seeded = seed(world)
    kbh_admin = factories.UserFactory(username="kbhadmin", kind="admin", municipality=seeded.kbh)
    mette, ali = world.carer, world.carer2

    def call(who):  # type: ignore[no-untyped-def]
        return actions.join_queue(who, ydernummer=world.ydernummer, reason="Feber")

    queued, running, alis = call(mette), call(mette), call(ali)
    actions.admit(world.gp, running.pk)
    admin_actions.place(kbh_admin, mette.pk, seeded.social)
    admin_actions.place(kbh_admin, ali.pk, None)
    assert not ConsultationFact.objects.exists()  # the move writes no rows of its own
    actions.admit(world.gp, queued.pk)
    actions.end(world.gp, queued.pk)
    actions.end(world.gp, running.pk)
    actions.cancel(ali, alis.pk)
    later = call(mette)
    actions.cancel(mette, later.pk)
    rollup.refresh(full=True)  # the seed's past calls too
    facts = ConsultationFact.objects.in_bulk([queued.pk, running.pk, alis.pk, later.pk])
    assert {pk: (f.unit, f.department) for pk, f in facts.items()} == {
        queued.pk: (seeded.health, "health"),
        running.pk: (seeded.health, "health"),
        alis.pk: (seeded.social, "social"),
        later.pk: (seeded.social, "social"),
    }
    # On the page: this month's two health calls (both completed) and two social (cancelled).
    month = f"{facts[queued.pk].month // 100}-{facts[queued.pk].month % 100:02}"
    page = f"/statistik/kommune/{seeded.kbh.pk}/"
    figures = csv_of(verified_client(national_admin()), page, start=month, end=month)
    assert {row[0]: row[1:4] for row in figures[UNITS][1:]} == {
        "Hjemmeplejen Nord (Sundhed)": ["2", "2", "0"],
        "Bostøtten Indre By (Social)": ["2", "0", "0"],
    }


def test_filter_by_kind_and_period(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    client = verified_client(national_admin())
    url = f"/statistik/kommune/{seeded.kbh.pk}/"
    figures = csv_of(client, url, kind="on_behalf", start="2025-03", end="2025-03")
    assert figures[KINDS][1:] == [
        ["mar 2025", "2", "0", "0", "0", "0", "2"],
        ["I alt", "2", "0", "0", "0", "0", "2"],
    ]


def test_clinic_and_region_and_nation(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    client = verified_client(national_admin())
    # The clinic counts every call it had, Roskilde's carer's too.
    clinic = csv_of(client, f"/statistik/praksis/{world.clinic.pk}/")
    assert clinic[KINDS][-1] == ["I alt", "5", "1", "1", "1", "1", "9"]
    # A region is the sum of its municipalities; the nation of its regions.
    region = csv_of(client, f"/statistik/region/{seeded.ros.region_id}/")
    assert region[KINDS][-1] == ["I alt", "2", "0", "0", "0", "0", "2"]
    assert region["Kommuner"][1][:2] == ["Roskilde Kommune", "2"]
    nation = csv_of(client, "/statistik/")
    assert nation[KINDS][-1] == ["I alt", "6", "1", "1", "1", "1", "10"]
    assert sorted(row[1] for row in nation["Regioner"][1:]) == ["2", "8"]
    # The nation's times are read by month over the whole country: January's waits are
    # Copenhagen's 60/120/180 s and Roskilde's 30/30 s, its calls 300/600/900 and 60/60 s.
    assert nation[TIMES_BY_MONTH][1] == ["jan 2025", "5", "1:00", "3:00", "5", "5:00", "15:00"]


def test_csv_for_danish_excel(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    consultation(
        world.clinic,
        Consultation.Kind.WITHOUT_CITIZEN,
        Consultation.State.CANCELLED,
        datetime(2025, 2, 3, 10, 0),
        municipality=seeded.kbh,
        workplace='=HYPERLINK("http://x")',
    )
    response = verified_client(national_admin()).get(
        f"/statistik/kommune/{seeded.kbh.pk}/", {**PERIOD, "eksport": "csv"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8")
    assert "Måned;Medarbejder på vegne af borger;" in text
    units = sections(text)[WORKPLACES]
    assert ['\'=HYPERLINK("http://x")', "1", "0", "0", "1", "0", "0", "0 %"] in units
    assert "Inger Jensen" not in text and "Ondt i knæet" not in text


def test_real_lifecycle_gets_its_row(world) -> None:  # type: ignore[no-untyped-def]
    """Through the actions, not the fixture: queue, admit, end; the refresh picks it up once."""
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Feber")
    assert rollup.refresh() == 0  # still in the queue
    actions.admit(world.gp, c.pk)
    actions.end(world.gp, c.pk)
    assert rollup.refresh() == 1
    assert rollup.refresh() == 0
    fact = ConsultationFact.objects.get(pk=c.pk)
    assert (fact.municipality_id, fact.clinic_id, fact.workplace) == (
        world.carer.municipality_id,
        world.clinic.pk,
        "Hjemmeplejen Nord",
    )
    assert fact.outcome == "ended" and fact.wait_seconds is not None


def test_a_citizens_own_call_counts_under_no_employee(world) -> None:  # type: ignore[no-untyped-def]
    """ "Borger selv": the citizen's account is not the consultation's employee, so its row
    has no workplace or unit, whatever the account carries."""
    inger = make_citizen()
    inger.workplace = "Hjemmeplejen Nord"  # never read: the account is not an employee's
    inger.save(update_fields=["workplace"])
    c = actions.join_queue_by_citizen(
        inger, cpr=world.cpr, name="Inger Jensen", ydernummer=world.ydernummer, reason="Hoste"
    )
    actions.admit(world.gp, c.pk)
    actions.end(inger, c.pk)
    assert rollup.refresh() == 1
    fact = ConsultationFact.objects.get(pk=c.pk)
    assert (fact.kind, fact.outcome, fact.municipality_id) == (
        "citizen",
        "ended",
        world.clinic.municipality_id,
    )
    assert (fact.workplace, fact.unit_id, fact.department) == ("", None, "")


def test_no_personal_fields_in_the_statistics_table() -> None:
    names = {f.name for f in ConsultationFact._meta.get_fields()}
    # A yes/no mark that the call went on by phone, no number: it must stay a boolean.
    assert ConsultationFact._meta.get_field("phone_fallback").get_internal_type() == "BooleanField"
    names.discard("phone_fallback")
    for personal in ("cpr", "citizen", "name", "reason", "message", "employee", "phone"):
        assert not any(personal in n for n in names), names
