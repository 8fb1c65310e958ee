"""Clinic staff and administrators see live names, CPR numbers and reasons all day: they are
idle-locked too, after STAFF_IDLE_TIMEOUT_SECONDS, except while one of their calls runs."""

import time

from django.utils import timezone

from kontaktlaege.accounts.models import User
from kontaktlaege.consultations import actions
from kontaktlaege.privacy import shared_device as sd
from kontaktlaege.video.models import CallMember
from tests.support.factories import PASSWORD, UserFactory
from tests.support.signin import current_code, verified_client

RESUME = "/privatliv/genoptag/"


def _idle_for(client, seconds: float) -> None:  # type: ignore[no-untyped-def]
    session = client.session
    session[sd.LAST_ACTIVITY] = time.time() - seconds
    session.save()


def test_the_default_is_thirty_minutes(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.STAFF_IDLE_TIMEOUT_SECONDS == 1800
    assert settings.IDLE_TIMEOUT_SECONDS < settings.STAFF_IDLE_TIMEOUT_SECONDS


def test_idle_clinic_staff_must_sign_in_again(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 1800
    client = verified_client(world.gp)
    assert client.get("/klinik/").status_code == 200
    # Longer than the tablets' time, shorter than the staff's: still open.
    _idle_for(client, settings.IDLE_TIMEOUT_SECONDS + 60)
    assert client.get("/klinik/").status_code == 200
    _idle_for(client, 1801)
    response = client.get("/klinik/")
    assert response.status_code == 302 and response["Location"].startswith(RESUME)
    assert client.get("/klinik/", HTTP_ACCEPT="application/json").status_code == 401
    assert client.post("/klinik/", HTTP_ACCEPT="application/json").status_code == 401
    assert not sd.socket_allowed(client.session, "/ws/klinik/")
    # Password and code again, and the page opens.
    ok = client.post(
        f"{RESUME}?next=/klinik/", {"password": PASSWORD, "token": current_code(world.gp)}
    )
    assert ok.status_code == 302 and ok["Location"] == "/klinik/"
    assert client.get("/klinik/").status_code == 200


def test_idle_administrators_must_sign_in_again(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 1800
    admin = UserFactory(username="national", kind=User.Kind.ADMIN)
    client = verified_client(admin)
    assert client.get("/revision/").status_code == 200
    _idle_for(client, 1801)
    response = client.get("/revision/")
    assert response.status_code == 302 and response["Location"].startswith(RESUME)


def test_the_staff_timeout_is_configurable(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 120
    client = verified_client(world.secretary)
    _idle_for(client, 121)
    assert client.get("/klinik/")["Location"].startswith(RESUME)


def test_a_running_call_the_doctor_admitted_is_use(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 1800
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Svimmel i dag")
    actions.admit(world.gp, c.pk)
    doctor, secretary = verified_client(world.gp), verified_client(world.secretary)
    _idle_for(doctor, 3600)
    _idle_for(secretary, 3600)
    assert doctor.get("/klinik/").status_code == 200
    # The secretary neither admitted the call nor is in it.
    assert secretary.get("/klinik/")["Location"].startswith(RESUME)
    # After the call the idle time runs from its end.
    actions.end(world.gp, c.pk)
    _idle_for(doctor, 3600)
    assert doctor.get("/klinik/").status_code == 200
    type(c).objects.filter(pk=c.pk).update(ended_at=timezone.now() - timezone.timedelta(hours=1))
    _idle_for(doctor, 3600)
    assert doctor.get("/klinik/")["Location"].startswith(RESUME)


def test_a_member_of_a_running_call_is_not_locked(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 1800
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Svimmel i dag")
    actions.admit(world.gp, c.pk)
    CallMember.objects.create(
        consultation=c, peer_id="p-bodil", principal=f"user:{world.secretary.pk}", role="doctor"
    )
    secretary = verified_client(world.secretary)
    _idle_for(secretary, 3600)
    assert secretary.get("/klinik/").status_code == 200
    # Out of the call, the idle time counts again.
    CallMember.objects.filter(consultation=c).delete()
    _idle_for(secretary, 3600)
    assert secretary.get("/klinik/")["Location"].startswith(RESUME)
