"""All WebSocket routes of the product, gathered from the domain apps."""

from kontaktlaege.consultations.routing import websocket_urlpatterns as consultation_routes

websocket_urlpatterns = [*consultation_routes]
