"""A real coturn (tests.support.turn) accepts the time-limited credentials the product hands
out, over UDP and over TCP, and refuses one made with another secret, an expired one, and one
whose username was changed after signing."""

import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from kontaktlaege.video.turn import ice_servers, turn_credentials
from tests.support import turn
from tests.support.turn import Coturn

UNAUTHORISED = 401


@pytest.fixture(scope="module")
def coturn() -> Iterator[Coturn]:
    with Coturn() as server:
        yield server


@pytest.fixture
def product(coturn: Coturn) -> Iterator[None]:
    with override_settings(
        TURN_URLS=coturn.urls(), TURN_SECRET=coturn.secret, TURN_CREDENTIAL_TTL=600
    ):
        yield


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_the_products_credential_gets_a_relay(
    coturn: Coturn, product: None, transport: turn.Transport
) -> None:
    (server,) = ice_servers("user:17")
    assert server["urls"] == coturn.urls()
    result = turn.allocate(transport, coturn.port, server["username"], server["credential"])
    assert result == 0, coturn.log_tail()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_a_credential_of_another_secret_is_refused(
    coturn: Coturn, transport: turn.Transport
) -> None:
    with override_settings(TURN_SECRET="not-" + coturn.secret, TURN_CREDENTIAL_TTL=600):
        username, password = turn_credentials("user:17")
    assert turn.allocate(transport, coturn.port, username, password) == UNAUTHORISED


def test_an_expired_credential_is_refused(coturn: Coturn, product: None) -> None:
    # Issued 11 minutes ago with a 10 minute lifetime: signed right, but past its expiry.
    username, password = turn_credentials("user:17", now=time.time() - 660)
    assert turn.allocate("udp", coturn.port, username, password) == UNAUTHORISED
    # The same a minute younger is still good: the refusal is the expiry's.
    username, password = turn_credentials("user:17", now=time.time() - 540)
    assert turn.allocate("udp", coturn.port, username, password) == 0


def test_a_username_changed_after_signing_is_refused(coturn: Coturn, product: None) -> None:
    username, password = turn_credentials("user:17")
    expiry, _user = username.split(":", 1)
    # A later expiry, or somebody else's id, with the password issued for the original.
    later = f"{int(expiry) + 86400}:user:17"
    assert turn.allocate("udp", coturn.port, later, password) == UNAUTHORISED
    assert turn.allocate("udp", coturn.port, f"{expiry}:user:18", password) == UNAUTHORISED
