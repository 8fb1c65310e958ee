from django.urls import path

from . import views

app_name = "citizens"
urlpatterns = [
    path("", views.start, name="start"),
    path("udstyrstjek/", views.device_check, name="device_check"),
    path("aarsag/", views.reason, name="reason"),
    path("konsultation/<int:pk>/", views.consultation, name="consultation"),
    path("konsultation/<int:pk>/forlad/", views.cancel, name="cancel"),
    path("konsultation/<int:pk>/afslut/", views.end, name="end"),
]
