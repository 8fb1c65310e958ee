"""djangosaml2's backend for our accounts: the authorisation rule (rules.py) in
is_authorized(), users keyed on (identity provider, persistent NameID) and provisioned at
their first sign-in with name and municipality or clinic (a citizen: nothing but the
identity; CPR and name travel encrypted in the session, kontaktlaege/citizens)."""

import secrets
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from djangosaml2.backends import Saml2Backend

from kontaktlaege.accounts.models import User

from . import oiosaml
from .config import purpose_of
from .models import FederatedIdentity
from .rules import Decision, Refusal, decide, first


class FederatedBackend(Saml2Backend):
    purpose = ""
    session_info: dict[str, Any]
    decision: Decision

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        session_info: dict[str, Any] | None = None,
        attribute_mapping: dict[str, Any] | None = None,
        create_unknown_user: bool = True,
        assertion_info: dict[str, Any] | None = None,
        purpose: str = "",
        **kwargs: Any,
    ) -> User | None:
        # Only the assertion consumer view signs in here, naming the sign-in's purpose.
        if session_info is None or not purpose:
            return None
        self.purpose, self.session_info, self.decision = purpose, session_info, Decision()
        return super().authenticate(  # type: ignore[no-any-return]
            request, session_info, attribute_mapping or {}, create_unknown_user, assertion_info
        )

    def is_authorized(
        self,
        attributes: dict[str, Any],
        attribute_mapping: dict[str, Any],
        idp_entityid: str,
        assertion_info: dict[str, Any],
        **kwargs: Any,
    ) -> bool:
        if self.purpose not in purpose_of(idp_entityid):
            self.decision = Decision(refusal=Refusal.WRONG_PROVIDER)
            return False
        refs = [str(info[0]) for info in self.session_info.get("authn_info") or [] if info]
        self.decision = decide(self.purpose, attributes, refs)
        return self.decision.refusal is None

    def get_or_create_user(  # type: ignore[override]
        self,
        user_lookup_key: str,
        user_lookup_value: Any,
        create_unknown_user: bool,
        idp_entityid: str,
        attributes: dict[str, Any],
        attribute_mapping: dict[str, Any],
        request: HttpRequest,
    ) -> tuple[User | None, bool]:
        decision = self.decision
        name_id = str(user_lookup_value)
        names = {
            "first_name": first(attributes, oiosaml.ATTR_FIRST_NAME)[:150],
            "last_name": first(attributes, oiosaml.ATTR_LAST_NAME)[:150],
        }
        if decision.kind == User.Kind.CITIZEN:
            # A citizen's name is personal data: not kept in clear text on the user.
            names = {}
        place = {"municipality": decision.municipality, "clinic": decision.clinic}
        with transaction.atomic():
            identity = (
                FederatedIdentity.objects.select_for_update()
                .select_related("user")
                .filter(idp=idp_entityid, name_id=name_id)
                .first()
            )
            if identity is None:
                user = User(username=f"saml-{secrets.token_hex(8)}", kind=decision.kind)
                user.set_unusable_password()
                for field, value in {**names, **place}.items():
                    setattr(user, field, value)
                user.save()
                identity = FederatedIdentity(
                    user=user, name=idp_entityid[-64:], idp=idp_entityid, name_id=name_id
                )
            else:
                user = identity.user
                if user.kind != decision.kind:
                    self.decision.refusal = Refusal.WRONG_PROVIDER
                    return None, False
                # Names and the organisation as the provider knows them today.
                changed = {
                    k: v for k, v in {**names, **place}.items() if v and getattr(user, k) != v
                }
                for field, value in changed.items():
                    setattr(user, field, value)
                if changed:
                    user.save(update_fields=list(changed))
            identity.person_uuid = first(attributes, oiosaml.ATTR_PERSON_UUID)[:64]
            identity.last_login_at = timezone.now()
            identity.save()
        user.kl_identity = identity  # type: ignore[attr-defined]
        return user, False

    def user_can_authenticate(self, user: Any) -> bool:
        if user is not None and not user.is_active:
            self.decision.refusal = Refusal.INACTIVE
            return False
        return user is not None
