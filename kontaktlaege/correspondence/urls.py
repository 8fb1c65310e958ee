from django.urls import path

from . import views

# Every <pk> is a consultation's: its correspondence is one thread.
app_name = "correspondence"
urlpatterns = [
    path("klinik/korrespondance/", views.clinic_list, name="clinic_list"),
    path("klinik/konsultation/<int:pk>/notat/", views.clinic_note, name="clinic_note"),
    path(
        "klinik/konsultation/<int:pk>/notat/laest/", views.clinic_mark_read, name="clinic_mark_read"
    ),
    path("kommune/indbakke/", views.inbox, name="inbox"),
    path("kommune/indbakke/<int:pk>/", views.inbox_thread, name="inbox_thread"),
    path("kommune/indbakke/<int:pk>/laest/", views.inbox_mark_read, name="inbox_mark_read"),
    path("kommune/indbakke/<int:pk>/svar/", views.inbox_reply, name="inbox_reply"),
    path("kommune/konsultation/<int:pk>/resume.pdf", views.summary_pdf, name="summary_pdf"),
    path("kommune/konsultation/<int:pk>/fhir.json", views.summary_fhir, name="summary_fhir"),
]
