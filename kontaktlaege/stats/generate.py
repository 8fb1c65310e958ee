"""A realistic national year of anonymous consultations, for demos and the benchmark
(`manage.py generate_year`): 5 regions, 98 municipalities, ~1,700 clinics and by default
300,000 consultations with Danish seasonality (winter peak, July holiday, Christmas), working
days and opening hours. The rows look as retention leaves them: no names, CPR or reason."""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from kontaktlaege.administration.models import Unit
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory.models import Clinic, Municipality, Region

from . import rollup

K = Consultation.Kind
S = Consultation.State
# (code, name, municipalities): the real regions and how many municipalities each has.
REGIONS = [
    ("1084", "Region Hovedstaden", 29),
    ("1085", "Region Sjælland", 17),
    ("1083", "Region Syddanmark", 22),
    ("1082", "Region Midtjylland", 19),
    ("1081", "Region Nordjylland", 11),
]
MONTH_WEIGHT = [1.3, 1.25, 1.1, 1.0, 0.9, 0.85, 0.55, 0.85, 1.0, 1.1, 1.2, 0.95]
WEEKDAY_WEIGHT = [1.3, 1.1, 1.0, 1.0, 0.8, 0.08, 0.04]
HOUR_WEIGHT = {7: 1, 8: 6, 9: 10, 10: 10, 11: 8, 12: 5, 13: 7, 14: 6, 15: 3, 16: 1, 17: 0.5}
KIND_WEIGHT = {
    K.ON_BEHALF: 55,
    K.WITHOUT_CITIZEN: 20,
    K.CITIZEN: 12,
    K.INVITED: 8,
    K.BOOKED: 5,
}
OUTCOME_WEIGHT = {S.ENDED: 78, S.REJECTED: 5, S.CANCELLED: 8, S.CLEARED: 3, S.ABANDONED: 6}
OUTCOME_FIELD = {
    S.REJECTED: "rejected_at",
    S.CANCELLED: "cancelled_at",
    S.CLEARED: "cleared_at",
    S.ABANDONED: "abandoned_at",
}
# Each workplace is also a unit of its municipality, in the health or the social department.
WORKPLACES = {
    "Hjemmeplejen Nord": Unit.Department.HEALTH,
    "Hjemmeplejen Syd": Unit.Department.HEALTH,
    "Sygeplejen": Unit.Department.HEALTH,
    "Plejecenter Solhaven": Unit.Department.HEALTH,
    "Socialpsykiatrien": Unit.Department.SOCIAL,
    "Bosted Engen": Unit.Department.SOCIAL,
}
# Of the completed: continued by phone when the video failed (a few percent), a quarter of
# them taken by phone straight from the queue.
PHONE_SHARE = 0.04
PHONE_FROM_QUEUE = 0.25
CLINICS = 1700
BATCH = 10_000


def _day_weight(day: date) -> float:
    weight = MONTH_WEIGHT[day.month - 1] * WEEKDAY_WEIGHT[day.weekday()]
    if day.month == 12 and day.day >= 23 or day.month == 1 and day.day == 1:
        weight *= 0.3  # Christmas and New Year
    return weight


def _directory(rng: random.Random) -> tuple[list[Municipality], list[Clinic], list[float]]:
    """The regions and municipalities (made once, kept), and ~1,700 generated clinics."""
    municipalities: list[Municipality] = []
    code = 400
    for region_code, name, count in REGIONS:
        region, _created = Region.objects.get_or_create(code=region_code, defaults={"name": name})
        for i in range(count):
            municipality, _created = Municipality.objects.get_or_create(
                code=str(code), defaults={"name": f"{name[7:]} {i + 1}. kommune", "region": region}
            )
            municipalities.append(municipality)
            code += 1
    # A few large municipalities, many small ones.
    sizes = [1 / (rank + 2) ** 0.8 for rank in range(len(municipalities))]
    rng.shuffle(sizes)
    share = [s / sum(sizes) for s in sizes]
    existing = Clinic.objects.filter(name__startswith="Genereret lægehus ").count()
    clinics = [
        Clinic(name=f"Genereret lægehus {n + 1}", municipality=municipality)
        for n, municipality in enumerate(
            rng.choices(municipalities, weights=share, k=max(0, CLINICS - existing))
        )
    ]
    Clinic.objects.bulk_create(clinics, batch_size=BATCH)
    all_clinics = list(Clinic.objects.filter(name__startswith="Genereret lægehus "))
    return municipalities, all_clinics, share


def generate(consultations: int = 300_000, end: date | None = None, seed: int = 1) -> int:
    """Adds `consultations` over the 365 days up to `end` (default: yesterday); returns how
    many statistics rows were made."""
    rng = random.Random(seed)
    # Its own stream, so the rest of the year is the same as without phone fallbacks.
    phone_rng = random.Random(seed + 1_000_003)
    end = end or timezone.localdate() - timedelta(days=1)
    days = [end - timedelta(days=d) for d in range(365)]
    with transaction.atomic():
        municipalities, clinics, _share = _directory(rng)
        units = _units(municipalities)
    by_municipality: dict[int, list[Clinic]] = {}
    for clinic in clinics:
        by_municipality.setdefault(clinic.municipality_id, []).append(clinic)
    regions = {m.pk: m.region_id for m in municipalities}
    neighbours: dict[int, list[int]] = {}
    for m in municipalities:
        neighbours.setdefault(m.region_id, []).append(m.pk)
    day_weights = [_day_weight(d) for d in days]
    hours, hour_weights = list(HOUR_WEIGHT), list(HOUR_WEIGHT.values())
    kinds, kind_weights = list(KIND_WEIGHT), list(KIND_WEIGHT.values())
    outcomes, outcome_weights = list(OUTCOME_WEIGHT), list(OUTCOME_WEIGHT.values())
    employee_kinds = {K.ON_BEHALF, K.WITHOUT_CITIZEN}
    tz = timezone.get_current_timezone()
    made = 0
    while made < consultations:
        batch = []
        n = min(BATCH, consultations - made)
        picked_days = rng.choices(days, weights=day_weights, k=n)
        picked_clinics = rng.choices(clinics, k=n)
        for day, clinic in zip(picked_days, picked_clinics, strict=True):
            local = datetime.combine(
                day,
                time(rng.choices(hours, hour_weights)[0], rng.randrange(60), rng.randrange(60)),
                tzinfo=tz,
            )
            queued = local
            kind = rng.choices(kinds, kind_weights)[0]
            outcome = rng.choices(outcomes, outcome_weights)[0]
            c = Consultation(clinic_id=clinic.pk, kind=kind, state=outcome, queued_at=queued)
            if kind in employee_kinds:
                # Mostly the clinic's own municipality; now and then a neighbour in the region.
                home = clinic.municipality_id
                if rng.random() < 0.1:
                    home = rng.choice(neighbours[regions[home]])
                c.municipality_id = home
                c.employee_workplace = rng.choice(list(WORKPLACES))
                c.employee_unit_id = units[home, c.employee_workplace]
            wait = timedelta(seconds=int(rng.lognormvariate(5.5, 0.8)))  # median ~4 minutes
            if outcome == S.ENDED:
                c.admitted_at = queued + wait
                c.ended_at = c.admitted_at + timedelta(seconds=int(rng.lognormvariate(6.3, 0.5)))
                if phone_rng.random() < PHONE_SHARE:
                    c.phone_fallback_at = c.admitted_at + (c.ended_at - c.admitted_at) / 3
                    if phone_rng.random() < PHONE_FROM_QUEUE:  # never admitted in the app
                        c.phone_fallback_at = c.ended_at = queued + wait
                        c.admitted_at = None
            else:
                setattr(c, OUTCOME_FIELD[outcome], queued + wait)
            batch.append(c)
        Consultation.objects.bulk_create(batch, batch_size=BATCH)
        made += n
    return rollup.refresh(full=True)


def _units(municipalities: list[Municipality]) -> dict[tuple[int, str], int]:
    """Each workplace as a unit of every municipality: the generated calls have no employees,
    so each is counted under the unit named as its workplace, as if the caller was placed
    there."""
    units: dict[tuple[int, str], int] = {}
    for municipality in municipalities:
        for name, department in WORKPLACES.items():
            unit, _created = Unit.objects.get_or_create(
                municipality=municipality, name=name, defaults={"department": department}
            )
            units[municipality.pk, name] = unit.pk
    return units
