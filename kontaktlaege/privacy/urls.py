from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("borgertilstand/<int:pk>/", views.citizen_mode_on, name="citizen_mode_on"),
    path("laas-op/", views.unlock, name="unlock"),
    path("genoptag/", views.resume, name="resume"),
]
