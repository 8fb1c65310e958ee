"""Clinic staff sign in through the national eID for professionals: the clinic comes from the
organisation's CVR through the administrator's mapping. Single logout works both ways and
ends the product's session."""

from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.saml.models import FederatedIdentity, Organisation
from tests.support.personas import World
from tests.support.saml_idp import Identity

from .conftest import Federation, provider_logout

CLINIC_CVR = "31415926"


def test_clinic_staff_are_placed_in_the_clinic_their_cvr_is_mapped_to(
    world: World, federation: Federation
) -> None:
    Organisation.objects.create(cvr=CLINIC_CVR, clinic=world.clinic)
    client = federation.client()
    anna = Identity(first_name="Anna", last_name="Lund", cvr=CLINIC_CVR, grants={})
    response = federation.sign_in(client, anna, purpose="klinik")
    assert response.status_code == 302
    user = FederatedIdentity.objects.get(name_id=anna.name_id).user
    assert (user.kind, user.clinic) == ("clinic", world.clinic)
    room = client.get("/klinik/")
    assert room.status_code == 200 and "Venteværelse" in room.content.decode()


def test_clinic_staff_without_a_mapped_cvr_are_refused(federation: Federation) -> None:
    client = federation.client()
    response = federation.sign_in(client, Identity(cvr=CLINIC_CVR), purpose="klinik")
    assert response.status_code == 403
    assert f"CVR {CLINIC_CVR}" in response.content.decode()
    assert "lægepraksis" in response.content.decode()
    assert SESSION_KEY not in client.session
    (failure,) = AuditEntry.objects.filter(action="login_failed")
    assert failure.detail["reason"] == "unknown_clinic"


def test_a_municipalitys_cvr_does_not_make_clinic_staff(federation: Federation) -> None:
    from .conftest import CVR

    response = federation.sign_in(federation.client(), Identity(cvr=CVR), purpose="klinik")
    assert response.status_code == 403
    assert not FederatedIdentity.objects.exists()


def test_signing_out_logs_out_at_the_provider_too(federation: Federation) -> None:
    client = federation.client()
    lise = Identity()
    federation.sign_in(client, lise)
    location = provider_logout(client.post(reverse("accounts:logout")))
    assert location.startswith("http://idp.test/slo?SAMLRequest=")
    assert "Signature=" in location
    assert SESSION_KEY not in client.session  # signed out here before the provider answers
    (entry,) = AuditEntry.objects.filter(action="logout")
    assert entry.actor == FederatedIdentity.objects.get().user
    back = client.get(federation.idp.logout_response(location))
    assert back.status_code == 302 and back["Location"] == reverse("accounts:login")


def test_the_provider_can_sign_the_user_out(federation: Federation) -> None:
    client = federation.client()
    lise = Identity()
    federation.sign_in(client, lise)
    assert client.get("/", follow=True).status_code == 200
    url = federation.idp.logout_request(federation.sp_entity_id, lise.name_id)
    response = client.get(url.replace("http://testserver", ""))
    assert response.status_code == 302
    assert response["Location"].startswith("http://idp.test/slo?SAMLResponse=")
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="logout").count() == 1


def test_a_logout_request_not_signed_by_the_provider_is_refused(
    federation: Federation,
) -> None:
    from tests.support.saml_idp import IdentityProvider

    client = federation.client()
    lise = Identity()
    federation.sign_in(client, lise)
    url = federation.idp.logout_request(federation.sp_entity_id, lise.name_id)
    unsigned = url.split("&Signature=", 1)[0].replace("http://testserver", "")
    rogue = IdentityProvider(federation.directory, federation.idp.base, name="rogue")
    rogue.trust(federation.idp.sp_metadata)
    forged = rogue.logout_request(federation.sp_entity_id, lise.name_id)
    for attempt in (unsigned, forged.replace("http://testserver", "")):
        response = client.get(attempt)
        assert response.status_code == 403
        assert SESSION_KEY in client.session  # still signed in
    assert AuditEntry.objects.filter(action="logout_refused").count() == 2
    assert not AuditEntry.objects.filter(action="logout").exists()
