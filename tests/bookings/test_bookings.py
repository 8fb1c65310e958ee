"""Bookings (reference 002): clinic staff book a video consultation; the person gets a
confirmation with the link, the preparation advice and a calendar file; the day and week views
mark video appointments; a move or a cancellation is told to the person."""

import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.bookings.models import Booking
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.consultations.snapshots import clinic_snapshot
from kontaktlaege.directory.models import Doctor
from kontaktlaege.outbox import actions as outbox
from kontaktlaege.outbox.models import OutboxMessage
from kontaktlaege.video.models import Invite
from tests.outbox import conftest as outbox_fixtures
from tests.outbox.conftest import MailServer
from tests.support.personas import World

smtp_server = outbox_fixtures.smtp_server  # the outbox tests' real SMTP server
NEW = "/klinik/kalender/ny/"
LINK = re.compile(r"http://testserver(/invitation/\d+/[\w-]+/)")


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def book(as_user: Any, world: World, at: datetime, **form: Any) -> Any:
    doctor = Doctor.objects.get(name="Anne Holm")
    data = {
        "who": "patient",
        "name": "Inger Jensen",
        "phone": "20 30 40 50",
        "email": "inger@example.dk",
        "day": timezone.localtime(at).date().isoformat(),
        "at": f"{timezone.localtime(at):%H:%M}",
        "minutes": "20",
        "doctor": doctor.pk,
        **form,
    }
    return as_user(world.secretary).post(NEW, data)


def test_a_booking_sends_the_link_the_advice_and_a_calendar_file(
    as_user: Any, world: World, smtp_server: MailServer
) -> None:
    at = tomorrow_at(10, 30)
    response = book(as_user, world, at)
    assert response.status_code == 302, response.content.decode()

    booking = Booking.objects.get()
    assert booking.starts_at == at and booking.minutes == 20 and booking.clinic == world.clinic
    assert booking.doctor is not None and booking.doctor.name == "Anne Holm"
    assert AuditEntry.objects.filter(action="booking_created").count() == 1
    invite = Invite.objects.get()
    assert booking.invite == invite and invite.planned_at == at and invite.purpose == "patient"
    sms, mail = OutboxMessage.objects.order_by("pk")
    assert sms.channel == "sms" and mail.channel == "email"
    when = f"{at.day}.{at.month}.{at.year} kl. 10.30"
    assert f"Du har en videokonsultation hos Lægehuset Nørrebro {when}." in sms.body
    link = LINK.search(sms.body)
    assert link and link.group(0) in mail.body and booking.link == link.group(0)
    assert "Sådan forbereder du dig:" in mail.body and "fortroligt sted" in mail.body
    assert mail.attachment_type == "text/calendar; method=REQUEST"

    cal = Calendar.from_ical(mail.attachment)
    assert cal["METHOD"] == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert event["DTSTART"].dt == at and event["DTEND"].dt == at + timedelta(minutes=20)
    assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    assert str(event["UID"]) == booking.uid and event["SEQUENCE"] == 0
    assert link.group(0) in str(event["DESCRIPTION"])

    # Delivered to a real SMTP server: the calendar file goes as an invitation.
    assert outbox.deliver_due() == {"sent": 2}
    (received,) = smtp_server.received
    assert isinstance(received, EmailMessage)
    [part] = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "videokonsultation.ics"
    assert Calendar.from_ical(part.get_content())["METHOD"] == "REQUEST"


def test_the_day_and_week_views_mark_the_video_appointments(as_user: Any, world: World) -> None:
    at = tomorrow_at(9, 0)
    book(as_user, world, at)
    day = as_user(world.gp).get(f"/klinik/kalender/?dag={at.date().isoformat()}")
    html = day.content.decode()
    assert 'class="appointment video"' in html and "Inger Jensen" in html and "09.00–09.20" in html
    week = as_user(world.gp).get(f"/klinik/kalender/uge/?dag={at.date().isoformat()}")
    assert 'class="appointment video"' in week.content.decode()
    assert "Inger Jensen" in week.content.decode()
    # Another clinic sees none of it; employees have no calendar.
    other = as_user(world.other_gp).get(f"/klinik/kalender/?dag={at.date().isoformat()}")
    assert "Inger Jensen" not in other.content.decode()
    booking = Booking.objects.get()
    assert as_user(world.other_gp).get(f"/klinik/kalender/{booking.pk}/").status_code == 404
    assert as_user(world.carer).get("/klinik/kalender/").status_code == 403


def test_a_phone_number_or_an_email_is_needed(as_user: Any, world: World) -> None:
    response = book(as_user, world, tomorrow_at(9), phone="", email="")
    assert "Skriv et mobilnummer eller en e-mailadresse" in response.content.decode()
    bad = book(as_user, world, tomorrow_at(9), phone="12", email="")
    assert "Telefonnummeret er ikke gyldigt." in bad.content.decode()
    past = book(as_user, world, timezone.now() - timedelta(hours=1))
    assert "Tidspunktet er allerede passeret." in past.content.decode()
    assert not Booking.objects.exists() and not OutboxMessage.objects.exists()


def test_a_moved_booking_is_told_with_a_newer_calendar_file(as_user: Any, world: World) -> None:
    book(as_user, world, tomorrow_at(10))
    booking = Booking.objects.get()
    new_at = tomorrow_at(13, 15)
    moved = as_user(world.gp).post(
        f"/klinik/kalender/{booking.pk}/",
        {"day": new_at.date().isoformat(), "at": "13:15", "minutes": "30"},
    )
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == new_at and booking.minutes == 30 and booking.sequence == 1
    assert Invite.objects.get().planned_at == new_at
    sms, mail = OutboxMessage.objects.order_by("pk")[2:]
    assert "er flyttet til" in sms.body and booking.link in sms.body
    [event] = Calendar.from_ical(mail.attachment).walk("VEVENT")
    assert event["SEQUENCE"] == 1 and event["DTSTART"].dt == new_at
    assert AuditEntry.objects.filter(action="booking_moved").count() == 1


def test_a_cancelled_booking_is_told_and_its_link_withdrawn(as_user: Any, world: World) -> None:
    book(as_user, world, tomorrow_at(10))
    booking = Booking.objects.get()
    assert as_user(world.other_gp).post(f"/klinik/kalender/{booking.pk}/aflys/").status_code == 404
    assert as_user(world.gp).post(f"/klinik/kalender/{booking.pk}/aflys/").status_code == 302
    booking.refresh_from_db()
    assert booking.state == Booking.State.CANCELLED
    sms, mail = OutboxMessage.objects.order_by("pk")[2:]
    assert "er aflyst" in sms.body and world.clinic.phone in sms.body
    cal = Calendar.from_ical(mail.attachment)
    assert cal["METHOD"] == "CANCEL" and mail.attachment_type == "text/calendar; method=CANCEL"
    page = Client().get(LINK.search(booking.link).group(1))  # type: ignore[union-attr]
    assert page.status_code == 410 and world.clinic.phone in page.content.decode()


def test_the_booked_person_arrives_within_the_early_window_and_shows_as_booked(
    as_user: Any, world: World, settings: Any
) -> None:
    settings.BOOKING_EARLY_MINUTES = 15
    book(as_user, world, tomorrow_at(10))
    booking = Booking.objects.get()
    path = LINK.search(booking.link).group(1)  # type: ignore[union-attr]
    person = Client()
    assert "Det er ikke tid endnu" in person.get(path).content.decode()
    # Ten minutes before the (moved-up) time: in.
    soon = timezone.now() + timedelta(minutes=10)
    Booking.objects.update(starts_at=soon)
    Invite.objects.update(planned_at=soon)
    person.post(path, {"name": "Inger Jensen"})
    assert person.post("/invitation/udstyrstjek/")["Location"] == "/invitation/venter/"
    consultation = Consultation.objects.get()
    assert consultation.kind == Consultation.Kind.BOOKED and consultation.booked_for == soon
    [entry] = clinic_snapshot(world.clinic.pk)["entries"]
    assert entry["kind_label"] == "Booket tid"
    assert entry["booked_label"] == f"Aftalt tid kl. {timezone.localtime(soon):%H.%M}"
    # Arrived: the booking can no longer be moved.
    moved = as_user(world.gp).post(
        f"/klinik/kalender/{booking.pk}/",
        {"day": tomorrow_at(9).date().isoformat(), "at": "09:00", "minutes": "15"},
    )
    assert "Personen er allerede kommet ind via linket." in moved.content.decode()


def test_retention_erases_the_personal_data_of_past_bookings(
    as_user: Any, world: World, settings: Any
) -> None:
    from kontaktlaege.privacy.retention import erase_expired

    settings.RETENTION_DAYS = 30
    at = tomorrow_at(10)
    book(as_user, world, at)
    erase_expired(timezone.now() + timedelta(days=29))
    assert Booking.objects.get().name == "Inger Jensen"
    erase_expired(timezone.now() + timedelta(days=32))
    booking = Booking.objects.get()
    assert (booking.name, booking.phone, booking.email, booking.link) == ("", "", "", "")
    assert booking.starts_at == at and booking.minutes == 20
    assert Invite.objects.get().invitee_name == ""
