"""The clinic's waiting-room pages and actions through real requests, and who may use which
page: each person sees only their own consultations or their own clinic."""

from datetime import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation, Message, OpeningWindow, WaitingRoom

S = Consultation.State
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def queued(world) -> Consultation:  # type: ignore[no-untyped-def]
    return actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Udslæt på armen")


def _state(c: Consultation) -> tuple:
    c.refresh_from_db()
    return (
        c.state,
        c.seq,
        c.admitted_at,
        c.rejected_at,
        c.ended_at,
        c.cancelled_at,
        c.reject_message,
        c.messages.count(),
        WaitingRoom.objects.get(clinic_id=c.clinic_id).seq,
        AuditEntry.objects.count(),
    )


CLINIC_POSTS = [
    ("consultations:admit", {}),
    ("consultations:reject", {"message": "Nej tak"}),
    ("consultations:send_message", {"text": "Jeg kommer om 5 minutter"}),
    ("consultations:clinic_end", {}),
]


# --- clinic actions --------------------------------------------------------------------------


def test_waiting_room_page(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    response = as_user(world.gp).get(reverse("consultations:waiting_room"))
    assert response.status_code == 200
    assert response.context["room"].clinic == world.clinic


def test_live_pages_ping_at_the_servers_interval(world, as_user, queued, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HEARTBEAT_SECONDS = 7
    for user, url in [
        (world.gp, reverse("consultations:waiting_room")),
        (world.carer, reverse("consultations:consultation", args=[queued.pk])),
    ]:
        assert '<body data-heartbeat-ms="7000">' in as_user(user).get(url).content.decode()


def test_admit_message_and_end(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    gp = as_user(world.gp)
    response = gp.post(
        reverse("consultations:send_message", args=[queued.pk]),
        {"text": "Jeg kommer om 5 minutter"},
        **JSON,
    )
    assert response.json() == {"ok": True}
    assert [m.text for m in queued.messages.all()] == ["Jeg kommer om 5 minutter"]
    response = gp.post(reverse("consultations:admit", args=[queued.pk]))
    assert response.status_code == 302 and response.url == reverse("consultations:waiting_room")
    queued.refresh_from_db()
    assert queued.state == S.ADMITTED and queued.admitted_by == world.gp
    # A second "Start" (another doctor at the same moment) is refused clearly.
    response = as_user(world.secretary).post(
        reverse("consultations:admit", args=[queued.pk]), **JSON
    )
    assert response.status_code == 409 and "allerede" in response.json()["error"]
    response = gp.post(reverse("consultations:clinic_end", args=[queued.pk]), **JSON)
    assert response.json() == {"ok": True}
    queued.refresh_from_db()
    assert queued.state == S.ENDED


def test_reject_with_a_message(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    response = as_user(world.secretary).post(
        reverse("consultations:reject", args=[queued.pk]), {"message": "Ring i morgen"}, **JSON
    )
    assert response.json() == {"ok": True}
    queued.refresh_from_db()
    assert (queued.state, queued.reject_message) == (S.REJECTED, "Ring i morgen")
    audit = AuditEntry.objects.get(action="consultation_rejected")
    assert audit.detail == {"with_message": True} and audit.actor == world.secretary
    assert "Ring i morgen" not in str(audit.detail)


@pytest.mark.parametrize(
    "url, field",
    [("consultations:reject", "message"), ("consultations:send_message", "text")],
)
def test_too_long_message_is_refused(world, as_user, queued, url, field) -> None:  # type: ignore[no-untyped-def]
    before = _state(queued)
    response = as_user(world.gp).post(
        reverse(url, args=[queued.pk]), {field: "x" * (settings.MESSAGE_MAX_LENGTH + 1)}, **JSON
    )
    assert response.status_code == 400
    assert str(settings.MESSAGE_MAX_LENGTH) in response.json()["error"]
    assert _state(queued) == before


def test_empty_message_is_refused(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    before = _state(queued)
    response = as_user(world.gp).post(
        reverse("consultations:send_message", args=[queued.pk]), {"text": ""}, **JSON
    )
    assert response.status_code == 400 and response.json()["error"]
    assert _state(queued) == before


def test_message_to_a_finished_consultation_is_refused(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    actions.cancel(world.carer, queued.pk)
    response = as_user(world.gp).post(
        reverse("consultations:send_message", args=[queued.pk]), {"text": "Hallo?"}, **JSON
    )
    assert response.status_code == 409
    assert not Message.objects.exists()


def test_close_and_clear_through_the_page(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    gp = as_user(world.gp)
    response = gp.post(reverse("consultations:set_mode"), {"mode": "closed", "clear_queue": "1"})
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.state == S.CLEARED and queued.cleared_at is not None
    response = gp.post(reverse("consultations:set_mode"), {"mode": "bogus"}, **JSON)
    assert response.status_code == 400 and "Ukendt status" in response.json()["error"]
    assert WaitingRoom.objects.get(clinic=world.clinic).mode == WaitingRoom.Mode.CLOSED


def test_close_keeping_the_queue_through_the_page(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    as_user(world.gp).post(reverse("consultations:set_mode"), {"mode": "closed"})
    queued.refresh_from_db()
    assert queued.state == S.QUEUED
    assert WaitingRoom.objects.get(clinic=world.clinic).mode == WaitingRoom.Mode.CLOSED


def _formset(rows: list[tuple[str, str, str]]) -> dict[str, str]:
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, (weekday, start, end) in enumerate(rows):
        data |= {f"form-{i}-weekday": weekday, f"form-{i}-start": start, f"form-{i}-end": end}
    return data


def test_schedule_page_saves_weekly_windows(world, as_user) -> None:  # type: ignore[no-untyped-def]
    gp = as_user(world.gp)
    assert gp.get(reverse("consultations:schedule")).status_code == 200
    response = gp.post(
        reverse("consultations:schedule"),
        _formset([("0", "08:00", "11:00"), ("3", "13:00", "15:30"), ("", "", "")]),
    )
    assert response.status_code == 302
    windows = OpeningWindow.objects.filter(waiting_room__clinic=world.clinic)
    assert [(w.weekday, w.start, w.end) for w in windows] == [
        (0, time(8), time(11)),
        (3, time(13), time(15, 30)),
    ]
    assert not OpeningWindow.objects.filter(waiting_room__clinic=world.other_clinic).exists()


def test_schedule_window_ending_before_it_starts_is_refused(world, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user(world.gp).post(
        reverse("consultations:schedule"), _formset([("1", "15:00", "08:00")])
    )
    assert response.status_code == 200
    errors = response.context["formset"].forms[0].non_field_errors()
    assert "Sluttidspunktet skal ligge efter starttidspunktet." in errors
    assert not OpeningWindow.objects.exists()


# --- authorisation ---------------------------------------------------------------------------


@pytest.mark.parametrize("url, data", CLINIC_POSTS)
def test_other_clinic_cannot_touch_a_foreign_consultation(
    world, as_user, queued, url, data
) -> None:  # type: ignore[no-untyped-def]
    if url == "consultations:clinic_end":
        actions.admit(world.gp, queued.pk)
    before = _state(queued)
    response = as_user(world.other_gp).post(reverse(url, args=[queued.pk]), data)
    assert response.status_code == 404
    assert _state(queued) == before


@pytest.mark.parametrize("url, data", CLINIC_POSTS)
def test_unknown_consultation_id_is_404(world, as_user, url, data) -> None:  # type: ignore[no-untyped-def]
    response = as_user(world.gp).post(reverse(url, args=[987654]), data)
    assert response.status_code == 404


def test_employee_cannot_see_another_employees_consultation(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    url = reverse("consultations:consultation", args=[queued.pk])
    assert as_user(world.carer).get(url).status_code == 200
    for other in (world.carer2, world.foreign_carer):
        client = as_user(other)
        assert client.get(url).status_code == 404
        before = _state(queued)
        assert client.post(reverse("consultations:cancel", args=[queued.pk])).status_code == 404
        actions_end = reverse("consultations:employee_end", args=[queued.pk])
        assert client.post(actions_end).status_code == 404
        assert _state(queued) == before


CLINIC_GETS = ["consultations:waiting_room", "consultations:schedule"]
EMPLOYEE_GETS = [
    "consultations:employee_start",
    "consultations:citizen",
    "consultations:by_ydernummer",
    "consultations:reason",
]


def test_employee_gets_403_on_clinic_pages(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    client = as_user(world.carer)
    for name in CLINIC_GETS:
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("consultations:set_mode"), {"mode": "closed"}).status_code == 403
    before = _state(queued)
    for name, data in CLINIC_POSTS:
        assert client.post(reverse(name, args=[queued.pk]), data).status_code == 403
    assert _state(queued) == before
    assert WaitingRoom.objects.get(clinic=world.clinic).mode == WaitingRoom.Mode.OPEN


def test_clinic_staff_gets_403_on_employee_pages(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    client = as_user(world.gp)
    for name in EMPLOYEE_GETS:
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("consultations:consultation", args=[queued.pk])).status_code == 403
    before = _state(queued)
    assert client.post(reverse("consultations:cancel", args=[queued.pk])).status_code == 403
    assert _state(queued) == before


def test_home_sends_each_kind_to_its_page(world, as_user) -> None:  # type: ignore[no-untyped-def]
    assert as_user(world.carer).get("/").url == reverse("consultations:employee_start")
    assert as_user(world.gp).get("/").url == reverse("consultations:waiting_room")


@pytest.mark.parametrize("name", CLINIC_GETS + EMPLOYEE_GETS)
def test_unauthenticated_is_sent_to_login(db, name) -> None:  # type: ignore[no-untyped-def]
    url = reverse(name)
    response = Client().get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"


def test_unauthenticated_post_changes_nothing(world, queued) -> None:  # type: ignore[no-untyped-def]
    before = _state(queued)
    response = Client().post(reverse("consultations:admit", args=[queued.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert _state(queued) == before


@pytest.mark.parametrize("who", ["carer", "gp"])
def test_password_without_second_factor_is_sent_to_totp(world, queued, who) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(getattr(world, who))
    for name in ["consultations:waiting_room", "consultations:employee_start"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url == reverse("accounts:verify")
    before = _state(queued)
    response = client.post(reverse("consultations:admit", args=[queued.pk]))
    assert response.url == reverse("accounts:verify")
    assert _state(queued) == before
