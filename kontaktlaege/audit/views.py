"""The audit log for administrators, each within their own scope, and the citizen's access
report ("who looked at my data"). Every view of the log is itself audited. CPR numbers are
sent by POST only (never in a URL, so never in an access log) and searched by keyed hash."""

import csv
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory import lookups
from kontaktlaege.directory.models import Clinic

from .forms import AuditSearchForm, CitizenReportForm
from .log import record
from .models import AuditEntry

ADMIN = User.Kind.ADMIN
LIMIT = 500
FLAG_DAYS = 7


def _admin(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def scoped_entries(user: User) -> QuerySet[AuditEntry]:
    """A clinic admin sees their clinic, a municipality admin their municipality (its own
    staff's actions and its clinics'), a national admin everything; a region's admin (only
    statistics) nothing."""
    entries = AuditEntry.objects.select_related("actor", "clinic", "municipality")
    if user.region_id:
        return entries.none()
    if user.clinic_id:
        return entries.filter(clinic_id=user.clinic_id)
    if user.municipality_id:
        return entries.filter(
            Q(municipality_id=user.municipality_id)
            | Q(clinic__municipality_id=user.municipality_id)
        )
    return entries


def scoped_clinics(user: User) -> QuerySet[Clinic]:
    if user.region_id:
        return Clinic.objects.none()
    if user.clinic_id:
        return Clinic.objects.filter(pk=user.clinic_id)
    if user.municipality_id:
        return Clinic.objects.filter(municipality_id=user.municipality_id)
    return Clinic.objects.all()


def _scope_kwargs(user: User) -> dict[str, Any]:
    """Audit entries about the log's use land in the admin's own scope."""
    return {"clinic": user.clinic, "municipality": user.municipality}


def _citizen_filter(cpr_hash: str) -> Q:
    # Entries written without the hash (e.g. a message) still belong to the consultation.
    own = Consultation.objects.filter(citizen_cpr_hash=cpr_hash).values("pk")
    return Q(citizen_cpr_hash=cpr_hash) | Q(consultation_id__in=own)


def _day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _day_end(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def flagged_lookups(user: User) -> list[dict[str, Any]]:
    """Employees in the admin's scope whose CPR look-ups hit the limit in the last week."""
    since = timezone.now() - timedelta(days=FLAG_DAYS)
    refused = scoped_entries(user).filter(action=lookups.REFUSED, at__gte=since)
    rows = refused.values("actor__username", "actor_label").annotate(
        times=Count("id"), last=Max("at")
    )
    return [dict(row) for row in rows.order_by("-last")]


@verified_required(ADMIN)
def search(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    clinics = scoped_clinics(user)
    form = AuditSearchForm(request.POST or None, clinics=clinics)
    entries = scoped_entries(user)
    used: list[str] = []
    cpr = ""
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            cpr = data["cpr"]
            if cpr:
                entries = entries.filter(_citizen_filter(cprlib.lookup_hash(cpr)))
            if data["action"]:
                entries = entries.filter(action__icontains=data["action"])
            if data["actor"]:
                entries = entries.filter(actor__username=data["actor"])
            if data["clinic"]:
                entries = entries.filter(clinic=data["clinic"])
            if data["date_from"]:
                entries = entries.filter(at__gte=_day_start(data["date_from"]))
            if data["date_to"]:
                entries = entries.filter(at__lte=_day_end(data["date_to"]))
            used = sorted(k for k, v in data.items() if v)
        else:
            entries = entries.none()
    rows = list(entries.order_by("-id")[:LIMIT])
    record(
        "audit_searched",
        actor=user,
        citizen_cpr=cpr,
        detail={"filters": used, "results": len(rows)},
        **_scope_kwargs(user),
    )
    context = {"form": form, "rows": rows, "limit": LIMIT, "flagged": flagged_lookups(user)}
    return render(request, "audit/search.html", context)


def _csv_cell(value: Any) -> str:
    """Spreadsheets run cells that start with these as formulas (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _report_csv(rows: list[AuditEntry]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="adgangsrapport.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Tidspunkt"),
            _("Hvem"),
            _("Brugernavn"),
            _("Handling"),
            _("Praksis"),
            _("Kommune"),
            _("Konsultation"),
        ]
    )
    for e in rows:
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    timezone.localtime(e.at).isoformat(timespec="seconds"),
                    e.actor_label,
                    e.actor.username if e.actor else "",
                    e.action,
                    e.clinic or "",
                    e.municipality or "",
                    e.consultation_id or "",
                )
            ]
        )
    return response


@verified_required(ADMIN)
def citizen_report(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = CitizenReportForm(request.POST or None)
    rows: list[AuditEntry] | None = None
    if request.method == "POST" and form.is_valid():
        cpr = form.cleaned_data["cpr"]
        as_csv = "csv" in request.POST
        rows = list(
            scoped_entries(user).filter(_citizen_filter(cprlib.lookup_hash(cpr))).order_by("id")
        )
        record(
            "citizen_access_report",
            actor=user,
            citizen_cpr=cpr,
            detail={"format": "csv" if as_csv else "html", "results": len(rows)},
            **_scope_kwargs(user),
        )
        if as_csv:
            return _report_csv(rows)
    else:
        record("citizen_access_report_opened", actor=user, **_scope_kwargs(user))
    return render(request, "audit/citizen_report.html", {"form": form, "rows": rows})
