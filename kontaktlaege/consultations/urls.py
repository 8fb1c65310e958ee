from django.urls import path

from . import views

app_name = "consultations"
urlpatterns = [
    path("medarbejder/", views.employee_start, name="employee_start"),
    path("medarbejder/borger/", views.citizen, name="citizen"),
    path("medarbejder/ydernummer/", views.by_ydernummer, name="by_ydernummer"),
    path("medarbejder/aarsag/", views.reason, name="reason"),
    path("medarbejder/fortryd/", views.discard_draft, name="discard_draft"),
    path("medarbejder/log-borger-ud/", views.log_out_citizen, name="log_out_citizen"),
    path("konsultation/<int:pk>/", views.consultation, name="consultation"),
    path("konsultation/<int:pk>/annuller/", views.cancel, name="cancel"),
    path("konsultation/<int:pk>/afslut/", views.employee_end, name="employee_end"),
    path("konsultation/<int:pk>/telefon/", views.employee_phone, name="employee_phone"),
    path("klinik/", views.waiting_room, name="waiting_room"),
    path("klinik/status/", views.set_mode, name="set_mode"),
    path("klinik/aabningstider/", views.schedule, name="schedule"),
    path("klinik/passant/", views.passant, name="passant"),
    path("klinik/konsultation/<int:pk>/start/", views.admit, name="admit"),
    path("klinik/konsultation/<int:pk>/afvis/", views.reject, name="reject"),
    path("klinik/konsultation/<int:pk>/besked/", views.send_message, name="send_message"),
    path("klinik/konsultation/<int:pk>/afslut/", views.clinic_end, name="clinic_end"),
    path("klinik/konsultation/<int:pk>/telefon/", views.clinic_phone, name="clinic_phone"),
]
