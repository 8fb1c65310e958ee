from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from .models import User

# The admin needs the second factor too.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = _("Kontakt Læge – administration")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "kind", "municipality", "clinic"]
    list_filter = ["kind", "municipality", "clinic"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("Kontakt Læge"),
            {"fields": ("kind", "municipality", "clinic", "job_role", "workplace")},
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Kontakt Læge"), {"fields": ("kind", "municipality", "clinic")}),
    )
