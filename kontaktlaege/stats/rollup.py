"""Keeps the statistics' table (ConsultationFact) up to date: each finished consultation gets
its anonymous row once. Run by the scheduler and before a statistics page is drawn; safe when
several processes run it at once (a row per consultation, inserted with ignore_conflicts)."""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.utils import timezone

from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory.models import Clinic, Municipality

from .models import ConsultationFact, RollupMark

S = Consultation.State
FINAL = [S.ENDED, S.REJECTED, S.CANCELLED, S.CLEARED, S.ABANDONED]
ACTIVE = [S.QUEUED, S.ADMITTED]
# A consultation may be committed a little after its queue time was stamped.
COMMIT_SLACK = timedelta(minutes=5)
# The mark moves in steps, so a page's refresh is usually two reads and no write.
MARK_STEP = timedelta(minutes=1)
BATCH = 5000
FIELDS = (
    "pk",
    "clinic_id",
    "municipality_id",
    "employee_workplace",
    "employee__workplace",
    "employee_unit_id",
    "employee_unit__department",
    "kind",
    "state",
    "queued_at",
    "admitted_at",
    "ended_at",
    "phone_fallback_at",
)


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None or end < start:
        return None
    return int((end - start).total_seconds())


def fact_for(row: dict[str, Any], clinic_area: dict[int, int], regions: dict[int, int]) -> Any:
    area = row["municipality_id"] or clinic_area[row["clinic_id"]]
    local = timezone.localtime(row["queued_at"])
    return ConsultationFact(
        consultation_id=row["pk"],
        region_id=regions[area],
        municipality_id=area,
        clinic_id=row["clinic_id"],
        workplace=(row["employee_workplace"] or row["employee__workplace"] or "")[:150],
        # The unit recorded when the employee called, not where they are placed now.
        unit_id=row["employee_unit_id"],
        department=row["employee_unit__department"] or "",
        kind=row["kind"],
        outcome=row["state"],
        month=local.year * 100 + local.month,
        weekday=local.weekday(),
        hour=local.hour,
        wait_seconds=_seconds(row["queued_at"], row["admitted_at"]),
        duration_seconds=_seconds(row["admitted_at"], row["ended_at"]),
        phone_fallback=row["phone_fallback_at"] is not None,
    )


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def refresh(now: datetime | None = None, *, full: bool = False) -> int:
    """Give every finished consultation queued since the mark its row; returns how many.
    `full`: look at every consultation (after consultations were written with past times,
    as `manage.py generate_year` does)."""
    now = now or timezone.now()
    mark = None if full else RollupMark.current()
    since = (
        Consultation.objects.all()
        if mark is None
        else Consultation.objects.filter(queued_at__gte=mark)
    )
    # Only the queue time in the query, so it is a range of the queued_at index (with the
    # state in it, SQLite walks every finished consultation of all time).
    recent = list(since.values_list("pk", "state", "queued_at"))
    final = [pk for pk, state, _at in recent if state in FINAL]
    # New rows have higher ids: the facts from the oldest candidate on are few.
    have = (
        set(ConsultationFact.objects.filter(pk__gte=min(final)).values_list("pk", flat=True))
        if final
        else set()
    )
    missing = [pk for pk in final if pk not in have]
    added = 0
    if missing:
        clinic_area = dict(Clinic.objects.values_list("pk", "municipality_id"))
        regions = dict(Municipality.objects.values_list("pk", "region_id"))
        for ids in _batches(missing, BATCH):
            rows = Consultation.objects.filter(pk__in=ids).values(*FIELDS)
            facts = [fact_for(row, clinic_area, regions) for row in rows]
            ConsultationFact.objects.bulk_create(facts, ignore_conflicts=True)
            added += len(facts)
    active = [at for _pk, state, at in recent if state in ACTIVE]
    oldest_active = min(active) if active else None
    complete_before = now - COMMIT_SLACK
    if oldest_active is not None:
        complete_before = min(complete_before, oldest_active)
    if full or mark is None or complete_before - mark >= MARK_STEP:
        RollupMark.objects.update_or_create(pk=1, defaults={"complete_before": complete_before})
    return added
