"""A booking as a calendar file (RFC 5545, icalendar): times in Europe/Copenhagen with the
zone's definition added (add_missing_timezones), sent as "text/calendar; method=REQUEST"
(or CANCEL), one event whose UID stays and whose SEQUENCE grows with each move."""

from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from kontaktlaege.video import messages

from .models import Booking

ZONE = ZoneInfo("Europe/Copenhagen")
FILE_NAME = "videokonsultation.ics"


def mime_type(method: str) -> str:
    return f"text/calendar; method={method}"


def ics(booking: Booking, method: str = "REQUEST") -> str:
    clinic = booking.clinic
    cal = Calendar()
    cal.add("prodid", "-//Kontakt Læge//bookings//DA")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", booking.uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.starts_at.astimezone(ZONE))
    event.add("dtend", booking.ends_at.astimezone(ZONE))
    event.add("summary", _("Videokonsultation hos %(clinic)s") % {"clinic": clinic.name})
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
        event.add("location", vText(booking.link))
        event.add("url", booking.link)
        advice = "\n".join(f"- {line}" for line in messages.preparation())
        event.add(
            "description",
            "\n".join(
                [
                    booking.link,
                    "",
                    _("Sådan forbereder du dig:"),
                    advice,
                    "",
                    messages.plan_b(clinic),
                ]
            ),
        )
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organizer.params["cn"] = vText(clinic.name)
    event.add("organizer", organizer)
    if booking.email:
        attendee = vCalAddress(f"mailto:{booking.email}")
        attendee.params["cn"] = vText(booking.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical().decode()
