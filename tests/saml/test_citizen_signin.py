"""Citizens sign in with MitID at NemLog-in ("Borger selv"): a real pysaml2 identity provider
answers the product's real AuthnRequest. Accepted at Substantial or High with a CPR number;
refused (audited, the Danish page, no session) at Low, without a CPR number, for another
audience or replayed. The CPR number is kept encrypted in the session only."""

import pytest
from django.test import Client
from django.urls import reverse

from kontaktlaege.accounts.models import User
from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.citizens import session as citizen_session
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.saml.config import CITIZEN
from kontaktlaege.saml.models import FederatedIdentity
from tests.support.personas import World
from tests.support.saml_idp import Identity, citizen, service_provider_metadata

from .conftest import ADDRESS, Federation
from .test_signin import _failures, _refusal, _signed_out


def test_a_citizen_signs_in_with_mitid_and_lands_in_their_own_flow(
    world: World, federation: Federation
) -> None:
    client = federation.client()
    inger = citizen(world.cpr)
    response = federation.sign_in(client, inger, purpose=CITIZEN)
    assert response.status_code == 302 and response["Location"] == "/"

    identity = FederatedIdentity.objects.get(name_id=inger.name_id)
    user = identity.user
    assert user.kind == User.Kind.CITIZEN and not user.is_staff
    assert not user.has_usable_password()
    # Neither the name nor the CPR number is stored on the account ...
    assert (user.first_name, user.last_name, user.municipality, user.clinic) == ("", "", None, None)
    # ... the session has them, encrypted.
    assert citizen_session.cpr_of(client.session) == world.cpr
    assert citizen_session.name_of(client.session) == "Inger Jensen"
    stored = str(dict(client.session.items()))
    assert world.cpr not in stored and "Inger" not in stored

    page = client.get("/", follow=True)
    assert page.redirect_chain[-1][0] == reverse("citizens:start")
    assert "Lægehuset Nørrebro" in page.content.decode()

    (entry,) = AuditEntry.objects.filter(action="login")
    assert entry.actor == user
    assert entry.citizen_cpr_hash == cprlib.lookup_hash(world.cpr)
    assert entry.detail == {
        "address": ADDRESS,
        "method": "saml",
        "idp": federation.idp.entity_id,
        "loa": "Substantial",
    }


def test_high_assurance_is_accepted_and_the_next_sign_in_is_the_same_citizen(
    world: World, federation: Federation
) -> None:
    inger = citizen(world.cpr, loa="High")
    assert federation.sign_in(federation.client(), inger, purpose=CITIZEN).status_code == 302
    assert federation.sign_in(federation.client(), inger, purpose=CITIZEN).status_code == 302
    assert User.objects.filter(kind=User.Kind.CITIZEN).count() == 1


@pytest.mark.parametrize(
    ("identity", "reason", "says"),
    [
        (citizen("0101801234", loa="Low"), "low_assurance", "for lavt sikringsniveau"),
        (citizen(""), "no_cpr", "fortæller ikke dit CPR-nummer"),
        (citizen("0113801234"), "no_cpr", "fortæller ikke dit CPR-nummer"),
    ],
    ids=["low", "no-cpr", "not-a-cpr"],
)
def test_refused_by_the_attributes(
    federation: Federation, identity: Identity, reason: str, says: str
) -> None:
    client = federation.client()
    response = federation.sign_in(client, identity, purpose=CITIZEN)
    assert _refusal(response) == reason
    assert says in response.content.decode()
    assert _signed_out(client)
    assert not FederatedIdentity.objects.exists()
    (failure,) = _failures()
    assert failure["reason"] == reason and failure["address"] == ADDRESS
    assert failure["idp"] == federation.idp.entity_id
    # The CPR number sent is in neither the audit nor the page.
    assert identity.cpr not in str(failure) or not identity.cpr


def test_a_response_for_another_audience_is_refused(world: World, federation: Federation) -> None:
    other = "https://another-service.example/saml"
    federation.idp.also_trust(service_provider_metadata(federation.directory, other))
    client = federation.client()
    response = federation.sign_in(client, citizen(world.cpr), purpose=CITIZEN, audience=other)
    assert _refusal(response) == "wrong_audience"
    assert _signed_out(client)
    assert [f["reason"] for f in _failures()] == ["wrong_audience"]


def test_an_unsigned_response_is_refused(world: World, federation: Federation) -> None:
    client = federation.client()
    response = federation.sign_in(
        client, citizen(world.cpr), purpose=CITIZEN, sign_assertion=False, sign_response=False
    )
    assert _refusal(response) == "unsigned"
    assert _signed_out(client)


def test_the_same_response_posted_twice_is_refused(world: World, federation: Federation) -> None:
    client = federation.client()
    acs, fields = federation.idp.answer(federation.start(client, CITIZEN), citizen(world.cpr))
    assert federation.post(client, acs, fields).status_code == 302
    again = federation.client()
    assert _refusal(federation.post(again, acs, fields)) == "replay"
    assert _signed_out(again)
    assert [f["reason"] for f in _failures()] == ["replay"]


def test_an_employees_identity_does_not_become_a_citizen(
    world: World, federation: Federation
) -> None:
    """One NameID, one kind: an account made for an employee is not a citizen's."""
    lise = Identity()
    assert federation.sign_in(federation.client(), lise).status_code == 302
    lise.cpr = world.cpr
    client = federation.client()
    assert _refusal(federation.sign_in(client, lise, purpose=CITIZEN)) == "wrong_provider"
    assert _signed_out(client)


def test_the_login_page_offers_mitid_for_citizens_when_configured(
    federation: Federation,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    button = reverse("saml:login", args=[CITIZEN])
    page = Client().get(reverse("accounts:login")).content.decode()
    assert f'href="{button}"' in page and "Log ind med MitID<" in page
    settings.SAML_CITIZEN_IDP_METADATA = []
    page = Client().get(reverse("accounts:login")).content.decode()
    assert f'href="{button}"' not in page
    assert Client().get(button).status_code == 404
