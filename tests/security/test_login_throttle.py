"""django-axes: repeated wrong passwords lock the username from that address, even for the
right password afterwards; the unlock page of citizen mode is throttled the same way."""

import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client

from kontaktlaege.accounts.models import User
from tests.support.factories import PASSWORD


def test_login_is_throttled(world, settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/konto/log-ind/", {"username": "mette", "password": "forkert-1"})
        assert response.status_code == 200
    last = client.post("/konto/log-ind/", {"username": "mette", "password": "forkert-1"})
    assert last.status_code == 429
    locked = client.post("/konto/log-ind/", {"username": "mette", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out.
    other = client.post("/konto/log-ind/", {"username": "ali", "password": PASSWORD})
    assert other.status_code == 302 and other["Location"] == "/konto/totp/"


def test_citizen_mode_unlock_is_throttled(world, scene, settings) -> None:  # type: ignore[no-untyped-def]
    from kontaktlaege.consultations import actions
    from tests.support.signin import verified_client

    actions.admit(world.gp, scene.mine.pk)  # citizen mode is for a running call
    client = verified_client(world.carer)
    client.post(f"/privatliv/borgertilstand/{scene.mine.pk}/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/privatliv/laas-op/", {"password": "gæt-nummer-1"})
    response = client.post("/privatliv/laas-op/", {"password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/medarbejder/")["Location"] == f"/konsultation/{scene.mine.pk}/"
    assert User.objects.get(pk=world.carer.pk).is_active


def _sign_in_from(base: str, address: str, password: str) -> int:
    """A password post to a real server process, as nginx forwards it for a browser at
    `address`; the status without following redirects."""
    token = "t" * 32

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    request = urllib.request.Request(
        f"http://{base}/konto/log-ind/",
        data=urllib.parse.urlencode({"username": "mette", "password": password}).encode(),
        headers={"Cookie": f"csrftoken={token}", "X-CSRFToken": token, "X-Forwarded-For": address},
    )
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.django_db(transaction=True)
def test_behind_the_proxy_the_lock_is_per_browser_address(world, settings, server_url) -> None:  # type: ignore[no-untyped-def]
    """The server (kontaktlaege.serve) takes the client's address from X-Forwarded-For when
    nginx on the same machine sends it: a guesser at one address locks the username there,
    not for the person at another. Without that trust every request would come from nginx's
    address, and one guesser would lock everyone out."""
    guesser, owner = "203.0.113.7", "198.51.100.9"
    statuses = [
        _sign_in_from(server_url, guesser, "forkert-1") for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert _sign_in_from(server_url, guesser, PASSWORD) == 429
    assert _sign_in_from(server_url, owner, PASSWORD) == 302  # on to the one-time code
