from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.national, name="national"),
    path("region/<int:region_id>/", views.region, name="region"),
    path("region/<int:region_id>/halvaar.xlsx", views.region_report, name="region_report"),
    path("kommune/<int:municipality_id>/", views.municipality, name="municipality"),
    path("praksis/<int:clinic_id>/", views.clinic, name="clinic"),
]
