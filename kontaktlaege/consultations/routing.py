from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/klinik/", consumers.WaitingRoomConsumer.as_asgi()),
    path("ws/konsultation/<int:consultation_id>/", consumers.ConsultationConsumer.as_asgi()),
]
