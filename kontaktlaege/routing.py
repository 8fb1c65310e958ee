"""All WebSocket routes of the product, gathered from the domain apps."""

from kontaktlaege.administration.testcall import websocket_urlpatterns as test_call_routes
from kontaktlaege.consultations.routing import websocket_urlpatterns as consultation_routes
from kontaktlaege.video.check_consumers import websocket_urlpatterns as check_routes
from kontaktlaege.video.routing import websocket_urlpatterns as video_routes

websocket_urlpatterns = [*consultation_routes, *video_routes, *check_routes, *test_call_routes]
