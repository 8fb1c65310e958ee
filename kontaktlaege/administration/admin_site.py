"""Django's admin site stays, for the national administrator only: a staff account scoped to
a municipality or a clinic uses the product's own administration pages, which are scoped."""

from django.http import HttpRequest
from django_otp.admin import OTPAdminSite


class NationalAdminSite(OTPAdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            super().has_permission(request)
            and not getattr(user, "municipality_id", None)
            and not getattr(user, "clinic_id", None)
        )
