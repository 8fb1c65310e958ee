from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoctorInfoConfig(AppConfig):
    name = "kontaktlaege.doctorinfo"
    verbose_name = _("Lægeinformation")
