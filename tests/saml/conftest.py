"""A federation for the SAML tests: the product as service provider (keys made at test time,
settings pointing at the test identity provider's metadata) and a pysaml2 identity provider
that trusts the product's served metadata. Copenhagen's CVR is mapped to the municipality."""

import html
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from kontaktlaege.saml import config
from kontaktlaege.saml.models import Organisation
from tests.support.personas import World
from tests.support.saml_idp import Identity, IdentityProvider, make_keypair

CVR = "29189846"
ADDRESS = "198.51.100.40"


@pytest.fixture(scope="session")
def saml_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory of keys for the run: making RSA keys is the slow part."""
    return tmp_path_factory.mktemp("saml-keys")


def provider_logout(response: HttpResponse) -> str:
    """Where signing out sends the browser on: the provider's single logout, from our page
    that leads there (a redirect of the sign-out form would break the CSP's form-action)."""
    assert response.status_code == 200, response.status_code
    text = response.content.decode()
    link = text.split('id="logout-continue" href="', 1)[1].split('"', 1)[0]
    assert f'content="0;url={link}"' in text  # the page goes on by itself
    return html.unescape(link)


@dataclass
class Federation:
    idp: IdentityProvider
    directory: Path
    sp_entity_id: str

    def client(self) -> Client:
        return Client(REMOTE_ADDR=ADDRESS)

    def start(self, client: Client, purpose: str = config.EMPLOYEE, nxt: str = "/") -> str:
        """The product's redirect to the provider (its signed AuthnRequest)."""
        url = reverse("saml:login", args=[purpose]) + "?" + urllib.parse.urlencode({"next": nxt})
        response = client.get(url)
        assert response.status_code == 302, response.content[:500]
        return str(response["Location"])

    def post(self, client: Client, acs: str, fields: dict[str, str]) -> HttpResponse:
        """The browser's POST from the provider's page: no CSRF token, checks on."""
        client.handler.enforce_csrf_checks = True
        try:
            return client.post(urllib.parse.urlsplit(acs).path, fields)  # type: ignore[return-value]
        finally:
            client.handler.enforce_csrf_checks = False

    def sign_in(
        self,
        client: Client,
        identity: Identity | None = None,
        purpose: str = config.EMPLOYEE,
        **variations: object,
    ) -> HttpResponse:
        acs, fields = self.idp.answer(self.start(client, purpose), identity, **variations)  # type: ignore[arg-type]
        return self.post(client, acs, fields)


@pytest.fixture
def federation(world: World, settings, saml_keys: Path) -> Iterator[Federation]:  # type: ignore[no-untyped-def]
    idp = IdentityProvider(saml_keys, "http://idp.test")
    key, cert = make_keypair(saml_keys, "sp")
    enc_key, enc_cert = make_keypair(saml_keys, "sp-encryption")
    metadata = idp.metadata_file()
    settings.SAML_EMPLOYEE_IDP_METADATA = [str(metadata)]
    settings.SAML_CLINIC_IDP_METADATA = [str(metadata)]
    settings.SAML_CITIZEN_IDP_METADATA = [str(metadata)]
    settings.SAML_BASE_URL = "http://testserver"
    settings.SAML_ENTITY_ID = ""
    settings.SAML_KEY_FILE, settings.SAML_CERT_FILE = str(key), str(cert)
    settings.SAML_ENCRYPTION_KEY_FILE, settings.SAML_ENCRYPTION_CERT_FILE = (
        str(enc_key),
        str(enc_cert),
    )
    config.forget()
    sp_metadata = Client().get(reverse("saml:metadata")).content.decode()
    idp.trust(sp_metadata)
    Organisation.objects.create(cvr=CVR, municipality=world.carer.municipality)
    yield Federation(idp=idp, directory=saml_keys, sp_entity_id=config.sp_config().entityid)
    config.forget()
