"""The public connection test's TURN credentials are short-lived and limited per client
address, so an anonymous script cannot use up the TURN server's quota."""

import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

URL = reverse("videocheck:connection_test")
TURN = override_settings(
    STUN_URLS=["stun:turn.example.dk:3478"],
    TURN_URLS=["turn:turn.example.dk:3478?transport=udp", "turns:turn.example.dk:443"],
    TURN_SECRET="turn-test-secret",
    TURN_CREDENTIAL_TTL=3600,
    CONNECTION_TEST_TURN_TTL=300,
    CONNECTION_TEST_TURN_PER_ADDRESS=3,
)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def turn_of(response) -> list[dict]:  # type: ignore[no-untyped-def]
    return [s for s in response.context["servers"] if s["category"] != "stun"]


@pytest.mark.django_db
@TURN
def test_turn_credentials_live_as_long_as_the_setting_says() -> None:
    before = time.time()
    servers = turn_of(Client().get(URL))
    assert len(servers) == 2
    for server in servers:
        expiry = int(server["ice"]["username"].split(":", 1)[0])
        assert before + 300 - 1 <= expiry <= time.time() + 300


@pytest.mark.django_db
@TURN
def test_an_address_gets_only_so_many_and_the_page_still_tests_the_rest() -> None:
    script = Client(REMOTE_ADDR="203.0.113.7")
    for _n in range(3):
        page = script.get(URL)
        assert len(turn_of(page)) == 2 and not page.context["turn_limited"]
    over = script.get(URL)
    assert over.status_code == 200
    assert over.context["turn_limited"]
    html = over.content.decode()
    # No credential handed out; STUN and the socket are still tested.
    assert "credential" not in html and "turn-test-secret" not in html
    assert [s["category"] for s in over.context["servers"]] == ["stun"]
    assert 'data-check="websocket"' in html and 'data-index="0"' in html
    assert "TURN kunne ikke testes lige nu" in html
    assert "Prøv igen om 5 minutter." in html
    assert html.count('data-status="limited"') == 2
    assert '<td class="result">Ikke konfigureret</td>' not in html
    # Another address is not held up by this one.
    assert len(turn_of(Client(REMOTE_ADDR="198.51.100.2").get(URL))) == 2


@pytest.mark.django_db
@override_settings(STUN_URLS=["stun:turn.example.dk:3478"], TURN_URLS=[], TURN_SECRET="")
def test_without_turn_nothing_is_counted_or_said() -> None:
    for _n in range(12):
        page = Client(REMOTE_ADDR="203.0.113.7").get(URL)
    assert not page.context["turn_limited"]
    assert "TURN kunne ikke testes" not in page.content.decode()
