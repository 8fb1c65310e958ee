"""The one place that decides who may open a page: signed in, second factor verified,
profile complete, and of the right kind. Without kinds named: any staff kind, never a
citizen (a citizen opens only the pages that name the kind)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

STAFF = ("employee", "clinic", "admin")


def verified_required(*kinds: str) -> Callable[..., Any]:
    kinds = kinds or STAFF

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            if not user.is_verified():  # type: ignore[union-attr,attr-defined]
                return redirect("accounts:verify")
            if user.kind not in kinds:  # type: ignore[union-attr]
                raise PermissionDenied
            if user.needs_profile and request.resolver_match.url_name != "profile":  # type: ignore[union-attr]
                return redirect("accounts:profile")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
