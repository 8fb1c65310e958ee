"""Invitation links for a relative or an interpreter: made by the clinic for a running
consultation, random (stored only hashed), expiring, good for one use; the guest needs no
account."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kontaktlaege.consultations import actions
from kontaktlaege.video import calls
from kontaktlaege.video.models import Invite
from tests.support.personas import World


def invite_url(as_user: Any, world: World, running: Any) -> str:
    response = as_user(world.gp).post(
        f"/klinik/konsultation/{running.pk}/video/inviter/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    return response.json()["url"]


def test_doctor_creates_a_link_the_guest_uses_once(
    client: Any, as_user: Any, world: World, running: Any
) -> None:
    url = invite_url(as_user, world, running)
    page = client.get(url)
    assert page.status_code == 200
    assert "Deltag i videokonsultationen" in page.content.decode()
    # Opening the link (e.g. a link preview) does not use it up; joining does.
    assert Invite.objects.get().used_at is None
    joined = client.post(url, {"name": "Tolk Hansen"})
    assert joined.status_code == 302 and joined["Location"] == "/video/gaest/"
    assert client.get("/video/gaest/").status_code == 200
    invite = Invite.objects.get()
    assert invite.used_at is not None and invite.guest_name == "Tolk Hansen"
    assert client.session[calls.GUEST_SESSION_KEY] == {
        "invite": invite.pk,
        "consultation": running.pk,
    }
    # Used: another browser gets a clear answer.
    from django.test import Client

    again = Client().get(url)
    assert again.status_code == 410
    assert "Linket virker ikke" in again.content.decode()


def test_guest_name_is_required_and_bounded(
    client: Any, as_user: Any, world: World, running: Any
) -> None:
    url = invite_url(as_user, world, running)
    response = client.post(url, {"name": "x" * 61})
    assert response.status_code == 200
    assert "Navnet må højst være 60 tegn." in response.content.decode()
    assert Invite.objects.get().used_at is None


def test_forged_expired_and_ended_links_do_not_work(
    client: Any, as_user: Any, world: World, running: Any
) -> None:
    url = invite_url(as_user, world, running)
    token = url.rstrip("/").rsplit("/", 1)[1]
    forged, _hash = calls.new_token()
    assert client.get(f"/video/gaest/{forged}/").status_code == 410
    assert client.get(f"/video/gaest/{token[:-2]}xx/").status_code == 410
    # Only the hash of the token is stored: the database holds no usable link.
    assert Invite.objects.get().token_hash == calls.token_hash(token) != token
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 410
    url = invite_url(as_user, world, running)
    actions.end(world.gp, running.pk)
    assert client.get(url).status_code == 410


def test_only_the_clinic_of_a_running_consultation_makes_links(
    as_user: Any, world: World, running: Any
) -> None:
    path = f"/klinik/konsultation/{running.pk}/video/inviter/"
    assert as_user(world.other_gp).post(path).status_code == 404
    assert as_user(world.carer).post(path).status_code == 403
    actions.end(world.gp, running.pk)
    response = as_user(world.gp).post(path, HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert response.json() == {"error": "Konsultationen er ikke i gang."}
    assert not Invite.objects.exists()


def test_guest_page_needs_an_invitation(client: Any) -> None:
    assert client.get("/video/gaest/").status_code == 404


def test_doctor_call_page_is_for_the_clinic_only(as_user: Any, world: World, running: Any) -> None:
    path = f"/klinik/konsultation/{running.pk}/video/"
    page = as_user(world.gp).get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-socket="/ws/video/{running.pk}/"' in html
    assert "Billede i billede" in html and "Inviter pårørende/tolk" in html
    assert as_user(world.other_gp).get(path).status_code == 404
    assert as_user(world.carer).get(path).status_code == 403
