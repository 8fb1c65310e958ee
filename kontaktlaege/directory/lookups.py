"""An employee's look-up of a citizen by CPR number: audited, and limited per employee so
that one account cannot harvest the registry (CPR_LOOKUP_LIMIT per CPR_LOOKUP_WINDOW_SECONDS).
A refused look-up is audited as such: the municipality's administrator sees it flagged."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.audit.log import record
from kontaktlaege.audit.models import AuditEntry

from .registry import Citizen, registry

LOOKED_UP = "cpr_lookup"
REFUSED = "cpr_lookup_refused"


class LookupLimitReached(Exception):
    """The message is for the employee, in their language."""


def look_up(employee: Any, cpr: str) -> Citizen | None:
    since = timezone.now() - timedelta(seconds=settings.CPR_LOOKUP_WINDOW_SECONDS)
    recent = AuditEntry.objects.filter(
        actor_id=employee.pk, action=LOOKED_UP, at__gte=since
    ).count()
    if recent >= settings.CPR_LOOKUP_LIMIT:
        record(
            REFUSED,
            actor=employee,
            citizen_cpr=cpr,
            detail={
                "limit": settings.CPR_LOOKUP_LIMIT,
                "window": settings.CPR_LOOKUP_WINDOW_SECONDS,
            },
        )
        raise LookupLimitReached(
            _(
                "Du har slået %(count)d CPR-numre op på kort tid. Vent et par minutter, eller "
                "kontakt din kommunes administrator, hvis du har brug for flere."
            )
            % {"count": recent}
        )
    found = registry().lookup(cpr)
    record(LOOKED_UP, actor=employee, citizen_cpr=cpr, detail={"found": found is not None})
    return found
