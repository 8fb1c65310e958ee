from django.urls import path

from . import views

app_name = "bookings"
urlpatterns = [
    path("", views.day, name="day"),
    path("uge/", views.week, name="week"),
    path("ny/", views.new, name="new"),
    path("<int:pk>/", views.booking, name="booking"),
    path("<int:pk>/aflys/", views.cancel, name="cancel"),
]
