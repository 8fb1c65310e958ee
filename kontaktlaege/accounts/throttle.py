"""Login throttling in tiers: django-axes' database handler with one failure limit for each
of AXES_LOCKOUT_PARAMETERS' alternatives instead of one for all of them."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def tier_limits() -> list[int]:
    """The limit of each alternative of AXES_LOCKOUT_PARAMETERS, in its order: a username at
    one address, the account from anywhere, the address against any account."""
    return [
        settings.AXES_FAILURE_LIMIT,
        settings.AXES_ACCOUNT_FAILURE_LIMIT,
        settings.AXES_ADDRESS_FAILURE_LIMIT,
    ]


class TieredAxesHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The failures of the tier nearest its own limit, scaled to AXES_FAILURE_LIMIT (the
        one limit axes compares with): at or over it exactly when some tier is at or over
        its own limit."""
        base = get_failure_limit(request, credentials)
        scaled = [0]
        for attempts, limit in zip(
            self.get_user_attempts(request, credentials), tier_limits(), strict=True
        ):
            count = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            scaled.append(count * base // limit)
        return max(scaled)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """A successful sign-in resets the failures of that username at that address only:
        not the address's failures against colleagues' accounts (one office, one address), nor
        the account's from elsewhere (a spray the owner cannot see)."""
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=getattr(request, "axes_ip_address", None),
        ).delete()
        return int(count)
