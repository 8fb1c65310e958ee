"""Statistics pages for the nation, a region, a municipality and a clinic, each with its CSV;
the half-year report of a region as XLSX. Every request is checked against the viewer's scope
(scope.py); the figures come from figures.py."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.audit.log import record

from . import exports, rollup
from .figures import months_between, tables
from .forms import FilterForm, month_value
from .scope import (
    CLINIC,
    MUNICIPALITY,
    NATIONAL,
    REGION,
    home_of,
    is_national_admin,
    oversees,
    scope_for,
)

VIEWERS = (User.Kind.ADMIN, User.Kind.CLINIC)


def _page(request: HttpRequest, level: str, pk: int | None = None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    scope = scope_for(user, level, pk)
    rollup.refresh()
    form = FilterForm(request.GET)
    if not form.is_valid():  # the errors show beside the filters; the default period is drawn
        defaults = FilterForm({})
        defaults.is_valid()
        first, last = defaults.period()
        kind = ""
    else:
        first, last = form.period()
        kind = form.cleaned_data.get("kind") or ""
        # Show the period drawn in the fields, the default one included.
        form = FilterForm({"start": month_value(first), "end": month_value(last), "kind": kind})
    facts = scope.facts().filter(month__gte=first, month__lte=last)
    if kind:
        facts = facts.filter(kind=kind)
    months = months_between(first, last)
    whole = facts if level == NATIONAL else None
    result = tables(scope.parts(facts), months, scope.breakdowns(user), scope.lead, whole)
    if request.GET.get("eksport") == "csv":
        record(
            "statistics_exported",
            actor=user,
            clinic=user.clinic_id,
            municipality=user.municipality_id,
            detail={"scope": scope.slug, "format": "csv"},
        )
        name = f"statistik-{scope.slug}-{month_value(first)}-{month_value(last)}.csv"
        return exports.csv_response(result, name)
    query = request.GET.copy()
    query["eksport"] = "csv"
    context = {
        "scope": scope,
        "form": form,
        "tables": result,
        "first": month_value(first),
        "last": month_value(last),
        "csv_query": query.urlencode(),
        "half_years": exports.recent_half_years() if level == REGION else [],
        "up": _up_link(user, scope),
    }
    return render(request, "stats/page.html", context)


def _up_link(user: User, scope) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
    if scope.level == NATIONAL or not oversees(user, scope.obj):
        return None
    if scope.level == REGION and not is_national_admin(user):
        return None
    if scope.level == MUNICIPALITY:
        region = scope.obj.region
        return reverse("stats:region", args=[region.pk]), str(region)
    if scope.level == CLINIC:
        municipality = scope.obj.municipality
        return reverse("stats:municipality", args=[municipality.pk]), str(municipality)
    return reverse("stats:national"), _("Hele landet")


@require_GET
@verified_required(*VIEWERS)
def national(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not is_national_admin(user):
        home = home_of(user)
        if home is None:
            raise PermissionDenied
        return redirect(home)
    return _page(request, NATIONAL)


@require_GET
@verified_required(*VIEWERS)
def region(request: HttpRequest, region_id: int) -> HttpResponse:
    return _page(request, REGION, region_id)


@require_GET
@verified_required(*VIEWERS)
def municipality(request: HttpRequest, municipality_id: int) -> HttpResponse:
    return _page(request, MUNICIPALITY, municipality_id)


@require_GET
@verified_required(*VIEWERS)
def clinic(request: HttpRequest, clinic_id: int) -> HttpResponse:
    return _page(request, CLINIC, clinic_id)


@require_GET
@verified_required(User.Kind.ADMIN)
def region_report(request: HttpRequest, region_id: int) -> HttpResponse:
    """The half-year report of a region (reference 001: "statistik hvert halve år")."""
    user: User = request.user  # type: ignore[assignment]
    scope = scope_for(user, REGION, region_id)
    half = exports.parse_half_year(request.GET.get("halvaar", ""))
    rollup.refresh()
    record(
        "statistics_exported",
        actor=user,
        clinic=user.clinic_id,
        municipality=user.municipality_id,
        detail={"scope": scope.slug, "format": "xlsx"},
    )
    return exports.region_xlsx(scope.obj, half)
