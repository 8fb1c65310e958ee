"""A user signed in through SAML has no password here: the idle lock and citizen mode are
lifted by signing in again at the provider (forced, not from its session), as the same
identity; anyone else's sign-in leaves the lock on."""

import urllib.parse
import zlib
from base64 import b64decode

from django.test import Client
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.privacy import shared_device as sd
from kontaktlaege.saml.models import FederatedIdentity
from tests.support.personas import World
from tests.support.saml_idp import Identity

from .conftest import Federation

LOCK = reverse("privacy:resume")


def _give_role_and_workplace(identity: Identity):  # type: ignore[no-untyped-def]
    user = FederatedIdentity.objects.get(name_id=identity.name_id).user
    user.job_role, user.workplace = "Sygeplejerske", "Hjemmeplejen"
    user.save()
    return user


def _signed_in_and_locked(federation: Federation) -> tuple[Client, Identity]:
    client = federation.client()
    lise = Identity()
    assert federation.sign_in(client, lise).status_code == 302
    _give_role_and_workplace(lise)
    session = client.session
    session[sd.IDLE_LOCKED] = True
    session.save()
    return client, lise


def _reauthenticate(federation: Federation, client: Client, identity: Identity):  # type: ignore[no-untyped-def]
    page = client.get(LOCK + "?next=/medarbejder/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Log ind igen med dit login" in text and 'name="password"' not in text
    start = client.get(reverse("saml:reauthenticate") + "?next=/medarbejder/")
    assert start.status_code == 302
    location = start["Location"]
    request = zlib.decompress(
        b64decode(urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["SAMLRequest"][0]),
        -15,
    ).decode()
    assert 'ForceAuthn="true"' in request
    acs, fields = federation.idp.answer(location, identity)
    return federation.post(client, acs, fields)


def test_the_same_identity_signing_in_again_lifts_the_idle_lock(federation: Federation) -> None:
    client, lise = _signed_in_and_locked(federation)
    assert client.get("/medarbejder/")["Location"].startswith(LOCK)
    back = _reauthenticate(federation, client, lise)
    assert back.status_code == 302
    done = client.get(back["Location"])
    assert done.status_code == 302 and done["Location"] == "/medarbejder/"
    assert sd.IDLE_LOCKED not in client.session
    after = client.get("/medarbejder/")
    assert not after.get("Location", "").startswith(LOCK)
    (entry,) = AuditEntry.objects.filter(action="idle_resumed")
    assert entry.actor == FederatedIdentity.objects.get(name_id=lise.name_id).user


def test_someone_else_signing_in_leaves_the_lock_on(federation: Federation) -> None:
    client, _lise = _signed_in_and_locked(federation)
    response = _reauthenticate(federation, client, Identity(first_name="Ole"))
    assert response.status_code == 403
    assert client.session[sd.IDLE_LOCKED] is True
    finish = client.get(reverse("saml:reauthenticated"))
    assert finish.status_code == 403
    assert client.session[sd.IDLE_LOCKED] is True
    assert not AuditEntry.objects.filter(action="idle_resumed").exists()


def test_signing_in_again_unlocks_citizen_mode(world: World, federation: Federation) -> None:
    client = federation.client()
    lise = Identity()
    assert federation.sign_in(client, lise).status_code == 302
    user = _give_role_and_workplace(lise)
    c = actions.join_queue(user, ydernummer=world.ydernummer, reason="Svimmel i dag")
    session = client.session
    session[sd.CITIZEN_MODE] = c.pk
    session.save()
    page = client.get(reverse("privacy:unlock"))
    assert "Log ind igen med dit login" in page.content.decode()
    start = client.get(reverse("saml:reauthenticate"))
    acs, fields = federation.idp.answer(start["Location"], lise)
    back = federation.post(client, acs, fields)
    done = client.get(back["Location"])
    assert done["Location"] == reverse("consultations:consultation", args=[c.pk])
    assert sd.CITIZEN_MODE not in client.session
    assert AuditEntry.objects.filter(action="citizen_mode_off", actor=user).count() == 1
