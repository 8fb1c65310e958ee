"""A citizen signed in with MitID, without the identity provider: the account and identity
the SAML backend makes, and a test client whose session holds what the sign-in leaves there
(verified by the identity as its device, the CPR number and name encrypted)."""

import uuid

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from kontaktlaege.accounts.models import User
from kontaktlaege.citizens import session as citizen_session
from kontaktlaege.saml.models import FederatedIdentity


def make_citizen() -> User:
    user = User(username=f"saml-{uuid.uuid4().hex[:16]}", kind=User.Kind.CITIZEN)
    user.set_unusable_password()
    user.save()
    FederatedIdentity.objects.create(
        user=user,
        name="idp.test",
        idp="http://idp.test/metadata",
        name_id=f"https://data.gov.dk/model/core/eid/person/uuid/{uuid.uuid4()}",
    )
    return user


def citizen_client(user: User, cpr: str, name: str = "Inger Jensen") -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = FederatedIdentity.objects.get(user=user).persistent_id
    citizen_session.remember(session, cpr, name)
    session.save()
    return client
