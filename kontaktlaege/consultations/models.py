"""The virtual waiting room of a clinic and the consultations queued in it."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kontaktlaege import weekly_hours
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.privacy.fields import EncryptedTextField

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class WaitingRoom(models.Model):
    """One per clinic: the queue is shared by all its doctors (reference 002)."""

    class Mode(models.TextChoices):
        CLOSED = "closed", _("Lukket")
        OPEN = "open", _("Åben")
        SCHEDULE = "schedule", _("Åben efter åbningstider")

    clinic = models.OneToOneField(
        "directory.Clinic", on_delete=models.CASCADE, related_name="waiting_room"
    )
    mode = models.CharField(_("status"), max_length=10, choices=Mode.choices, default=Mode.CLOSED)
    # Bumped in the same transaction as every change a waiting-room page shows.
    seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("venteværelse")
        verbose_name_plural = _("venteværelser")

    def __str__(self) -> str:
        return str(self.clinic)

    def is_open(self, at: datetime | None = None) -> bool:
        if self.mode == self.Mode.OPEN:
            return True
        if self.mode == self.Mode.CLOSED:
            return False
        local = timezone.localtime(at or timezone.now())
        return any(w.covers(local) for w in self.windows.all())


class OpeningWindow(models.Model):
    """A weekly "åben videokonsultation" window."""

    Weekday = weekly_hours.Weekday  # the one list, shared with the clinic's own hours

    waiting_room = models.ForeignKey(WaitingRoom, on_delete=models.CASCADE, related_name="windows")
    weekday = models.IntegerField(_("ugedag"), choices=weekly_hours.Weekday.choices)
    start = models.TimeField(_("fra"))
    end = models.TimeField(_("til"))

    class Meta:
        verbose_name = _("åbningstid")
        verbose_name_plural = _("åbningstider")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                name="window_start_before_end", condition=models.Q(start__lt=models.F("end"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def covers(self, local: datetime) -> bool:
        return local.weekday() == self.weekday and self.start <= local.time() < self.end


def followed_by(user: Any) -> models.Q:
    """The consultations this account follows as the waiting person: a citizen's own ("Borger
    selv") through `citizen_account`, anyone else's through `employee`."""
    if getattr(user, "pk", None) is None:
        return models.Q(pk__in=[])
    if getattr(user, "is_citizen", False):
        return models.Q(citizen_account_id=user.pk)
    return models.Q(employee_id=user.pk)


class ConsultationQuerySet(models.QuerySet["Consultation"]):
    def followed_by(self, user: Any) -> "ConsultationQuerySet":
        return self.filter(followed_by(user))


class Consultation(models.Model):
    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Borger selv")
        ON_BEHALF = "on_behalf", _("Medarbejder på vegne af borger")
        WITHOUT_CITIZEN = "without_citizen", _("Medarbejder uden borger")
        INVITED = "invited", _("Inviteret via link")
        BOOKED = "booked", _("Booket tid")
        PASSANT = "passant", _("Passant")

    class State(models.TextChoices):
        QUEUED = "queued", _("I kø")
        ADMITTED = "admitted", _("I konsultation")
        ENDED = "ended", _("Afsluttet")
        REJECTED = "rejected", _("Afvist")
        CANCELLED = "cancelled", _("Annulleret")
        CLEARED = "cleared", _("Fjernet ved lukning")
        ABANDONED = "abandoned", _("Forladt")

    clinic = models.ForeignKey(
        "directory.Clinic",
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("praksis"),
    )
    ydernummer = models.ForeignKey(
        "directory.Ydernummer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("ydernummer"),
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    state = models.CharField(
        _("status"), max_length=10, choices=State.choices, default=State.QUEUED, db_index=True
    )
    seq = models.BigIntegerField(default=0)

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("medarbejder"),
    )
    # The citizen's own account when they queued themselves ("Borger selv"); never `employee`,
    # which is the municipal employee shown to the doctor and counted in the statistics.
    citizen_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="own_consultations",
        verbose_name=_("borgerens konto"),
    )
    municipality = models.ForeignKey(
        "directory.Municipality",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("kommune"),
    )
    # What the doctor sees of the employee, as it was when they called.
    employee_name = models.CharField(max_length=200, blank=True)
    employee_role = models.CharField(max_length=100, blank=True)
    employee_workplace = models.CharField(max_length=150, blank=True)
    # The unit the municipality had placed the employee in when they called: the statistics
    # count the call there, even if the employee is moved before it ends. Not personal data.
    employee_unit = models.ForeignKey(
        "administration.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("medarbejderens enhed"),
    )

    citizen_name = EncryptedTextField(_("borgers navn"), blank=True)
    citizen_cpr_encrypted = models.TextField(blank=True)
    citizen_cpr_hash = models.CharField(max_length=64, blank=True, db_index=True)
    consent_given = models.BooleanField(_("tro- og love-erklæring"), default=False)
    reason = EncryptedTextField(_("hvad drejer konsultationen sig om"))
    reject_message = EncryptedTextField(_("besked ved afvisning"), blank=True)

    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("startet af"),
    )
    queued_at = models.DateTimeField(_("stillet i kø"), db_index=True)
    # The time the clinic gave an invited or booked person: shown in the waiting room.
    booked_for = models.DateTimeField(_("aftalt tid"), null=True, blank=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)
    # "Fortsat over telefon": the video failed and the two sides went on by phone (the
    # clinic's number is the plan B, PRODUCT §3.3); counted by the statistics.
    phone_fallback_at = models.DateTimeField(_("fortsat over telefon"), null=True, blank=True)
    phone_fallback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("markeret af"),
    )
    # Presence of the waiting person's page: stamped while a page of it is open in a server
    # process; `away_since` is set when the last one closed (or went silent), and a person
    # away longer than the grace period loses the place in the queue.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    away_since = models.DateTimeField(null=True, blank=True)
    # The one-time token of the employee's draft this consultation was queued from: a
    # repeated submit of the same draft finds this row instead of queueing again.
    submit_token = models.CharField(max_length=64, null=True, blank=True, unique=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("konsultation")
        verbose_name_plural = _("konsultationer")
        indexes = [models.Index(fields=["clinic", "state", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def citizen_cpr(self) -> str:
        return cprlib.decrypt(self.citizen_cpr_encrypted)

    def set_citizen_cpr(self, cpr: str) -> None:
        self.citizen_cpr_encrypted = cprlib.encrypt(cpr)
        self.citizen_cpr_hash = cprlib.lookup_hash(cpr)

    def is_followed_by(self, user: Any) -> bool:
        """Whether the account is this consultation's waiting person (see followed_by)."""
        if getattr(user, "pk", None) is None:
            return False
        if getattr(user, "is_citizen", False):
            return self.citizen_account_id == user.pk
        return self.employee_id == user.pk

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.ADMITTED)

    @property
    def queue_key(self) -> tuple[int, int]:
        """The consultation's place in the queue order (queue time, then id), as integers
        that travel in a push: queue time in microseconds since the epoch."""
        return (self.queued_at - _EPOCH) // _MICROSECOND, self.pk


class Message(models.Model):
    """A short message from the clinic to a waiting person ("Jeg kommer om 5 minutter")."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.pk}"
