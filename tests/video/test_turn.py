"""TURN credentials follow coturn's REST-API scheme (`use-auth-secret`), so a coturn with the same
`static-auth-secret` accepts them; ice_servers() lists only what is configured."""

import base64
import hashlib
import hmac
import time

from django.test import override_settings

from kontaktlaege.video.turn import ice_servers, ice_transport_policy, turn_credentials

SECRET = "n0t-so-s3cret-turn-key"


def coturn_password(secret: str, username: str) -> str:
    """What coturn computes for a REST-API username: base64(HMAC-SHA1(secret, username))."""
    mac = hmac.HMAC(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


@override_settings(TURN_SECRET=SECRET, TURN_CREDENTIAL_TTL=600)
def test_username_is_expiry_colon_id_and_password_is_hmac_sha1() -> None:
    username, password = turn_credentials("medarbejder-17", now=1_700_000_000.4)
    assert username == "1700000600:medarbejder-17"
    assert password == coturn_password(SECRET, "1700000600:medarbejder-17")
    # 20 bytes of SHA-1, base64 encoded.
    assert len(base64.b64decode(password)) == 20


@override_settings(TURN_SECRET=SECRET, TURN_CREDENTIAL_TTL=3600)
def test_expiry_is_now_plus_ttl() -> None:
    before = int(time.time())
    username, _password = turn_credentials("x")
    after = int(time.time())
    expiry = int(username.split(":", 1)[0])
    assert before + 3600 <= expiry <= after + 3600


@override_settings(TURN_SECRET="another-secret", TURN_CREDENTIAL_TTL=600)
def test_password_depends_on_the_secret() -> None:
    username, password = turn_credentials("medarbejder-17", now=1_700_000_000)
    assert password != coturn_password(SECRET, username)
    assert password == coturn_password("another-secret", username)


@override_settings(STUN_URLS=[], TURN_URLS=[], TURN_SECRET="")
def test_no_servers_configured_gives_an_empty_list() -> None:
    assert ice_servers("u1") == []


@override_settings(STUN_URLS=["stun:stun.example.dk:3478"], TURN_URLS=[], TURN_SECRET="")
def test_stun_only() -> None:
    assert ice_servers("u1") == [{"urls": ["stun:stun.example.dk:3478"]}]


@override_settings(
    STUN_URLS=[], TURN_URLS=["turn:turn.example.dk:3478?transport=udp"], TURN_SECRET=""
)
def test_turn_without_secret_is_left_out() -> None:
    # Without a secret there are no valid credentials, so no TURN entry at all.
    assert ice_servers("u1") == []


TURN_URLS = [
    "turn:turn.example.dk:3478?transport=udp",
    "turn:turn.example.dk:3478?transport=tcp",
    "turns:turn.example.dk:443?transport=tcp",
]


@override_settings(
    STUN_URLS=["stun:turn.example.dk:3478"],
    TURN_URLS=TURN_URLS,
    TURN_SECRET=SECRET,
    TURN_CREDENTIAL_TTL=900,
)
def test_stun_and_turn_with_short_lived_credentials() -> None:
    before = int(time.time())
    stun, turn = ice_servers("medarbejder-17")
    assert stun == {"urls": ["stun:turn.example.dk:3478"]}
    assert turn["urls"] == TURN_URLS
    expiry, user_id = turn["username"].split(":", 1)
    assert user_id == "medarbejder-17"
    assert before + 900 <= int(expiry) <= int(time.time()) + 900
    assert turn["credential"] == coturn_password(SECRET, turn["username"])


@override_settings(TURN_URLS=TURN_URLS, TURN_SECRET=SECRET, TURN_RELAY_ONLY=True)
def test_relay_only_when_asked_and_turn_is_set_up() -> None:
    assert ice_transport_policy() == "relay"
    with override_settings(TURN_RELAY_ONLY=False):
        assert ice_transport_policy() == "all"


@override_settings(TURN_URLS=TURN_URLS, TURN_SECRET="", TURN_RELAY_ONLY=True)
def test_relay_only_without_turn_would_never_connect_so_it_is_not_used() -> None:
    assert ice_transport_policy() == "all"
    with override_settings(TURN_URLS=[], TURN_SECRET=SECRET):
        assert ice_transport_policy() == "all"
