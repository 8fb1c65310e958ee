"""Single logout started at the identity provider (by HTTP-Redirect or HTTP-POST) ends the
product's session, and the pages the user has open (their sockets) close with it, as signing
out here does."""

import pytest
from channels.layers import channel_layers
from django.http import HttpResponse

from kontaktlaege.live.session_watch import CLOSE_SESSION_ENDED
from kontaktlaege.saml.models import Organisation
from tests.consultations.test_sockets import WAIT, db, receive, run, socket
from tests.support.personas import World
from tests.support.saml_idp import Identity

from .conftest import Federation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_logout_from_the_provider_closes_the_users_open_pages(
    world: World,
    federation: Federation,
    settings,  # type: ignore[no-untyped-def]
    binding: str,
) -> None:
    channel_layers.backends.clear()
    settings.SEQ_POLL_SECONDS = 3600
    settings.SESSION_CHECK_SECONDS = 3600  # only the sign-out's own hint can close them
    Organisation.objects.create(cvr="31415926", clinic=world.clinic)
    client = federation.client()
    anna = Identity(cvr="31415926", grants={})
    assert federation.sign_in(client, anna, purpose="klinik").status_code == 302

    def logout() -> HttpResponse:
        if binding == "post":
            url, fields = federation.idp.logout_request_posted(
                federation.sp_entity_id, anna.name_id
            )
            return federation.post(client, url, fields)
        url = federation.idp.logout_request(federation.sp_entity_id, anna.name_id)
        return client.get(url.replace("http://testserver", ""))  # type: ignore[return-value]

    async def scenario() -> None:
        room = socket("/ws/klinik/", client)
        assert (await room.connect(timeout=WAIT))[0]
        await receive(room)  # the waiting room's first snapshot
        response = await db(logout)()
        assert response.status_code == 302
        while True:  # snapshots may come first
            output = await room.receive_output(timeout=WAIT)
            if output["type"] == "websocket.close":
                assert output["code"] == CLOSE_SESSION_ENDED
                return

    run(scenario)
