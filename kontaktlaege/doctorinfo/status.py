"""The doctor card an employee reads before calling: video now or not, today's hours (Danish
public holidays close them), an absence with the substitute, the back-line number, the
clinic's phone, and when it opens next. Time is a parameter so tests can choose the day."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone
from django.utils.translation import get_language

from kontaktlaege.consultations.models import WaitingRoom
from kontaktlaege.directory.models import Clinic, Ydernummer

from .models import Absence, DoctorInfo, OpeningHours

# How far ahead the next opening is looked for (a summer holiday plus a weekend).
LOOK_AHEAD_DAYS = 45


@lru_cache(maxsize=32)
def _calendar(year: int, language: str, optional: bool) -> dict[date, str]:
    category = holidays.OPTIONAL if optional else holidays.PUBLIC
    days = holidays.country_holidays("DK", years=year, categories=(category,), language=language)
    return dict(days.items())


def _holiday_language() -> str:
    return "en_US" if (get_language() or "da").startswith("en") else "da"


def closing_holiday(day: date, closed_on_optional: bool = True) -> str:
    """The name of the holiday that closes the clinic on `day`, or ""."""
    language = _holiday_language()
    name = _calendar(day.year, language, False).get(day, "")
    if not name and closed_on_optional:
        name = _calendar(day.year, language, True).get(day, "")
    return name


@dataclass
class Week:
    """One ydernummer's hours and absences, read once, asked about many days."""

    hours: list[OpeningHours]
    absences: list[Absence]
    closed_on_optional: bool

    def absence_on(self, day: date) -> Absence | None:
        return next((a for a in self.absences if a.starts <= day <= a.ends), None)

    def hours_on(self, day: date) -> list[OpeningHours]:
        if closing_holiday(day, self.closed_on_optional):
            return []
        return [h for h in self.hours if h.weekday == day.weekday()]

    def is_open(self, local: datetime) -> bool:
        if self.absence_on(local.date()):
            return False
        return any(h.start <= local.time() < h.end for h in self.hours_on(local.date()))

    def next_opening(self, local: datetime) -> datetime | None:
        """The first moment after `local` that the clinic is open with its own doctor in."""
        for offset in range(LOOK_AHEAD_DAYS):
            day = local.date() + timedelta(days=offset)
            if self.absence_on(day):
                continue
            for h in self.hours_on(day):
                starts = timezone.make_aware(datetime.combine(day, h.start), local.tzinfo)  # type: ignore[arg-type]
                if starts > local:
                    return starts
        return None


def week_of(ydernummer: Ydernummer, today: date, info: DoctorInfo | None) -> Week:
    return Week(
        hours=list(OpeningHours.objects.filter(ydernummer=ydernummer)),
        absences=list(
            Absence.objects.filter(ydernummer=ydernummer, ends__gte=today).order_by("starts")
        ),
        closed_on_optional=info.closed_on_optional_holidays if info else True,
    )


@dataclass
class DoctorCard:
    ydernummer: Ydernummer
    clinic: Clinic
    doctors: list[str]
    clinic_phone: str
    back_line_phone: str
    video_offered: bool
    video_now: bool
    video_by_schedule: bool
    video_today: list[tuple[time, time]]
    hours_known: bool
    hours_today: list[tuple[time, time]]
    holiday: str
    open_now: bool
    absence: Absence | None
    next_opening: datetime | None
    upcoming_absences: list[Absence] = field(default_factory=list)

    @property
    def closed_now(self) -> bool:
        """Closed by its own hours (when it has told them), a holiday or an absence."""
        return self.hours_known and not self.open_now


def doctor_card(ydernummer: Ydernummer, at: datetime | None = None) -> DoctorCard:
    local = timezone.localtime(at or timezone.now())
    today = local.date()
    clinic = ydernummer.clinic
    info = DoctorInfo.objects.filter(ydernummer=ydernummer).first()
    week = week_of(ydernummer, today, info)
    room = WaitingRoom.objects.filter(clinic=clinic).first()
    windows = list(room.windows.all()) if room else []
    absence = week.absence_on(today)
    open_now = week.is_open(local)
    return DoctorCard(
        ydernummer=ydernummer,
        clinic=clinic,
        doctors=[d.name for d in ydernummer.doctors.all()],
        clinic_phone=clinic.phone,
        back_line_phone=info.back_line_phone if info else "",
        video_offered=clinic.offers_video,
        video_now=clinic.offers_video and room is not None and room.is_open(local),
        video_by_schedule=room is not None and room.mode == WaitingRoom.Mode.SCHEDULE,
        video_today=[(w.start, w.end) for w in windows if w.weekday == today.weekday()],
        hours_known=bool(week.hours),
        hours_today=[(h.start, h.end) for h in week.hours_on(today)],
        # Holidays close the hours a clinic has told; of one that has not, nothing is known.
        holiday=closing_holiday(today, week.closed_on_optional) if week.hours else "",
        open_now=open_now,
        absence=absence,
        next_opening=None if open_now else week.next_opening(local),
        upcoming_absences=[a for a in week.absences if a.starts > today][:3],
    )
