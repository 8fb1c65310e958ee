"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontaktlaege.settings")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402

from kontaktlaege.routing import websocket_urlpatterns  # noqa: E402
from kontaktlaege.server import (  # noqa: E402
    HTTPHandler,
    checkpoint_sqlite_on_a_timer,
    collect_full_generation_on_a_timer,
)

application = ProtocolTypeRouter(
    {
        "http": HTTPHandler(),
        # Sockets read the user from the session themselves (accounts.sockets), in one call.
        "websocket": AllowedHostsOriginValidator(
            SessionMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

collect_full_generation_on_a_timer(settings.GC_FULL_SECONDS)
checkpoint_sqlite_on_a_timer(settings.SQLITE_CHECKPOINT_SECONDS)
