"""Single logout by HTTP-POST (OIOSAML 3 allows it besides HTTP-Redirect): the provider's
posted LogoutRequest signs the user out, its posted answer ends our own logout, and a message
not signed by the session's provider leaves the session as it was."""

import base64
import urllib.parse

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.saml import config
from tests.support.saml_idp import Identity, IdentityProvider

from .conftest import Federation, provider_logout


def _signed_in(federation: Federation) -> tuple[Client, Identity]:
    client = federation.client()
    lise = Identity()
    assert federation.sign_in(client, lise).status_code == 302
    return client, lise


def test_the_provider_can_sign_the_user_out_by_post(federation: Federation) -> None:
    client, lise = _signed_in(federation)
    url, fields = federation.idp.logout_request_posted(federation.sp_entity_id, lise.name_id)
    assert url == "http://testserver/saml/ls/"
    response = federation.post(client, url, fields)  # cross-site: no CSRF token
    assert response.status_code == 302
    # Answered by HTTP-Redirect, signed: a form posted on would break the CSP.
    assert response["Location"].startswith("http://idp.test/slo?SAMLResponse=")
    assert "Signature=" in response["Location"]
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="logout").count() == 1


def test_a_posted_logout_request_not_from_the_sessions_provider_is_refused(
    federation: Federation, settings
) -> None:  # type: ignore[no-untyped-def]
    client, lise = _signed_in(federation)
    rogue = IdentityProvider(federation.directory, federation.idp.base, name="rogue")
    rogue.trust(federation.idp.sp_metadata)  # the same issuer's name, another key
    stranger = IdentityProvider(federation.directory, "http://stranger.test", name="stranger")
    stranger.trust(federation.idp.sp_metadata)  # a provider not in our metadata
    # A provider we trust, but for citizens: not the one this session signed in with.
    citizens = IdentityProvider(federation.directory, "http://borger.test", name="borger")
    settings.SAML_CITIZEN_IDP_METADATA = [str(citizens.metadata_file())]
    config.forget()
    citizens.trust(federation.idp.sp_metadata)
    attempts = [
        federation.idp.logout_request_posted(federation.sp_entity_id, lise.name_id, sign=False),
        rogue.logout_request_posted(federation.sp_entity_id, lise.name_id),
        stranger.logout_request_posted(federation.sp_entity_id, lise.name_id),
        citizens.logout_request_posted(federation.sp_entity_id, lise.name_id),
    ]
    for url, fields in attempts:
        response = federation.post(client, url, fields)
        assert response.status_code == 403
        assert "Du er ikke logget ud af Kontakt Læge" in response.content.decode()
        assert SESSION_KEY in client.session  # still signed in
    assert client.get("/", follow=True).status_code == 200
    assert AuditEntry.objects.filter(action="logout_refused").count() == len(attempts)
    assert not AuditEntry.objects.filter(action="logout").exists()


def test_the_providers_posted_answer_ends_our_logout(federation: Federation) -> None:
    client, _lise = _signed_in(federation)
    location = provider_logout(client.post(reverse("accounts:logout")))
    url, fields = federation.idp.logout_response_posted(location)
    assert url == "http://testserver/saml/ls/"
    response = federation.post(client, url, fields)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def test_an_unsigned_posted_answer_is_refused(federation: Federation) -> None:
    client, _lise = _signed_in(federation)
    location = provider_logout(client.post(reverse("accounts:logout")))
    url, fields = federation.idp.logout_response_posted(location)
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    start, end = xml.index("<ds:Signature"), xml.index("</ds:Signature>") + len("</ds:Signature>")
    fields["SAMLResponse"] = base64.b64encode((xml[:start] + xml[end:]).encode()).decode()
    response = federation.post(client, urllib.parse.urlsplit(url).path, fields)
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="logout_refused").count() == 1
