"""django-axes: repeated wrong passwords lock the username from that address, even for the
right password afterwards; the unlock page of citizen mode is throttled the same way."""

from django.test import Client

from kontaktlaege.accounts.models import User
from tests.factories import PASSWORD


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
    from tests.conftest import verified_client

    client = verified_client(world.carer)
    client.post(f"/privatliv/borgertilstand/{scene.mine.pk}/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/privatliv/laas-op/", {"password": "gæt-nummer-1"})
    response = client.post("/privatliv/laas-op/", {"password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/medarbejder/")["Location"] == f"/konsultation/{scene.mine.pk}/"
    assert User.objects.get(pk=world.carer.pk).is_active
