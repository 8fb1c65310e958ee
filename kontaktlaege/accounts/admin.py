from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import activation, devices
from .models import User

# The admin needs the second factor too.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = _("Kontakt Læge – administration")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "kind", "municipality", "clinic"]
    list_filter = ["kind", "municipality", "clinic"]
    actions = ["issue_activation_code"]
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

    @admin.action(description=_("Lav aktiveringskode til to-faktor-login"))
    def issue_activation_code(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Each code is shown once, here; the owner needs it to bind an authenticator app."""
        for user in queryset.order_by("username"):
            code = activation.issue(user, by=request.user)
            self.message_user(
                request,
                gettext("Aktiveringskode til %(user)s (gyldig i 72 timer, vises kun nu): %(code)s")
                % {"user": user.username, "code": code},
                messages.WARNING,
            )


# A device an administrator adds is announced to its owner like one the owner binds.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class NotifyingTOTPDeviceAdmin(TOTPDeviceAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        newly_confirmed = obj.confirmed and (not change or "confirmed" in form.changed_data)
        super().save_model(request, obj, form, change)
        if newly_confirmed:
            devices.added(obj, by=request.user)
