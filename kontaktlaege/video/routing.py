from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/video/<int:consultation_id>/", consumers.CallConsumer.as_asgi()),
]
