from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("log-ind/", views.login, name="login"),
    path("totp/", views.verify, name="verify"),
    path("totp/opret/", views.enroll, name="enroll"),
    path("profil/", views.profile, name="profile"),
    path("log-ud/", views.logout, name="logout"),
]
