"""A municipality marked "not connected yet": its employees are signed out on their next
request, whichever way they signed in, and told why."""

from collections.abc import Callable

from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import rollout


class NotConnectedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and rollout.not_connected(user):
            municipality = user.municipality  # type: ignore[union-attr]
            setup = rollout.setup_of(user)
            auth.logout(request)
            return render(
                request,
                "administration/not_connected.html",
                {
                    "municipality": municipality,
                    # Signed out now: the page names the support contact itself.
                    "support_contact": setup if setup and setup.has_support else None,
                },
                status=403,
            )
        return self.get_response(request)
