from django.urls import path

from . import views

app_name = "doctorinfo"
urlpatterns = [
    path("klinik/laegeinfo/", views.clinic_page, name="clinic"),
    path("kommune/faste-laeger/", views.pins, name="pins"),
]
