"""The employee's municipality's first-line support contact, for the help page and the error
pages meant for employees."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import MunicipalitySetup


def support_contact(request: HttpRequest) -> dict[str, Any]:
    def contact() -> MunicipalitySetup | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.municipality_id:  # type: ignore[union-attr]
            return None
        setup = MunicipalitySetup.objects.filter(municipality_id=user.municipality_id).first()  # type: ignore[union-attr]
        return setup if setup is not None and setup.has_support else None

    # Lazy: only a page that shows it queries for it.
    return {"support_contact": SimpleLazyObject(contact)}
