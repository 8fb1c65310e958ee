from django.urls import path

from . import views

app_name = "saml"
urlpatterns = [
    path("log-ind/<str:purpose>/", views.Login.as_view(), name="login"),
    path("acs/", views.AssertionConsumer.as_view(), name="acs"),
    path("metadata/", views.Metadata.as_view(), name="metadata"),
    path("ls/", views.LogoutService.as_view(), name="logout_service"),
    path("bekraeft/", views.Reauthenticate.as_view(), name="reauthenticate"),
    path("bekraeft/faerdig/", views.reauthenticated, name="reauthenticated"),
]
