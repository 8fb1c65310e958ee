"""Invitations by SMS and by e-mail in real Chromium: the clinic sends the link, the outbox
delivers it (SMS into the outbox page; e-mail to a real SMTP server started here), the person
opens it in another browser, passes the device check and waits marked "Inviteret"; the doctor
admits and both see and hear each other."""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kontaktlaege.outbox import actions as outbox
from tests.outbox import conftest as outbox_fixtures
from tests.outbox.conftest import MailServer
from tests.support.axe import assert_accessible
from tests.support.browser import wait_until
from tests.support.personas import World
from tests.support.threads import in_own_thread
from tests.video.test_call_browser import eventually, sees_and_hears, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

smtp_server = outbox_fixtures.smtp_server  # the outbox tests' real SMTP server
LINK = re.compile(r"http://[\w.:]+/invitation/\d+/[\w-]+/")


def send_invitation(doctor: Any, address: str, name: str, at: datetime | None = None) -> None:
    doctor.goto("/klinik/")
    doctor.click("#invite-patient")
    doctor.get_by_label("Mobilnummer eller e-mail").fill(address)
    doctor.get_by_label("Navn (valgfrit)").fill(name)
    if at is not None:
        doctor.get_by_label("Tidspunkt (valgfrit)").fill(f"{at:%Y-%m-%dT%H:%M}")
    doctor.click("#send-invitation")
    expect(doctor.get_by_text("Invitationen er lagt i udbakken")).to_be_visible()
    expect(doctor.locator("tr[data-invite]").first).to_contain_text("Sendt")
    assert_accessible(doctor)


def pass_device_check(page: Any) -> None:
    expect(page.get_by_role("heading", name="Trin 1 af 4: Mikrofon")).to_be_visible()
    page.get_by_role("button", name="Start tjek af mikrofon og kamera").click()
    expect(page.get_by_role("status").filter(has_text="Mikrofonen virker")).to_be_visible()
    page.get_by_role("button", name="Næste").click()
    page.get_by_role("button", name="Afspil testlyd").click()
    page.get_by_label("Jeg kan høre lyden").check()
    page.get_by_role("button", name="Næste").click()
    expect(page.get_by_role("heading", name="Trin 3 af 4: Kamera")).to_be_visible()
    wait_until(page, "document.getElementById('camera-preview').videoWidth > 0")
    page.get_by_role("button", name="Næste").click()
    expect(page.get_by_role("heading", name=re.compile("Trin 4 af 4"))).to_be_visible()
    page.get_by_role("button", name="Næste").click()


def arrive_and_be_admitted(
    chromium: Any, doctor: Any, link: str, name: str, booked: str = ""
) -> Any:
    """The person opens the link in a browser of their own; the doctor admits them."""
    person = chromium.new_context(locale="da-DK", permissions=["camera", "microphone"]).new_page()
    person.goto(link)
    expect(person.get_by_text("Du er inviteret til en videokonsultation hos")).to_be_visible()
    expect(person.get_by_label("Dit navn")).to_have_value(name)
    assert_accessible(person)
    person.click("#open-invitation")
    person.wait_for_url("**/invitation/udstyrstjek/")
    pass_device_check(person)
    person.wait_for_url("**/invitation/venter/")
    expect(person.locator("#queue-number")).to_have_text("1")
    expect(person.locator("#connection")).to_have_text("Forbundet")
    assert_accessible(person)

    doctor.goto("/klinik/")
    entry = doctor.locator("li.entry").filter(has_text=name)
    expect(entry.locator(".kind")).to_have_text("Inviteret via link")
    expect(entry.locator(".offline")).to_be_hidden()
    if booked:
        expect(entry.locator(".booked")).to_have_text(booked)
    entry.locator('form[data-action="admit"] button').click()
    doctor.wait_for_url("**/klinik/konsultation/*/video/")
    sees_and_hears(doctor, 1)
    sees_and_hears(person, 1)
    expect(doctor.locator("#remote-videos figcaption")).to_have_text(f"{name} · Inviteret")
    expect(person.locator("#remote-videos figcaption")).to_have_text("Anne Holm · Læge")
    return person


def test_invited_by_sms_the_person_waits_marked_invited_and_the_call_opens(
    world: World, video_server: str, chromium: Any
) -> None:
    doctor = sign_in(chromium, video_server, world.gp)
    # Within the early-arrival window of the time given.
    at = timezone.localtime(timezone.now() + timedelta(minutes=10))
    send_invitation(doctor, "20 30 40 50", "Inger Jensen", at)
    # The scheduler's round: the embedded default delivers the SMS into the outbox.
    assert in_own_thread(outbox.deliver_due) == {"sent": 1}
    doctor.goto("/klinik/udbakke/")
    row = doctor.locator("tr[data-message]").first
    expect(row).to_contain_text("Sendt")
    expect(row).to_contain_text("+45 •• •• •• 50")
    found = LINK.search(row.inner_text())
    assert found, row.inner_text()

    person = arrive_and_be_admitted(
        chromium, doctor, found.group(0), "Inger Jensen", f"Aftalt tid kl. {at:%H.%M}"
    )

    doctor.click("#end-call button")
    expect(person.locator('[data-show="ended"]')).to_be_visible()
    # The link was good for one use only.
    again = chromium.new_context().new_page()
    assert again.goto(found.group(0)).status == 410
    expect(again.locator("#refusal")).to_contain_text(world.clinic.phone)
    assert_accessible(again)
    for page in (doctor, person, again):
        page.context.close()


def test_invited_by_email_read_from_a_real_smtp_server(
    world: World, video_server: str, chromium: Any, smtp_server: MailServer
) -> None:
    doctor = sign_in(chromium, video_server, world.gp)
    send_invitation(doctor, "inger@example.dk", "Inger Jensen")
    assert in_own_thread(outbox.deliver_due) == {"sent": 1}
    (mail,) = smtp_server.received
    assert mail["To"] == "inger@example.dk"
    assert mail["Subject"].strip() == "Invitation til videokonsultation hos Lægehuset Nørrebro"
    body = mail.get_content()
    assert "Kære Inger Jensen" in body and "Sådan forbereder du dig:" in body
    assert "fortroligt sted" in body and world.clinic.phone in body
    found = LINK.search(body)
    assert found, body

    person = arrive_and_be_admitted(chromium, doctor, found.group(0), "Inger Jensen")
    eventually(lambda: person.evaluate("() => window.klVideo.pcs.size") == 1, "one connection")
    for page in (doctor, person):
        page.context.close()


def test_the_clinics_new_pages_are_accessible(
    world: World, video_server: str, chromium: Any
) -> None:
    """The passant form, the calendar's day and week views with a video appointment, and the
    booking form with its errors."""
    staff = sign_in(chromium, video_server, world.secretary)
    staff.goto("/klinik/")
    staff.click("#add-passant")
    staff.get_by_label("Patientens CPR-nummer").fill("12345")
    staff.get_by_label("Hvad drejer konsultationen sig om?").fill("Udslæt")
    staff.click("#add-passant-submit")
    expect(staff.get_by_text("Et CPR-nummer består af 10 cifre")).to_be_visible()
    assert_accessible(staff)

    staff.goto("/klinik/")
    staff.click("#calendar")
    staff.click("#new-booking")
    at = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=10, minute=30)
    staff.get_by_label("Navn", exact=True).fill("Inger Jensen")
    staff.get_by_label("Dato").fill(f"{at:%Y-%m-%d}")
    staff.get_by_label("Klokken").fill("10:30")
    staff.click("#book")  # no phone number or e-mail: the error is shown
    expect(staff.get_by_text("Skriv et mobilnummer eller en e-mailadresse")).to_be_visible()
    assert_accessible(staff)
    staff.get_by_label("Mobilnummer").fill("20 30 40 50")
    staff.click("#book")
    expect(staff.get_by_text("Videokonsultationen er booket")).to_be_visible()
    appointment = staff.locator("li.appointment.video")
    expect(appointment).to_contain_text("10.30–10.45")
    expect(appointment).to_contain_text("Video")
    assert_accessible(staff)
    staff.click("text=Uge")
    expect(staff.locator("li.appointment.video")).to_contain_text("Inger Jensen")
    assert_accessible(staff)
    staff.context.close()


def test_a_signed_in_employee_opening_the_link_lands_in_the_employee_flow(
    world: World, video_server: str, chromium: Any
) -> None:
    doctor = sign_in(chromium, video_server, world.gp)
    send_invitation(doctor, "mette@example.dk", "Mette Sørensen")
    doctor.goto("/klinik/udbakke/")
    found = LINK.search(doctor.locator("tr[data-message]").first.inner_text())
    assert found

    employee = sign_in(chromium, video_server, world.carer)
    employee.goto(found.group(0))
    employee.wait_for_url("**/medarbejder/udstyrstjek/")
    pass_device_check(employee)
    employee.wait_for_url("**/medarbejder/aarsag/")
    employee.get_by_label("Hvad drejer konsultationen sig om?").fill("Borgeren har feber")
    employee.click("#start")
    employee.wait_for_url("**/konsultation/*/")
    expect(employee.locator("#queue-number")).to_have_text("1")

    doctor.goto("/klinik/")
    entry = doctor.locator("li.entry").filter(has_text="Mette Sørensen")
    expect(entry.locator(".kind")).to_have_text("Inviteret via link")
    expect(entry.locator(".workplace")).to_have_text("Hjemmeplejen Nord")
    for page in (doctor, employee):
        page.context.close()
