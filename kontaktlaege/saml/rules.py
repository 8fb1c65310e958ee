"""Who may sign in through which identity provider, decided from the assertion's attributes
alone: the assurance level, and for employees the role in the privileges for their own
municipality's CVR, for clinic staff a CVR an administrator mapped to a clinic, for citizens
a valid CPR number."""

import enum
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.models import Clinic, Municipality

from . import oiosaml, privileges
from .config import CITIZEN, CLINIC, EMPLOYEE
from .models import Organisation


class Refusal(enum.StrEnum):
    LOW_ASSURANCE = "low_assurance"
    NO_ORGANISATION = "no_organisation"
    UNKNOWN_MUNICIPALITY = "unknown_municipality"
    NO_ROLE = "no_role"
    MALFORMED_PRIVILEGES = "malformed_privileges"
    UNKNOWN_CLINIC = "unknown_clinic"
    WRONG_PROVIDER = "wrong_provider"
    NO_CPR = "no_cpr"
    NO_IDENTIFIER = "no_identifier"
    INACTIVE = "inactive"
    UNAVAILABLE = "unavailable"
    # The response itself did not hold: its signature, audience, time, status, or it was
    # used before. The page is the same; the audit names which.
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    WRONG_AUDIENCE = "wrong_audience"
    IDP_STATUS = "idp_status"
    ALGORITHM = "algorithm"
    INVALID_RESPONSE = "invalid_response"
    REPLAY = "replay"
    # A logout message (request or answer) that did not hold: the session stays.
    LOGOUT = "logout"
    EXPIRED = "expired"


@dataclass
class Decision:
    kind: str = ""
    municipality: Municipality | None = None
    clinic: Clinic | None = None
    refusal: Refusal | None = None
    cvr: str = ""
    loa: str = ""
    # A citizen's CPR number (never audited or logged; the session keeps it encrypted).
    cpr: str = field(default="", repr=False)
    name: str = field(default="", repr=False)


def first(attributes: dict[str, Any], name: str) -> str:
    values = attributes.get(name) or []
    value = values[0] if values else ""
    return value.strip() if isinstance(value, str) else ""


def assurance(attributes: dict[str, Any], authn_class_refs: list[str]) -> int:
    """The lowest level the assertion states (attribute and authentication context); -1 when
    it states none."""
    stated = [oiosaml.level_of(v) for v in attributes.get(oiosaml.ATTR_LOA) or [] if v]
    stated += [
        oiosaml.level_of(ref) for ref in authn_class_refs if ref.startswith(oiosaml.ATTR_LOA)
    ]
    return min(stated) if stated else -1


def decide(purpose: str, attributes: dict[str, Any], authn_class_refs: list[str]) -> Decision:
    cvr = first(attributes, oiosaml.ATTR_CVR)
    level = assurance(attributes, authn_class_refs)
    decision = Decision(cvr=cvr, loa=oiosaml.LEVELS[level] if level >= 0 else "")
    if level < oiosaml.level_of(settings.SAML_MIN_ASSURANCE):
        decision.refusal = Refusal.LOW_ASSURANCE
        return decision
    if purpose == CITIZEN:
        try:
            decision.cpr = cprlib.normalize(first(attributes, oiosaml.ATTR_CPR))
        except ValidationError:
            decision.refusal = Refusal.NO_CPR
            return decision
        names = (
            first(attributes, oiosaml.ATTR_FIRST_NAME),
            first(attributes, oiosaml.ATTR_LAST_NAME),
        )
        decision.kind, decision.name = "citizen", " ".join(n for n in names if n)[:200]
        return decision
    if not cvr:
        decision.refusal = Refusal.NO_ORGANISATION
        return decision
    organisation = (
        Organisation.objects.select_related("municipality", "clinic").filter(cvr=cvr).first()
    )
    if purpose == EMPLOYEE:
        value = first(attributes, oiosaml.ATTR_PRIVILEGES)
        try:
            # No privileges at all: no role (a user without any job-function role).
            granted = privileges.parse(value) if value else {}
        except privileges.Malformed:
            decision.refusal = Refusal.MALFORMED_PRIVILEGES
            return decision
        # The role counts only in the scope of the user's own organisation.
        if not privileges.has_role(
            privileges.roles_for_cvr(granted, cvr), settings.SAML_EMPLOYEE_ROLE
        ):
            decision.refusal = Refusal.NO_ROLE
            return decision
        if organisation is None or organisation.municipality is None:
            decision.refusal = Refusal.UNKNOWN_MUNICIPALITY
            return decision
        decision.kind, decision.municipality = "employee", organisation.municipality
        return decision
    if purpose == CLINIC:
        if organisation is None or organisation.clinic is None:
            decision.refusal = Refusal.UNKNOWN_CLINIC
            return decision
        decision.kind, decision.clinic = "clinic", organisation.clinic
        return decision
    decision.refusal = Refusal.WRONG_PROVIDER
    return decision
