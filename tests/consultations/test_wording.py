"""What the pages say: the employee's ongoing consultations, who an entry is for, the reason on
the doctor's call page, the language menu and the page titles."""

import re
from html import escape

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kontaktlaege.consultations import actions
from kontaktlaege.consultations.snapshots import clinic_snapshot
from kontaktlaege.directory.models import Doctor
from tests.support import factories
from tests.support.personas import join_on_behalf

START_URL = reverse("consultations:employee_start")


def _ongoing(page: str) -> list[tuple[str, str]]:
    section = page.split("Igangværende", 1)[1].split("</section>", 1)[0]
    lines = re.findall(r'<li><a href="([^"]+)">(.*?)</a></li>', section, re.S)
    return [(href, re.sub(r"<[^>]+>", "", text)) for href, text in lines]


def test_start_page_lists_each_ongoing_consultation_by_citizen_time_and_state(
    world, as_user
) -> None:  # type: ignore[no-untyped-def]
    with_citizen = join_on_behalf(world, "Hoste")
    without = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Plejeplan")
    actions.admit(world.gp, without.pk)
    ended = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Gammel")
    actions.cancel(world.carer, ended.pk)

    page = as_user(world.carer).get(START_URL).content.decode()

    def at(c) -> str:  # type: ignore[no-untyped-def]
        return f"{timezone.localtime(c.queued_at):%H:%M}"

    assert _ongoing(page) == [
        (
            reverse("consultations:consultation", args=[with_citizen.pk]),
            f"Inger Jensen · Lægehuset Nørrebro · stillet i kø kl. {at(with_citizen)} · I kø",
        ),
        (
            reverse("consultations:consultation", args=[without.pk]),
            f"Uden borger · Lægehuset Nørrebro · stillet i kø kl. {at(without)} · I konsultation",
        ),
    ]


def test_log_borger_ud_only_while_a_citizen_is_signed_in(world, as_user) -> None:  # type: ignore[no-untyped-def]
    carer = as_user(world.carer)
    assert "Log borger ud" not in carer.get(START_URL).content.decode()
    carer.post(reverse("consultations:by_ydernummer"), {"ydernummer": "012345", "confirm": "1"})
    assert "Log borger ud" not in carer.get(START_URL).content.decode()  # no citizen
    carer.post(reverse("consultations:citizen"), {"cpr": world.cpr, "consent": "on"})
    assert "Log borger ud" in carer.get(START_URL).content.decode()
    carer.post(reverse("consultations:log_out_citizen"))
    assert "Log borger ud" not in carer.get(START_URL).content.decode()


def test_clinic_entries_say_which_doctor_they_are_for(world) -> None:  # type: ignore[no-untyped-def]
    shared = factories.YdernummerFactory(clinic=world.clinic, number="054321")
    Doctor.objects.create(ydernummer=shared, name="Bo Berg")
    Doctor.objects.create(ydernummer=shared, name="Eva Ek")
    actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste")
    actions.join_queue(world.carer2, ydernummer=shared, reason="Sår")
    entries = clinic_snapshot(world.clinic.pk)["entries"]
    assert [(e["ydernummer"], e["doctor"]) for e in entries] == [
        ("012345", "Anne Holm"),
        ("054321", ""),  # two doctors share it: the ydernummer says enough
    ]


def test_waiting_room_page_has_a_visible_doctor_field(world, as_user) -> None:  # type: ignore[no-untyped-def]
    page = as_user(world.gp).get(reverse("consultations:waiting_room")).content.decode()
    assert '<dd class="doctor"></dd>' in page and 'data-t-ydernummer="ydernummer"' in page


def test_the_doctors_call_page_shows_the_reason(world, as_user) -> None:  # type: ignore[no-untyped-def]
    c = actions.join_queue(
        world.carer, ydernummer=world.ydernummer, reason="Svimmel <især> om morgenen"
    )
    actions.admit(world.gp, c.pk)
    page = as_user(world.gp).get(reverse("video:clinic_call", args=[c.pk])).content.decode()
    assert escape("Svimmel <især> om morgenen") in page
    assert "Hvad drejer konsultationen sig om?" in page


def test_language_menu_names_each_language_in_itself(db) -> None:  # type: ignore[no-untyped-def]
    for accept in ("da", "en"):
        page = Client(headers={"accept-language": accept}).get("/konto/log-ind/")
        options = re.findall(r"<option [^>]*>([^<]+)</option>", page.content.decode())
        assert options == ["Dansk", "English"], accept


def test_titles_follow_one_pattern(world, as_user) -> None:  # type: ignore[no-untyped-def]
    def title(client: Client, url: str) -> str:
        return re.findall(r"<title>(.*?)</title>", client.get(url).content.decode())[0]

    gp, carer = as_user(world.gp), as_user(world.carer)
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste")
    assert title(gp, reverse("consultations:waiting_room")) == (
        "Venteværelse – Lægehuset Nørrebro · Kontakt Læge"
    )
    assert title(carer, reverse("consultations:consultation", args=[c.pk])) == (
        "Videokonsultation – Lægehuset Nørrebro · Kontakt Læge"
    )
    assert title(carer, START_URL) == "Start en videokonsultation · Kontakt Læge"
    assert title(Client(), reverse("accounts:login")) == "Log ind · Kontakt Læge"
