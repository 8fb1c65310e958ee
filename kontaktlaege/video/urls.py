from django.urls import path

from . import invitations, views

app_name = "video"
urlpatterns = [
    path("klinik/konsultation/<int:pk>/video/", views.clinic_call, name="clinic_call"),
    path("klinik/konsultation/<int:pk>/video/inviter/", views.create_invite, name="create_invite"),
    path("klinik/konsultation/<int:pk>/video/fjern/", views.remove_guest, name="remove_guest"),
    path("video/gaest/", views.guest_call, name="guest_call"),
    path("video/gaest/<str:token>/", views.guest_join, name="guest_join"),
    path("klinik/inviter/", invitations.invite_patient, name="invite_patient"),
    path("klinik/inviter/<int:pk>/tilbagekald/", invitations.revoke, name="revoke_invite"),
    path("invitation/udstyrstjek/", invitations.invitation_check, name="invitation_check"),
    path("invitation/venter/", invitations.invitation_waiting, name="invitation_waiting"),
    path("invitation/forlad/", invitations.invitation_leave, name="invitation_leave"),
    path("invitation/<int:clinic>/<str:token>/", invitations.invitation, name="invitation"),
]
