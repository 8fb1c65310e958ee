"""The device check sits between choosing the doctor and writing the reason; the connection
test is public and hands out only short-lived TURN credentials."""

import base64
import hashlib
import hmac
import time

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from kontaktlaege.asgi import application
from kontaktlaege.consultations.views import DRAFT
from kontaktlaege.video.checks import DEVICE_CHECK, category
from tests.support.threads import run_async

DEVICE_CHECK_URL = reverse("videocheck:device_check")
CONNECTION_TEST_URL = reverse("videocheck:connection_test")


def test_citizen_step_leads_to_the_device_check_and_then_to_the_reason(world, as_user) -> None:
    client = as_user(world.carer)
    response = client.post(reverse("consultations:citizen"), {"cpr": world.cpr, "consent": "on"})
    assert response.status_code == 302
    assert response["Location"] == DEVICE_CHECK_URL
    draft = dict(client.session[DRAFT])

    page = client.get(DEVICE_CHECK_URL)
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Mikrofon", "Afspil testlyd", "Jeg kan høre lyden", "Fortsæt kun med lyd"):
        assert text in html
    # Plan B: the clinic's phone number is in the tips.
    assert world.clinic.phone in html
    assert "no-cache" in page["Cache-Control"]

    done = client.post(DEVICE_CHECK_URL, {"audio_only": "1"})
    assert done.status_code == 302
    assert done["Location"] == reverse("consultations:reason")
    assert client.session[DRAFT] == draft
    assert client.session[DEVICE_CHECK] == {"audio_only": True}
    assert client.get(done["Location"]).status_code == 200


def test_ydernummer_confirm_leads_to_the_device_check(world, as_user) -> None:
    client = as_user(world.carer)
    response = client.post(
        reverse("consultations:by_ydernummer"),
        {"ydernummer": world.ydernummer.number, "confirm": "1"},
    )
    assert response["Location"] == DEVICE_CHECK_URL
    done = client.post(DEVICE_CHECK_URL, {})
    assert done["Location"] == reverse("consultations:reason")
    assert client.session[DEVICE_CHECK] == {"audio_only": False}
    assert client.session[DRAFT]["ydernummer"] == world.ydernummer.pk


def test_device_check_without_a_draft_goes_back_to_start(world, as_user) -> None:
    response = as_user(world.carer).get(DEVICE_CHECK_URL)
    assert response["Location"] == reverse("consultations:employee_start")


def test_device_check_is_for_signed_in_employees_only(world, as_user) -> None:
    anonymous = Client().get(DEVICE_CHECK_URL)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    assert as_user(world.gp).get(DEVICE_CHECK_URL).status_code == 403


@pytest.mark.django_db
def test_login_page_links_to_the_connection_test() -> None:
    html = Client().get(reverse("accounts:login")).content.decode()
    assert f'href="{CONNECTION_TEST_URL}"' in html


@pytest.mark.django_db
@override_settings(STUN_URLS=[], TURN_URLS=[], TURN_SECRET="")
def test_connection_test_is_public_and_says_not_configured() -> None:
    response = Client().get(CONNECTION_TEST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-status="none"') == 3
    assert html.count('<td class="result">Ikke konfigureret</td>') == 3
    assert "443/TCP" in html and "40000–49999/UDP" in html
    assert response.context["servers"] == []


SECRET = "turn-test-secret"


@pytest.mark.django_db
@override_settings(
    STUN_URLS=["stun:turn.example.dk:3478"],
    TURN_URLS=[
        "turn:turn.example.dk:3478?transport=udp",
        "turn:turn.example.dk:3478?transport=tcp",
        "turns:turn.example.dk:443?transport=tcp",
    ],
    TURN_SECRET=SECRET,
    TURN_CREDENTIAL_TTL=3600,
)
def test_connection_test_gets_one_check_per_server_with_short_lived_credentials() -> None:
    before = time.time()
    response = Client().get(CONNECTION_TEST_URL)
    servers = response.context["servers"]
    assert [(s["category"], s["address"]) for s in servers] == [
        ("stun", "turn.example.dk:3478"),
        ("turn-udp", "turn.example.dk:3478"),
        ("turn-tcp", "turn.example.dk:3478"),
        ("turn-tcp", "turn.example.dk:443"),
    ]
    assert servers[0]["ice"] == {"urls": "stun:turn.example.dk:3478"}
    for server in servers[1:]:
        ice = server["ice"]
        expiry, anonymous_id = ice["username"].split(":", 1)
        assert anonymous_id.startswith("forbindelsestest-")
        # The page is public: minutes, not the hour that signed-in users get.
        ttl = settings.CONNECTION_TEST_TURN_TTL
        assert ttl <= 600
        assert before + ttl - 1 <= int(expiry)
        assert int(expiry) <= time.time() + ttl
        mac = hmac.new(SECRET.encode(), ice["username"].encode(), hashlib.sha1).digest()
        assert ice["credential"] == base64.b64encode(mac).decode()
    assert 'data-status="none"' not in response.content.decode()


def test_category_of_ice_urls() -> None:
    assert category("stun:stun.example.dk") == "stun"
    assert category("turn:t.example.dk:3478") == "turn-udp"
    assert category("turn:t.example.dk:3478?transport=udp") == "turn-udp"
    assert category("turn:t.example.dk:3478?transport=tcp") == "turn-tcp"
    assert category("turns:t.example.dk:443?transport=tcp") == "turn-tcp"


async def _echo(messages: list[dict]) -> list[dict]:
    """Open the connection test's socket through the real ASGI application, send each message
    and collect one answer per message."""
    socket = WebsocketCommunicator(
        application,
        "/ws/forbindelsestest/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
    )
    connected, _code = await socket.connect()
    assert connected
    answers = []
    for message in messages:
        await socket.send_json_to(message)
        answers.append(await socket.receive_json_from())
    await socket.disconnect()
    return answers


def echo(messages: list[dict]) -> list[dict]:
    # Its own thread and event loop: the browser tests' Playwright loop may run in this one.
    return run_async(_echo(messages), timeout=30)


@pytest.mark.django_db(transaction=True)
def test_echo_socket_answers_with_the_same_nonce() -> None:
    answers = echo([{"type": "echo", "nonce": "123-456"}])
    assert answers == [{"type": "echo", "nonce": "123-456"}]


@pytest.mark.django_db(transaction=True)
def test_echo_socket_rejects_bad_messages_in_danish() -> None:
    answers = echo([{"type": "echo", "nonce": "x" * 65}, {"type": "echo"}, {"type": "ping"}])
    assert [a["type"] for a in answers] == ["error", "error", "error"]
    assert answers[0]["message"] == "Ugyldig testbesked."
    assert answers[2]["message"] == "Ukendt beskedtype."
