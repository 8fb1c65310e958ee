"""The service provider's endpoints: start a sign-in at a purpose's identity provider, take
its response (assertion consumer), serve our metadata, and single logout both ways (by
HTTP-Redirect or HTTP-POST). Built on djangosaml2's views; what they decide is audited, and a
refusal is a Danish page."""

import base64
import logging
import time
from datetime import UTC, datetime
from typing import Any

import saml2
from django.conf import settings
from django.contrib import auth
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.csrf import csrf_exempt
from django_otp import login as otp_login
from djangosaml2 import views as saml_views
from djangosaml2.utils import get_location
from saml2.response import StatusError, UnsolicitedResponse
from saml2.s_utils import decode_base64_and_inflate
from saml2.samlp import logout_request_from_string
from saml2.sigver import MissingKey, SignatureError, security_context
from saml2.validate import ResponseLifetimeExceed, ToEarly

from kontaktlaege.accounts.signin_audit import client_address
from kontaktlaege.audit.log import record
from kontaktlaege.citizens import session as citizen_session

from . import config, oiosaml, redirect_signature
from .backend import FederatedBackend
from .models import FederatedIdentity, UsedAssertion
from .rules import Decision, Refusal, assurance

logger = logging.getLogger(__name__)

PURPOSE_KEY = "kl_purpose"
BACKEND = "kontaktlaege.saml.backend.FederatedBackend"


class EnabledOnly:
    """Not found unless an identity provider is configured."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not config.enabled_purposes():
            raise Http404
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return]


class Login(EnabledOnly, saml_views.LoginView):
    """/saml/log-ind/<purpose>/: an AuthnRequest to the purpose's identity provider."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        purpose = kwargs.get("purpose", "")
        if purpose not in config.enabled_purposes():
            raise Http404
        try:
            entities = sorted(config.loaded().entities.get(purpose, ()))
        except Exception:
            logger.exception("SAML configuration could not be loaded")
            entities = []
        if not entities:
            return refused(request, Refusal.UNAVAILABLE, status=503)
        query = request.GET.copy()
        if query.get("idp") not in entities:
            query["idp"] = entities[0]
        request.GET = query  # type: ignore[assignment]
        request.saml_session[PURPOSE_KEY] = purpose  # type: ignore[attr-defined]
        return super().get(request, *args, **kwargs)  # type: ignore[no-any-return]


REAUTH = "reauth"
REAUTH_KEY = "kl_reauth"  # the identity to confirm
CONFIRMED_KEY = "kl_reauth_confirmed"  # (identity, when) once the provider confirmed it
CONFIRM_SECONDS = 120


def session_identity(request: HttpRequest) -> FederatedIdentity | None:
    """The identity this session signed in with, if it signed in through SAML."""
    device = getattr(request.user, "otp_device", None)
    return device if isinstance(device, FederatedIdentity) else None


class Reauthenticate(Login):
    """/saml/bekraeft/: the locked device's user signs in again at their provider (forced,
    not from the provider's own session) to unlock the idle lock or citizen mode; they have no
    password here."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        identity = session_identity(request)
        if identity is None:
            raise Http404
        query = request.GET.copy()
        query["idp"] = identity.idp
        request.GET = query  # type: ignore[assignment]
        request.saml_session[PURPOSE_KEY] = REAUTH  # type: ignore[attr-defined]
        request.saml_session[REAUTH_KEY] = identity.pk  # type: ignore[attr-defined]
        return saml_views.LoginView.get(self, request, *args, **kwargs)  # type: ignore[no-any-return]

    def should_prevent_auth(self, request: HttpRequest) -> bool:
        return False

    def load_sso_kwargs(self, sso_kwargs: dict[str, Any]) -> None:
        sso_kwargs["force_authn"] = "true"


def reauthenticated(request: HttpRequest) -> HttpResponse:
    """/saml/bekraeft/faerdig/: back from the provider; lifts the lock if the provider has
    just confirmed this session's own identity."""
    from kontaktlaege.privacy import shared_device as sd

    identity = session_identity(request)
    confirmed = request.saml_session.pop(CONFIRMED_KEY, None)  # type: ignore[attr-defined]
    fresh = (
        identity is not None
        and isinstance(confirmed, list)
        and confirmed[0] == identity.pk
        and time.time() - confirmed[1] < CONFIRM_SECONDS
    )
    if not fresh:
        return refused(request, Refusal.INVALID_RESPONSE)
    session = request.session
    mode = session.pop(sd.CITIZEN_MODE, None)
    locked = session.pop(sd.IDLE_LOCKED, None)
    session[sd.LAST_ACTIVITY] = time.time()
    if mode is not None:
        record("citizen_mode_off", actor=request.user, detail={"consultation": mode})
        return redirect("consultations:consultation", pk=mode)
    if locked:
        record("idle_resumed", actor=request.user, detail={"method": "saml"})
    nxt = request.GET.get("next", "/")
    return redirect(nxt if url_has_allowed_host_and_scheme(nxt, {request.get_host()}) else "/")


def _signature_algorithms(element: Any) -> list[str]:
    signature = getattr(element, "signature", None)
    if signature is None:
        return []
    info = signature.signed_info
    found = [info.signature_method.algorithm]
    found += [ref.digest_method.algorithm for ref in info.reference]
    return found


# The provider's page posts here (no CSRF token); djangosaml2 exempts its dispatch, which
# EnabledOnly overrides.
@method_decorator(csrf_exempt, name="dispatch")
class AssertionConsumer(EnabledOnly, saml_views.AssertionConsumerServiceView):
    """/saml/acs/: the identity provider's response, posted by the browser."""

    reason: Refusal | None = None
    decision: Decision | None = None
    idp = ""

    def custom_validation(self, response: Any) -> None:
        allowed = set(settings.SAML_SIGNATURE_ALGORITHMS) | set(settings.SAML_DIGEST_ALGORITHMS)
        used = _signature_algorithms(response.response) + _signature_algorithms(response.assertion)
        if not set(used) <= allowed:
            self.reason = Refusal.ALGORITHM
            raise ValueError("signature algorithm not allowed")
        # Good once: the same assertion posted again (by anyone) is refused.
        not_after = response.not_on_or_after or 0
        now = timezone.now()
        UsedAssertion.objects.filter(not_on_or_after__lt=now).delete()
        try:
            with transaction.atomic():
                UsedAssertion.objects.create(
                    assertion_id=response.assertion.id,
                    not_on_or_after=max(datetime.fromtimestamp(not_after, UTC), now),
                )
        except IntegrityError:
            self.reason = Refusal.REPLAY
            raise ValueError("assertion used before") from None

    def authenticate_user(
        self,
        request: HttpRequest,
        session_info: dict[str, Any],
        attribute_mapping: dict[str, Any],
        create_unknown_user: bool,
        assertion_info: dict[str, Any],
    ) -> Any:
        self.idp = str(session_info.get("issuer") or "")
        if request.saml_session.get(PURPOSE_KEY) == REAUTH:  # type: ignore[attr-defined]
            return self._reauthenticate(request, session_info)
        backend = FederatedBackend()
        user = backend.authenticate(
            request,
            session_info=session_info,
            attribute_mapping={},
            assertion_info=assertion_info,
            purpose=request.saml_session.get(PURPOSE_KEY, ""),  # type: ignore[attr-defined]
        )
        self.decision = backend.decision
        if user is None:
            self.reason = self.decision.refusal or Refusal.NO_IDENTIFIER
            raise PermissionDenied(self.reason)
        identity: FederatedIdentity = user.kl_identity  # type: ignore[attr-defined]
        user.backend = BACKEND  # read by the sign-in signal's receivers
        auth.login(request, user, backend=BACKEND)
        # The provider checked two factors at Substantial or High: the session is verified.
        otp_login(request, identity)
        request.session.cycle_key()
        saml_views._set_subject_id(request.saml_session, session_info["name_id"])  # type: ignore[attr-defined]
        if user.is_citizen:
            citizen_session.remember(request.session, self.decision.cpr, self.decision.name)
        record(
            "login",
            actor=user,
            citizen_cpr=self.decision.cpr,
            detail={
                "address": client_address(request),
                "method": "saml",
                "idp": self.idp,
                "loa": self.decision.loa,
            },
        )
        return user

    def _reauthenticate(self, request: HttpRequest, session_info: dict[str, Any]) -> Any:
        """The provider confirmed someone: noted for reauthenticated() if it is the identity
        the locked session signed in with, at a sufficient level. No sign-in happens here."""
        pk = request.saml_session.get(REAUTH_KEY)  # type: ignore[attr-defined]
        identity = FederatedIdentity.objects.filter(pk=pk).select_related("user").first()
        name_id = getattr(session_info.get("name_id"), "text", "")
        refs = [str(info[0]) for info in session_info.get("authn_info") or [] if info]
        level = assurance(session_info.get("ava") or {}, refs)
        self.decision = Decision(loa=oiosaml.LEVELS[level] if level >= 0 else "")
        if identity is None or (identity.idp, identity.name_id) != (self.idp, name_id):
            self.reason = Refusal.WRONG_PROVIDER
            raise PermissionDenied(self.reason)
        if level < oiosaml.level_of(settings.SAML_MIN_ASSURANCE):
            self.reason = Refusal.LOW_ASSURANCE
            raise PermissionDenied(self.reason)
        request.saml_session[CONFIRMED_KEY] = [identity.pk, time.time()]  # type: ignore[attr-defined]
        request.saml_session.pop(REAUTH_KEY, None)  # type: ignore[attr-defined]
        self.reauthenticated_user = identity.user
        return identity.user

    def custom_redirect(self, user: Any, relay_state: str, session_info: Any) -> str | None:
        if getattr(self, "reauthenticated_user", None) is not None:
            return reverse("saml:reauthenticated") + "?" + urlencode({"next": relay_state})
        return None

    def handle_acs_failure(
        self,
        request: HttpRequest,
        exception: Exception | None = None,
        status: int = 403,
        **kwargs: Any,
    ) -> HttpResponse:
        reason = self.reason or _reason_of(exception)
        decision = self.decision or Decision()
        detail = {"address": client_address(request), "method": "saml", "reason": str(reason)}
        if self.idp:
            detail["idp"] = self.idp
        if decision.cvr:
            detail["cvr"] = decision.cvr
        if decision.loa:
            detail["loa"] = decision.loa
        record("login_failed", detail=detail)
        # The exception's class only: its text may quote the assertion.
        logger.warning("SAML sign-in refused: %s (%s)", reason, type(exception).__name__)
        return refused(request, reason, decision=decision)


def _reason_of(exception: Exception | None) -> Refusal:
    text = str(exception)
    if isinstance(exception, ResponseLifetimeExceed | ToEarly):
        return Refusal.EXPIRED
    if isinstance(exception, UnsolicitedResponse):
        return Refusal.REPLAY
    if isinstance(exception, SignatureError) and "missing" in text.lower():
        return Refusal.UNSIGNED
    if isinstance(exception, SignatureError | MissingKey):
        return Refusal.BAD_SIGNATURE
    if isinstance(exception, StatusError):
        return Refusal.IDP_STATUS
    if "AudienceRestriction" in text:
        return Refusal.WRONG_AUDIENCE
    return Refusal.INVALID_RESPONSE


def refused(
    request: HttpRequest,
    reason: Refusal,
    decision: Decision | None = None,
    status: int = 403,
) -> HttpResponse:
    decision = decision or Decision()
    return render(
        request,
        "saml/refused.html",
        {
            "reason": str(reason),
            "cvr": decision.cvr,
            "loa": decision.loa,
            "role": settings.SAML_EMPLOYEE_ROLE,
        },
        status=status,
    )


class Metadata(EnabledOnly, saml_views.MetadataView):
    """/saml/metadata/: our service provider's metadata, for the identity providers."""


# The provider's page may post its logout messages here (HTTP-POST binding) from its own site:
# no CSRF token; the message's own signature is required instead.
@method_decorator(csrf_exempt, name="dispatch")
class LogoutService(EnabledOnly, saml_views.LogoutView):
    """/saml/ls/: the provider's answer to our logout, or its own logout request (single
    logout started elsewhere), by HTTP-Redirect or HTTP-POST. A request by either binding and
    a posted answer must be signed by the session's provider. Signing out closes the session's
    open pages (accounts/apps.py)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "SAMLRequest" in request.GET and not _from_its_provider(
            request, _redirect_issuer(request)
        ):
            return _logout_refused(request)
        return super().get(request, *args, **kwargs)  # type: ignore[no-any-return]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        kind = "SAMLRequest" if "SAMLRequest" in request.POST else "SAMLResponse"
        if not _from_its_provider(request, _posted_issuer(request.POST.get(kind, ""), kind)):
            return _logout_refused(request)
        try:
            return super().post(request, *args, **kwargs)  # type: ignore[no-any-return]
        except Exception as exception:
            # The class only: the text may quote the message.
            logger.warning("SAML logout message refused (%s)", type(exception).__name__)
            return refused(request, Refusal.LOGOUT)

    def get_state_client(self, request: HttpRequest) -> tuple[Any, Any]:
        state = saml_views.StateCache(request.saml_session)  # type: ignore[attr-defined]
        identities = saml_views.IdentityCache(request.saml_session)  # type: ignore[attr-defined]
        client = _RedirectAnswers(
            self.get_sp_config(request), state_cache=state, identity_cache=identities
        )
        return state, client


class _RedirectAnswers(saml_views.Saml2Client):  # type: ignore[misc]
    """Answers a provider's LogoutRequest by HTTP-Redirect even when it came by POST: a form
    posted on to another site needs an inline script and is blocked by the pages' CSP
    (form-action 'self')."""

    def create_logout_response(
        self, request: Any, bindings: list[str] | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        if bindings == [saml2.BINDING_HTTP_POST]:
            raise saml2.SAMLError("answered by HTTP-Redirect")  # the caller tries the next
        return super().create_logout_response(request, bindings, *args, **kwargs)


def _logout_refused(request: HttpRequest) -> HttpResponse:
    record("logout_refused", detail={"address": client_address(request), "method": "saml"})
    logger.warning("SAML logout message refused: not signed by its provider")
    return refused(request, Refusal.LOGOUT)


def _from_its_provider(request: HttpRequest, issuer: str) -> bool:
    """A correctly signed message, from the provider this session signed in with (if any)."""
    identity = session_identity(request)
    return bool(issuer) and (identity is None or identity.idp == issuer)


def _redirect_issuer(request: HttpRequest) -> str:
    """The issuer of a LogoutRequest by HTTP-Redirect when its key signed the query."""
    try:
        xml = decode_base64_and_inflate(request.GET["SAMLRequest"])
        message = logout_request_from_string(xml)
        issuer = message.issuer.text.strip() if message and message.issuer else ""
        certs = [
            cert for _name, cert in config.sp_config().metadata.certs(issuer, "idpsso", "signing")
        ]
    except Exception:
        return ""
    signed = redirect_signature.verify(
        request.META.get("QUERY_STRING", ""),
        "SAMLRequest",
        certs,
        settings.SAML_SIGNATURE_ALGORITHMS,
    )
    return issuer if signed else ""


def _posted_issuer(value: str, kind: str) -> str:
    """The issuer of a posted message when signed by a key in its metadata: the signature is
    inside (SAML bindings §3.5.4.2), checked as pysaml2 checks it but required, with allowed
    algorithms."""
    try:
        xml = base64.b64decode(value)
        context = security_context(config.sp_config())
        check = (
            context.correctly_signed_logout_request
            if kind == "SAMLRequest"
            else context.correctly_signed_logout_response
        )
        message = check(xml, must=True)
        issuer = message.issuer.text.strip()
    except Exception:
        return ""
    allowed = set(settings.SAML_SIGNATURE_ALGORITHMS) | set(settings.SAML_DIGEST_ALGORITHMS)
    return issuer if set(_signature_algorithms(message)) <= allowed else ""


def start_logout(request: HttpRequest) -> HttpResponse | None:
    """Our side of single logout (the sign-out button): sign out here, then send the browser
    to the provider with a LogoutRequest. None when the session did not come from SAML."""
    subject_id = saml_views._get_subject_id(request.saml_session)  # type: ignore[attr-defined]
    if subject_id is None or not config.enabled_purposes():
        return None
    state = saml_views.StateCache(request.saml_session)  # type: ignore[attr-defined]
    client = saml_views.Saml2Client(
        config.sp_config(request),
        state_cache=state,
        identity_cache=saml_views.IdentityCache(request.saml_session),  # type: ignore[attr-defined]
    )
    try:
        result = client.global_logout(subject_id)
    except Exception:
        logger.warning("SAML logout request could not be made; signed out here only")
        result = {}
    auth.logout(request)
    state.sync()
    for info in result.values():
        if isinstance(info, tuple) and info[0] == saml2.BINDING_HTTP_REDIRECT:
            # A page of ours that goes on to the provider: a redirect of the sign-out form's
            # POST to another site is blocked by the pages' CSP (form-action 'self').
            return render(request, "saml/logout.html", {"to": get_location(info[1])})
    return redirect("accounts:login")
