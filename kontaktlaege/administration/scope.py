"""Who administers what: an administrator account (kind "admin") with a municipality
administers that municipality, one with a clinic is the clinic's lead, one with a region
(and neither) is the region's administrator (its statistics), one with none of them is the
national administrator. Every administration view asks here, on every object."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User

ADMIN = User.Kind.ADMIN


def is_municipality_admin(user: Any) -> bool:
    return bool(user.kind == ADMIN and user.municipality_id and not user.clinic_id)


def is_clinic_lead(user: Any) -> bool:
    return bool(user.kind == ADMIN and user.clinic_id)


def is_region_admin(user: Any) -> bool:
    return bool(
        user.kind == ADMIN and user.region_id and not user.municipality_id and not user.clinic_id
    )


def is_national_admin(user: Any) -> bool:
    return bool(
        user.kind == ADMIN
        and not user.municipality_id
        and not user.clinic_id
        and not user.region_id
    )


def municipality_id(admin: User) -> int:
    """The administered municipality; refuses an administrator without one."""
    if admin.municipality_id is None:
        raise PermissionDenied
    return admin.municipality_id


def clinic_id(admin: User) -> int:
    if admin.clinic_id is None:
        raise PermissionDenied
    return admin.clinic_id


def managed_users(admin: User) -> QuerySet[User]:
    """The accounts this administrator may see and change: the municipality's employees, the
    clinic's staff, or (the national administrator) the regions' administrators."""
    if is_national_admin(admin):
        return User.objects.filter(kind=ADMIN, region__isnull=False)
    if is_municipality_admin(admin):
        return User.objects.filter(kind=User.Kind.EMPLOYEE, municipality_id=municipality_id(admin))
    if is_clinic_lead(admin):
        return User.objects.filter(kind=User.Kind.CLINIC, clinic_id=clinic_id(admin))
    return User.objects.none()


def _requiring(test: Callable[[Any], bool]) -> Callable[..., Any]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @verified_required(ADMIN)
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


municipality_admin_required = _requiring(is_municipality_admin)
clinic_lead_required = _requiring(is_clinic_lead)
national_admin_required = _requiring(is_national_admin)
account_admin_required = _requiring(
    lambda u: is_municipality_admin(u) or is_clinic_lead(u) or is_national_admin(u)
)
