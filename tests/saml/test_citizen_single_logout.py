"""Single logout of a citizen signed in with MitID, both ways: the session ends and the
citizen's open pages (the waiting page's socket, the call's) close, as signing out does."""

from collections.abc import Callable

import pytest
from channels.layers import channel_layers
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.live.session_watch import CLOSE_SESSION_ENDED
from kontaktlaege.saml.config import CITIZEN
from tests.consultations.test_sockets import WAIT, db, receive, run, socket
from tests.support.personas import World
from tests.support.saml_idp import citizen

from .conftest import Federation, provider_logout

pytestmark = pytest.mark.django_db(transaction=True)


def _queued_citizen(world: World, federation: Federation) -> tuple[Client, str, Consultation]:
    """A citizen signed in at the provider and waiting in the queue: their browser, their
    NameID and their consultation."""
    client = federation.client()
    inger = citizen(world.cpr)
    assert federation.sign_in(client, inger, purpose=CITIZEN).status_code == 302
    client.get(reverse("citizens:start"))
    client.post(reverse("citizens:device_check"))
    page = client.get(reverse("citizens:reason")).content.decode()
    token = page.split('name="draft_token" value="', 1)[1].split('"', 1)[0]
    client.post(reverse("citizens:reason"), {"reason": "Ondt i halsen", "draft_token": token})
    return client, inger.name_id, Consultation.objects.get()


def _closes_on(logout: Callable[[], object], client: Client, consultation: Consultation) -> None:
    async def scenario() -> None:
        page = socket(f"/ws/konsultation/{consultation.pk}/", client)
        assert (await page.connect(timeout=WAIT))[0]
        await receive(page)  # its first snapshot
        await db(logout)()
        while True:  # snapshots may come first
            output = await page.receive_output(timeout=WAIT)
            if output["type"] == "websocket.close":
                assert output["code"] == CLOSE_SESSION_ENDED
                return

    run(scenario)


@pytest.fixture
def quiet(settings):  # type: ignore[no-untyped-def]
    channel_layers.backends.clear()
    settings.SEQ_POLL_SECONDS = 3600
    settings.SESSION_CHECK_SECONDS = 3600  # only the sign-out's own hint can close them


def test_logout_from_the_provider_closes_the_citizens_open_pages(
    world: World, federation: Federation, quiet: None
) -> None:
    client, name_id, consultation = _queued_citizen(world, federation)
    url = federation.idp.logout_request(federation.sp_entity_id, name_id)

    def logout() -> None:
        response = client.get(url.replace("http://testserver", ""))
        assert response["Location"].startswith("http://idp.test/slo?SAMLResponse=")

    _closes_on(logout, client, consultation)
    assert SESSION_KEY not in client.session
    assert client.get(reverse("citizens:start"))["Location"].startswith("/konto/log-ind/")
    assert AuditEntry.objects.filter(action="logout").count() == 1


def test_signing_out_logs_out_at_the_provider_and_closes_the_citizens_pages(
    world: World, federation: Federation, quiet: None
) -> None:
    client, _name_id, consultation = _queued_citizen(world, federation)
    actions.admit(world.gp, consultation.pk)
    sent: list[str] = []

    def logout() -> None:
        sent.append(provider_logout(client.post(reverse("accounts:logout"))))

    _closes_on(logout, client, consultation)
    (location,) = sent
    assert location.startswith("http://idp.test/slo?SAMLRequest=") and "Signature=" in location
    assert SESSION_KEY not in client.session
    back = client.get(federation.idp.logout_response(location))
    assert back.status_code == 302 and back["Location"] == reverse("accounts:login")
