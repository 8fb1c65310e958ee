from django.urls import path

from . import views

app_name = "video"
urlpatterns = [
    path("klinik/konsultation/<int:pk>/video/", views.clinic_call, name="clinic_call"),
    path("klinik/konsultation/<int:pk>/video/inviter/", views.create_invite, name="create_invite"),
    path("klinik/konsultation/<int:pk>/video/fjern/", views.remove_guest, name="remove_guest"),
    path("video/gaest/", views.guest_call, name="guest_call"),
    path("video/gaest/<str:token>/", views.guest_join, name="guest_join"),
]
