"""A small, hand-counted set of finished consultations for the statistics tests: eight for
Copenhagen in January–March 2025 (across a month end, a night and the spring DST change),
five of them by two employees in units of the health and the social department, and two that
must not count for Copenhagen (a Roskilde carer's calls)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kontaktlaege.accounts.models import User
from kontaktlaege.administration.models import Placement, Unit
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory.models import Clinic, Municipality
from tests.support.personas import World

CPH = ZoneInfo("Europe/Copenhagen")
K = Consultation.Kind
S = Consultation.State
OUTCOME_FIELD = {
    S.REJECTED: "rejected_at",
    S.CANCELLED: "cancelled_at",
    S.CLEARED: "cleared_at",
    S.ABANDONED: "abandoned_at",
}
PERIOD = {"start": "2025-01", "end": "2025-03"}


def consultation(
    clinic: Clinic,
    kind: str,
    outcome: str,
    local: datetime,
    *,
    wait: int | None = None,
    duration: int | None = None,
    municipality: Municipality | None = None,
    workplace: str = "",
    employee: User | None = None,
    reason: str = "Ondt i knæet",
) -> Consultation:
    """A finished consultation queued at `local` (Copenhagen time), as the lifecycle leaves it:
    `wait` seconds in the queue, then `duration` seconds of call when it ended."""
    queued = local.replace(tzinfo=CPH)
    c = Consultation(
        clinic=clinic,
        kind=kind,
        state=outcome,
        queued_at=queued,
        municipality=municipality,
        employee=employee,
        # As join_queue records it: the unit the employee is placed in when they call.
        employee_unit_id=Placement.unit_id_of(employee) if employee else None,
        employee_workplace=workplace,
        employee_name="Mette Sørensen" if workplace else "",
        citizen_name="Inger Jensen" if kind == K.ON_BEHALF else "",
        reason=reason,
    )
    if outcome == S.ENDED:
        assert wait is not None and duration is not None
        c.admitted_at = queued + timedelta(seconds=wait)
        c.ended_at = c.admitted_at + timedelta(seconds=duration)
    else:
        setattr(c, OUTCOME_FIELD[outcome], queued + timedelta(minutes=3))
    c.save()
    return c


@dataclass
class Seeded:
    kbh: Municipality
    ros: Municipality
    health: Unit  # Hjemmeplejen Nord, world.carer's unit
    social: Unit  # Bostøtten Indre By, world.carer2's unit


def seed(world: World) -> Seeded:
    kbh = world.clinic.municipality
    ros = world.other_clinic.municipality
    at = world.clinic
    health = Unit.objects.create(municipality=kbh, name="Hjemmeplejen Nord", department="health")
    social = Unit.objects.create(municipality=kbh, name="Bostøtten Indre By", department="social")
    Placement.objects.create(user=world.carer, unit=health)
    Placement.objects.create(user=world.carer2, unit=social)

    def carer(
        who: User, kind: str, outcome: str, local: datetime, workplace: str, **times: int
    ) -> None:
        consultation(
            at, kind, outcome, local, municipality=kbh, workplace=workplace, employee=who, **times
        )

    mette, ali = world.carer, world.carer2
    nord, syge = "Hjemmeplejen Nord", "Sygeplejen"
    carer(mette, K.ON_BEHALF, S.ENDED, datetime(2025, 1, 6, 9, 0), nord, wait=60, duration=300)
    carer(mette, K.ON_BEHALF, S.ENDED, datetime(2025, 1, 7, 10, 15), nord, wait=120, duration=600)
    # 23:30 on 31 January in Copenhagen is 22:30 UTC: January, a Friday, hour 23.
    carer(
        ali, K.WITHOUT_CITIZEN, S.ENDED, datetime(2025, 1, 31, 23, 30), syge, wait=180, duration=900
    )
    # 00:10 on 1 February in Copenhagen is still 31 January in UTC: February, a Saturday.
    consultation(at, K.CITIZEN, S.REJECTED, datetime(2025, 2, 1, 0, 10))
    consultation(at, K.INVITED, S.CANCELLED, datetime(2025, 2, 10, 14, 0))
    carer(mette, K.ON_BEHALF, S.ABANDONED, datetime(2025, 3, 3, 8, 5), nord)
    # Ali gave "Hjemmeplejen Nord" as workplace, but the municipality placed him in social.
    carer(ali, K.ON_BEHALF, S.ENDED, datetime(2025, 3, 4, 9, 0), nord, wait=240, duration=1200)
    # After the change to summer time: 23:30 CEST is 21:30 UTC, still March, hour 23.
    consultation(at, K.BOOKED, S.CLEARED, datetime(2025, 3, 31, 23, 30))

    # Roskilde's: one at its own clinic, one of its carers calling the Copenhagen clinic.
    def roskilde(clinic: Clinic, local: datetime) -> None:
        consultation(
            clinic,
            K.ON_BEHALF,
            S.ENDED,
            local,
            wait=30,
            duration=60,
            municipality=ros,
            workplace="Roskilde Hjemmepleje",
        )

    roskilde(world.other_clinic, datetime(2025, 1, 15, 11, 0))
    roskilde(world.clinic, datetime(2025, 1, 20, 11, 0))
    return Seeded(kbh=kbh, ros=ros, health=health, social=social)


def sections(csv_text: str) -> dict[str, list[list[str]]]:
    """A statistics CSV by table title: {title: [header, row, …]}."""
    import csv
    import io

    result: dict[str, list[list[str]]] = {}
    title = None
    for row in csv.reader(io.StringIO(csv_text.lstrip("\ufeff")), delimiter=";"):
        if not row:
            title = None
        elif title is None:
            title = row[0]
            result[title] = []
        else:
            result[title].append(row)
    return result
