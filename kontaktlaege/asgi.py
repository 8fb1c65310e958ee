"""ASGI entry point: HTTP through Django's own handler, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontaktlaege.settings")
http_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402

from kontaktlaege.limits import BodyLimit  # noqa: E402
from kontaktlaege.live.origin import SameOriginValidator  # noqa: E402
from kontaktlaege.live.process import prepare  # noqa: E402
from kontaktlaege.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(http_application),
        "websocket": AllowedHostsOriginValidator(
            SameOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

prepare(settings.GC_FULL_SECONDS)
