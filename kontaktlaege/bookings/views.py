"""The clinic's calendar of video consultations: day and week views (video appointments
clearly marked, reference 002), booking, moving and cancelling. Clinic staff only, their own
clinic's bookings only."""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.actions import ActionError
from kontaktlaege.video.invitations import link_maker

from . import actions
from .forms import BookingForm, WhenForm
from .models import Booking

CLINIC = User.Kind.CLINIC


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _day_of(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("dag", ""))
    except ValueError:
        return timezone.localdate()


def _between(request: HttpRequest, first: date, days: int) -> list[Booking]:
    clinic_id = _user(request).clinic_id or 0  # clinic staff always have one
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(first + timedelta(days=days), datetime.min.time()))
    return list(
        Booking.objects.filter(clinic_id=clinic_id, starts_at__gte=start, starts_at__lt=end)
        .select_related("doctor")
        .order_by("starts_at", "pk")
    )


@verified_required(CLINIC)
def day(request: HttpRequest) -> HttpResponse:
    shown = _day_of(request)
    return render(
        request,
        "bookings/day.html",
        {
            "day": shown,
            "shown": shown,
            "bookings": _between(request, shown, 1),
            "previous": shown - timedelta(days=1),
            "next": shown + timedelta(days=1),
        },
    )


@verified_required(CLINIC)
def week(request: HttpRequest) -> HttpResponse:
    shown = _day_of(request)
    monday = shown - timedelta(days=shown.weekday())
    bookings = _between(request, monday, 7)
    days = [
        (
            monday + timedelta(days=i),
            [b for b in bookings if timezone.localdate(b.starts_at) == monday + timedelta(days=i)],
        )
        for i in range(7)
    ]
    return render(
        request,
        "bookings/week.html",
        {
            "monday": monday,
            "shown": monday,
            "days": days,
            "week_number": monday.isocalendar()[1],
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
        },
    )


@verified_required(CLINIC)
def new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = BookingForm(request.POST or None, clinic=user.clinic, initial={"day": _day_of(request)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking = actions.book(
                user,
                who=data["who"],
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                starts_at=form.starts_at(),
                minutes=data["minutes"],
                doctor=data["doctor"],
                link=link_maker(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Videokonsultationen er booket. Bekræftelsen ligger i udbakken.")
            )
            return redirect(_day_url(booking))
    return render(request, "bookings/new.html", {"form": form})


def _day_url(booking: Booking) -> str:
    return f"{reverse('bookings:day')}?dag={timezone.localdate(booking.starts_at).isoformat()}"


def _own(request: HttpRequest, pk: int) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("doctor", "clinic"),
        pk=pk,
        clinic_id=_user(request).clinic_id,
    )


@verified_required(CLINIC)
def booking(request: HttpRequest, pk: int) -> HttpResponse:
    """One booking; POST moves it."""
    current = _own(request, pk)
    local = timezone.localtime(current.starts_at)
    form = WhenForm(
        request.POST or None,
        initial={"day": local.date(), "at": local.time(), "minutes": current.minutes},
    )
    if request.method == "POST" and form.is_valid():
        try:
            moved = actions.move(
                _user(request), current.pk, form.starts_at(), form.cleaned_data["minutes"]
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Tiden er flyttet, og personen har fået besked."))
            return redirect(_day_url(moved))
    return render(request, "bookings/booking.html", {"booking": current, "form": form})


@require_POST
@verified_required(CLINIC)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    current = _own(request, pk)
    try:
        actions.cancel(_user(request), current.pk)
    except Booking.DoesNotExist:
        raise Http404 from None
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Bookingen er aflyst, og personen har fået besked."))
    return redirect(_day_url(current))
