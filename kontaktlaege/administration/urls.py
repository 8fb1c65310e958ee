from django.urls import path

from . import testcall, views

app_name = "administration"
urlpatterns = [
    path("administration/", views.home, name="home"),
    path("administration/brugere/", views.accounts, name="accounts"),
    path("administration/brugere/<int:pk>/deaktiver/", views.deactivate, name="deactivate"),
    path("administration/brugere/<int:pk>/aktiver/", views.reactivate, name="reactivate"),
    path(
        "administration/brugere/<int:pk>/ny-aktiveringskode/",
        views.reset_second_factor,
        name="reset_second_factor",
    ),
    path("administration/brugere/<int:pk>/enhed/", views.place, name="place"),
    path("administration/enheder/", views.units, name="units"),
    path("administration/enheder/<int:pk>/", views.unit, name="unit"),
    path("administration/afproevning/", views.pilot, name="pilot"),
    path("administration/support/", views.support, name="support"),
    path("administration/brug/", views.usage, name="usage"),
    path("administration/laeger/", views.doctors, name="doctors"),
    path("administration/laeger/<int:pk>/fjern/", views.remove_doctor, name="remove_doctor"),
    path("administration/kommuner/", views.municipalities, name="municipalities"),
    path(
        "administration/kommuner/<int:pk>/tilslutning/",
        views.set_connected,
        name="set_connected",
    ),
    path("administration/import/", views.directory_import, name="directory_import"),
    path("hjaelp/", views.help_page, name="help"),
    path("testopkald/", testcall.page, name="test_call"),
]
