"""What every page's template needs from the live-socket side."""

from django.conf import settings
from django.http import HttpRequest


def live_pages(request: HttpRequest) -> dict[str, int]:
    # kl/live.js pings at the server's interval: one setting for both ends.
    return {"heartbeat_ms": settings.HEARTBEAT_SECONDS * 1000}
