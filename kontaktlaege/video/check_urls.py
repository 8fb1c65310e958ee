"""Pages before a call: the employee's device check and the public connection test."""

from django.urls import path

from . import checks

app_name = "videocheck"
urlpatterns = [
    path("medarbejder/udstyrstjek/", checks.device_check, name="device_check"),
    path("forbindelsestest/", checks.connection_test, name="connection_test"),
]
