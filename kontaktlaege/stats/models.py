"""The statistics' own table: one anonymous row per finished consultation, with the local
month, weekday and hour and the waiting time and duration worked out once, so a page's figures
are plain integer aggregates (no time-zone arithmetic per row in the database)."""

from datetime import datetime

from django.db import models


class ConsultationFact(models.Model):
    """What the statistics know of one finished consultation: no CPR, no names, no reason.

    `municipality` is the area the consultation counts for: the calling employee's
    municipality, or the clinic's when nobody called on a municipality's behalf (a citizen by
    themselves, an invitation, a booking); `region` is that municipality's region. So every
    consultation counts for exactly one municipality, and a region's figures are the sum of
    its municipalities'."""

    consultation = models.OneToOneField(
        "consultations.Consultation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="fact",
    )
    # Not indexed alone: each leads one of the composite indexes below.
    region = models.ForeignKey(
        "directory.Region", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    municipality = models.ForeignKey(
        "directory.Municipality", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    clinic = models.ForeignKey(
        "directory.Clinic", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # The calling employee's workplace (a department or unit, not a person), for the
    # municipality's figures per unit.
    workplace = models.CharField(max_length=150, blank=True)
    # The unit the municipality placed the calling employee in, and its department (health or
    # social), copied when the row is written: they outlive retention and later moves.
    unit = models.ForeignKey(
        "administration.Unit",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
    )
    department = models.CharField(max_length=10, blank=True)
    kind = models.CharField(max_length=20)
    outcome = models.CharField(max_length=10)  # the consultation's final state
    # When the consultation was queued, in the product's time zone (Europe/Copenhagen).
    month = models.PositiveIntegerField()  # e.g. 202601
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday
    hour = models.PositiveSmallIntegerField()
    wait_seconds = models.PositiveIntegerField(null=True)  # queued → admitted
    duration_seconds = models.PositiveIntegerField(null=True)  # admitted → ended
    # The video failed and the call went on by phone ("Fortsat over telefon", where marked).
    phone_fallback = models.BooleanField(default=False)

    class Meta:
        # Covering indexes in the order figures.py groups by: the pages of a region (and of
        # the whole country, a region at a time) and of a municipality read one range of an
        # index in order, never the table, never a sort (PRODUCT §5: 300 ms on a year). A
        # clinic's rows are few enough to fetch by its own index.
        indexes = [
            models.Index(
                fields=["region", "month", "kind", "outcome", "municipality"],
                name="fact_counts",
            ),
            models.Index(fields=["region", "weekday", "hour", "month", "kind"], name="fact_hours"),
            models.Index(fields=["region", "wait_seconds", "month", "kind"], name="fact_waits"),
            models.Index(
                fields=["region", "duration_seconds", "month", "kind"], name="fact_durations"
            ),
            models.Index(
                fields=[
                    "municipality",
                    "month",
                    "kind",
                    "outcome",
                    "department",
                    "unit",
                    "workplace",
                ],
                name="fact_m_counts",
            ),
            models.Index(
                fields=["municipality", "weekday", "hour", "month", "kind"], name="fact_m_hours"
            ),
            models.Index(
                fields=["municipality", "wait_seconds", "month", "kind"], name="fact_m_waits"
            ),
            models.Index(
                fields=["municipality", "duration_seconds", "month", "kind"],
                name="fact_m_durations",
            ),
            # The whole country's waiting times and durations, by month (figures._histograms).
            models.Index(fields=["month", "wait_seconds", "kind"], name="fact_n_waits"),
            models.Index(fields=["month", "duration_seconds", "kind"], name="fact_n_durations"),
            models.Index(fields=["clinic", "month"], name="fact_clinic"),
            # The few continued by phone, read without walking the rest.
            models.Index(
                fields=["region", "month", "kind"],
                name="fact_phone",
                condition=models.Q(phone_fallback=True),
            ),
            models.Index(
                fields=["municipality", "month", "kind"],
                name="fact_m_phone",
                condition=models.Q(phone_fallback=True),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class RollupMark(models.Model):
    """One row: every consultation queued before `complete_before` is final and has its fact,
    so a refresh only looks at the consultations queued since."""

    complete_before = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.complete_before:%Y-%m-%d %H:%M}"

    @classmethod
    def current(cls) -> datetime | None:
        return cls.objects.filter(pk=1).values_list("complete_before", flat=True).first()
