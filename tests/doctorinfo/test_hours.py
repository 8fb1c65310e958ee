"""Opening hours on the doctor card (issue 32): Danish public holidays close them, the
optional ones (1 May, Grundlovsdag, 24 and 31 December) as the clinic chooses, an absence
names the substitute, and a closed clinic says when it opens next. Time is injected."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import translation

from kontaktlaege.consultations.actions import set_mode, set_schedule
from kontaktlaege.consultations.models import WaitingRoom
from kontaktlaege.doctorinfo import actions
from kontaktlaege.doctorinfo.status import doctor_card
from tests.support.personas import World

CPH = ZoneInfo("Europe/Copenhagen")
EIGHT, FOUR = time(8), time(16)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CPH)


def weekdays_eight_to_four(world: World) -> None:
    hours = [(d, EIGHT, FOUR) for d in range(5)]
    actions.set_opening_hours(world.gp, world.ydernummer, hours)


def test_an_ordinary_weekday_is_open_in_its_hours_and_says_when_it_opens(world: World) -> None:
    weekdays_eight_to_four(world)
    wednesday = date(2026, 12, 2)
    card = doctor_card(world.ydernummer, at(wednesday, 10))
    assert card.open_now and not card.closed_now and card.holiday == ""
    assert card.hours_today == [(EIGHT, FOUR)]
    assert card.next_opening is None
    evening = doctor_card(world.ydernummer, at(wednesday, 17))
    assert evening.closed_now and evening.next_opening == at(date(2026, 12, 3), 8)
    friday_evening = doctor_card(world.ydernummer, at(date(2026, 12, 4), 16, 30))
    assert friday_evening.next_opening == at(date(2026, 12, 7), 8)  # Monday


def test_a_public_holiday_closes_the_hours_in_danish_and_english(world: World) -> None:
    weekdays_eight_to_four(world)
    christmas_day = date(2026, 12, 25)  # a Friday; the 26th is a holiday too, then Sunday
    card = doctor_card(world.ydernummer, at(christmas_day, 10))
    assert card.holiday == "Juledag"
    assert card.hours_today == [] and not card.open_now and card.closed_now
    assert card.next_opening == at(date(2026, 12, 28), 8)
    with translation.override("en"):
        assert doctor_card(world.ydernummer, at(christmas_day, 10)).holiday == "Christmas Day"
    # The clinic cannot open on a public holiday by choice: the option is for the optional ones.
    actions.set_details(world.gp, world.ydernummer, back_line_phone="", closed_on_optional=False)
    assert doctor_card(world.ydernummer, at(christmas_day, 10)).holiday == "Juledag"
    # A clinic that has told no hours is not called closed: nothing is known of it.
    unknown = doctor_card(world.other_ydernummer, at(christmas_day, 10))
    assert unknown.holiday == "" and not unknown.closed_now and not unknown.hours_known


def test_an_optional_holiday_follows_the_clinics_choice(world: World) -> None:
    weekdays_eight_to_four(world)
    grundlovsdag, christmas_eve = date(2026, 6, 5), date(2026, 12, 24)
    for day, name in ((grundlovsdag, "Grundlovsdag"), (christmas_eve, "Juleaftensdag")):
        closed = doctor_card(world.ydernummer, at(day, 10))  # by default: closed
        assert closed.holiday == name and not closed.open_now and closed.hours_today == []
    actions.set_details(world.gp, world.ydernummer, back_line_phone="", closed_on_optional=False)
    for day in (grundlovsdag, christmas_eve):
        opened = doctor_card(world.ydernummer, at(day, 10))
        assert opened.holiday == "" and opened.open_now and opened.hours_today == [(EIGHT, FOUR)]
    # Another clinic's choice is its own: the other ydernummer keeps the default.
    actions.set_opening_hours(world.other_gp, world.other_ydernummer, [(4, EIGHT, FOUR)])
    other = doctor_card(world.other_ydernummer, at(grundlovsdag, 10))
    assert other.holiday == "Grundlovsdag" and not other.open_now


def test_an_absence_names_the_substitute_and_the_day_the_doctor_is_back(world: World) -> None:
    weekdays_eight_to_four(world)
    actions.add_absence(
        world.secretary,
        world.ydernummer,
        starts=date(2026, 11, 30),
        ends=date(2026, 12, 4),
        reason="Kursus",
        substitute=actions.Substitute("Peter Lund", "Lægerne i Valby", "36 44 55 66"),
    )
    card = doctor_card(world.ydernummer, at(date(2026, 12, 2), 10))
    assert card.absence is not None and card.absence.substitute_phone == "36 44 55 66"
    assert not card.open_now and card.next_opening == at(date(2026, 12, 7), 8)
    assert doctor_card(world.ydernummer, at(date(2026, 12, 7), 10)).absence is None
    before = doctor_card(world.ydernummer, at(date(2026, 11, 27), 10))
    assert before.open_now and [a.substitute_name for a in before.upcoming_absences] == [
        "Peter Lund"
    ]


def test_video_hours_are_the_waiting_rooms_windows(world: World) -> None:
    weekdays_eight_to_four(world)
    set_schedule(world.gp, [(2, time(9), time(11))])
    set_mode(world.gp, WaitingRoom.Mode.SCHEDULE)
    wednesday = date(2026, 12, 2)
    card = doctor_card(world.ydernummer, at(wednesday, 10))
    assert card.video_by_schedule and card.video_today == [(time(9), time(11))]
    assert card.video_now
    assert not doctor_card(world.ydernummer, at(wednesday, 12)).video_now
    assert doctor_card(world.ydernummer, at(date(2026, 12, 3), 10)).video_today == []
