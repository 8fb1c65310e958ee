"""Employees sign in through the municipal identity broker (a real pysaml2 identity provider
answering the product's real AuthnRequest): accepted with the role for their own CVR at
Substantial, refused (audited, a Danish page, no session) otherwise."""

import pytest
import saml2
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from kontaktlaege.accounts.models import User
from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.directory.models import Municipality
from kontaktlaege.saml import privileges
from kontaktlaege.saml.models import FederatedIdentity, Organisation
from tests.support.personas import World
from tests.support.saml_idp import (
    ROLE,
    Identity,
    IdentityProvider,
    service_provider_metadata,
)

from .conftest import ADDRESS, CVR, Federation

REFUSED = "Du kan ikke logge ind i Kontakt Læge"


def _refusal(response) -> str:  # type: ignore[no-untyped-def]
    """The reason the refusal page names (and checks that it is that page)."""
    text = response.content.decode()
    assert response.status_code == 403, text[:400]
    assert REFUSED in text
    return text.split('data-reason="', 1)[1].split('"', 1)[0]


def _signed_out(client: Client) -> bool:
    home = client.get("/")
    return SESSION_KEY not in client.session and home.status_code == 302


def _failures() -> list[dict]:
    return [e.detail for e in AuditEntry.objects.filter(action="login_failed").order_by("id")]


def test_the_request_asks_for_substantial_or_higher_and_a_persistent_name_id(
    federation: Federation,
) -> None:
    request, relay_state = federation.idp.request_of(federation.start(Client(), nxt="/klinik/"))
    message = request.message
    assert relay_state == "/klinik/"
    context = message.requested_authn_context
    assert context.comparison == "minimum"
    assert [ref.text for ref in context.authn_context_class_ref] == [
        "https://data.gov.dk/concept/core/nsis/loa/Substantial"
    ]
    assert message.issuer.text == federation.sp_entity_id
    assert message.assertion_consumer_service_url == "http://testserver/saml/acs/"


def test_first_sign_in_provisions_the_employee_who_then_gives_role_and_workplace(
    world: World, federation: Federation
) -> None:
    client = federation.client()
    lise = Identity(first_name="Lise", last_name="Berg", cvr=CVR)
    response = federation.sign_in(client, lise)
    assert response.status_code == 302 and response["Location"] == "/"

    identity = FederatedIdentity.objects.get(name_id=lise.name_id)
    user = identity.user
    assert identity.idp == federation.idp.entity_id
    assert identity.person_uuid == lise.person_uuid
    assert (user.kind, user.municipality, user.get_full_name()) == (
        "employee",
        world.carer.municipality,
        "Lise Berg",
    )
    assert not user.has_usable_password()
    # Signed in and verified (the broker checked two factors): straight to §3.1's first step.
    profile = client.get("/", follow=True)
    assert "Din rolle og dit arbejdssted" in profile.content.decode()

    (entry,) = AuditEntry.objects.filter(action="login")
    assert entry.actor == user
    assert entry.detail == {
        "address": ADDRESS,
        "method": "saml",
        "idp": federation.idp.entity_id,
        "loa": "Substantial",
    }
    assert not AuditEntry.objects.filter(action="login_password").exists()


def test_the_next_sign_in_finds_the_same_user_by_provider_and_name_id(
    federation: Federation,
) -> None:
    lise = Identity(first_name="Lise", last_name="Berg")
    federation.sign_in(federation.client(), lise)
    lise.last_name = "Berg-Holm"  # married since
    response = federation.sign_in(federation.client(), lise)
    assert response.status_code == 302
    (identity,) = FederatedIdentity.objects.all()
    assert identity.user.last_name == "Berg-Holm"
    assert User.objects.filter(username__startswith="saml-").count() == 1


def test_high_assurance_is_accepted(federation: Federation) -> None:
    response = federation.sign_in(federation.client(), Identity(loa="High"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("identity", "reason", "says"),
    [
        (Identity(loa="Low"), "low_assurance", "for lavt sikringsniveau"),
        (Identity(grants={}), "no_role", "Kontaktlaege_bruger_dk"),
        (
            Identity(grants={privileges.CVR_SCOPE + "11223344": [ROLE]}),
            "no_role",
            "brugeradministrator",
        ),
        (
            Identity(grants={privileges.CVR_SCOPE + CVR: ["http://kombit.dk/roles/other/1"]}),
            "no_role",
            "Kontaktlaege_bruger_dk",
        ),
        (Identity(privileges_value="bm90IHhtbA=="), "malformed_privileges", "kunne ikke læses"),
        (Identity(privileges_value="%%%"), "malformed_privileges", "kunne ikke læses"),
        (Identity(cvr="11223344"), "unknown_municipality", "CVR 11223344"),
    ],
    ids=["low", "no-role", "role-for-another-cvr", "another-role", "not-xml", "not-base64", "cvr"],
)
def test_refused_by_the_attributes(
    federation: Federation, identity: Identity, reason: str, says: str
) -> None:
    client = federation.client()
    response = federation.sign_in(client, identity)
    assert _refusal(response) == reason
    assert says in response.content.decode()
    assert _signed_out(client)
    assert not FederatedIdentity.objects.exists()
    assert not User.objects.filter(username__startswith="saml-").exists()
    (failure,) = _failures()
    assert failure["reason"] == reason and failure["address"] == ADDRESS
    assert failure["idp"] == federation.idp.entity_id
    assert failure["method"] == "saml"


def test_another_municipalitys_role_does_not_open_this_one(
    world: World, federation: Federation
) -> None:
    """Roskilde's CVR mapped too: a Roskilde employee with the role for Roskilde lands in
    Roskilde, never in Copenhagen, whatever else the privileges list."""
    Organisation.objects.create(cvr="29189889", municipality=world.foreign_carer.municipality)
    jonas = Identity(
        cvr="29189889",
        grants={
            privileges.CVR_SCOPE + "29189889": [ROLE],
            privileges.CVR_SCOPE + CVR: ["http://kombit.dk/roles/other/1"],
        },
    )
    assert federation.sign_in(federation.client(), jonas).status_code == 302
    user = FederatedIdentity.objects.get().user
    assert user.municipality == world.foreign_carer.municipality
    assert user.municipality != Municipality.objects.get(organisation__cvr=CVR)


def test_the_older_privileges_namespace_is_accepted(federation: Federation) -> None:
    value = privileges.encode(
        {privileges.CVR_SCOPE + CVR: [ROLE]}, namespace=privileges.NAMESPACES[1]
    )
    response = federation.sign_in(federation.client(), Identity(privileges_value=value))
    assert response.status_code == 302


def test_an_unsigned_response_is_refused(federation: Federation) -> None:
    client = federation.client()
    response = federation.sign_in(client, sign_assertion=False, sign_response=False)
    assert _refusal(response) == "unsigned"
    assert "kunne ikke godkendes" in response.content.decode()
    assert _signed_out(client)
    assert [f["reason"] for f in _failures()] == ["unsigned"]


def test_a_response_signed_with_an_unknown_key_is_refused(federation: Federation) -> None:
    """Same entity ID, a key that is not the one in the provider's metadata."""
    rogue = IdentityProvider(federation.directory, federation.idp.base, name="rogue")
    rogue.trust(federation.idp.sp_metadata)
    client = federation.client()
    acs, fields = rogue.answer(federation.start(client))
    assert _refusal(federation.post(client, acs, fields)) == "bad_signature"
    assert _signed_out(client)
    assert [f["reason"] for f in _failures()] == ["bad_signature"]
    assert not FederatedIdentity.objects.exists()


def test_a_response_for_another_audience_is_refused(federation: Federation) -> None:
    other = "https://another-service.example/saml"
    federation.idp.also_trust(service_provider_metadata(federation.directory, other))
    client = federation.client()
    response = federation.sign_in(client, audience=other)
    assert _refusal(response) == "wrong_audience"
    assert _signed_out(client)
    assert [f["reason"] for f in _failures()] == ["wrong_audience"]


def test_an_expired_response_is_refused(federation: Federation) -> None:
    """The provider's clock an hour back: its assertion's five minutes are long over."""
    client = federation.client()
    response = federation.sign_in(client, clock_offset=-3600)
    assert _refusal(response) == "expired"
    assert "udløbet eller allerede brugt" in response.content.decode()
    assert _signed_out(client)
    assert [f["reason"] for f in _failures()] == ["expired"]


def test_the_same_response_posted_twice_is_refused(federation: Federation) -> None:
    client = federation.client()
    acs, fields = federation.idp.answer(federation.start(client))
    assert federation.post(client, acs, fields).status_code == 302
    again = federation.client()
    assert _refusal(federation.post(again, acs, fields)) == "replay"
    assert _signed_out(again)
    # And in the same browser, after signing out.
    client.post(reverse("accounts:logout"))
    assert _refusal(federation.post(client, acs, fields)) == "replay"
    assert [f["reason"] for f in _failures()] == ["replay", "replay"]
    assert AuditEntry.objects.filter(action="login").count() == 1


def test_a_response_raced_in_twice_is_used_once(federation: Federation) -> None:
    """Two posts of one response that both found the request outstanding (read before
    either finished): the assertion's ID is taken once."""
    from django.contrib.sessions.backends.db import SessionStore

    client = federation.client()
    acs, fields = federation.idp.answer(federation.start(client))
    key = client.cookies["saml_session"].value
    before = SessionStore(key).load()
    assert federation.post(client, acs, fields).status_code == 302
    racer = federation.client()
    store = SessionStore()
    store.update(before)
    store.create()
    racer.cookies["saml_session"] = store.session_key
    assert _refusal(federation.post(racer, acs, fields)) == "replay"
    assert _signed_out(racer)
    assert [f["reason"] for f in _failures()] == ["replay"]


def test_signatures_outside_the_configured_algorithms_are_refused(
    federation: Federation,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.SAML_SIGNATURE_ALGORITHMS = ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"]
    client = federation.client()
    assert _refusal(federation.sign_in(client)) == "algorithm"
    assert _signed_out(client)


def test_a_response_nobody_asked_for_is_refused(federation: Federation) -> None:
    client = federation.client()
    acs, fields = federation.idp.answer(federation.start(federation.client()))
    assert _refusal(federation.post(client, acs, fields)) == "replay"
    assert _signed_out(client)


def test_no_personal_data_goes_into_the_audit_or_the_log(
    federation: Federation,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level("DEBUG")
    lise = Identity(first_name="Lisemarie", last_name="Bergstrøm", loa="Low")
    federation.sign_in(federation.client(), lise)
    federation.sign_in(federation.client(), Identity(first_name="Lisemarie", last_name="X"))
    written = caplog.text + " ".join(str(e.detail) for e in AuditEntry.objects.all())
    assert "Lisemarie" not in written and "Bergstrøm" not in written
    assert lise.name_id not in written


def test_the_login_page_offers_the_configured_sign_ins(federation: Federation, settings) -> None:  # type: ignore[no-untyped-def]
    page = Client().get(reverse("accounts:login") + "?next=/klinik/").content.decode()
    employee = reverse("saml:login", args=["medarbejder"])
    assert f'href="{employee}?next=/klinik/"' in page
    assert "Log ind med kommunens login" in page
    settings.SAML_EMPLOYEE_IDP_METADATA = []
    settings.SAML_CLINIC_IDP_METADATA = []
    page = Client().get(reverse("accounts:login")).content.decode()
    assert "kommunens login" not in page
    assert Client().get(employee).status_code == 404


def test_the_service_providers_metadata(federation: Federation) -> None:
    from saml2.md import entity_descriptor_from_string

    response = Client().get(reverse("saml:metadata"))
    assert response["Content-Type"].startswith("text/xml")
    descriptor = entity_descriptor_from_string(response.content.decode())
    assert descriptor.entity_id == "http://testserver/saml/metadata/"
    (sp,) = descriptor.spsso_descriptor
    assert sp.authn_requests_signed == "true" and sp.want_assertions_signed == "true"
    assert [a.location for a in sp.assertion_consumer_service] == ["http://testserver/saml/acs/"]
    # Single logout by both bindings, as OIOSAML 3 allows.
    assert {(s.binding, s.location) for s in sp.single_logout_service} == {
        (saml2.BINDING_HTTP_REDIRECT, "http://testserver/saml/ls/"),
        (saml2.BINDING_HTTP_POST, "http://testserver/saml/ls/"),
    }
    assert sorted(k.use for k in sp.key_descriptor) == ["encryption", "signing"]
