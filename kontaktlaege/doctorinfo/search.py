"""Finding a doctor by name, clinic or ydernummer, scoped to the employee's municipality:
its pinned doctors first, then its own, then its region's, then the rest."""

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from kontaktlaege.directory.models import Doctor, Municipality, Ydernummer

from .models import PinnedDoctor

LIMIT = 25
PINNED, OWN_MUNICIPALITY, OWN_REGION, ELSEWHERE = range(4)


def ranked(municipality: Municipality | None) -> QuerySet[Ydernummer]:
    """Every ydernummer, annotated with `rank` for `municipality` and ordered by it."""
    qs = Ydernummer.objects.select_related("clinic__municipality").prefetch_related("doctors")
    if municipality is None:
        return qs.annotate(rank=Value(ELSEWHERE)).order_by("clinic__name", "number")
    pinned = PinnedDoctor.objects.filter(municipality=municipality, ydernummer=OuterRef("pk"))
    return qs.annotate(
        rank=Case(
            When(Exists(pinned), then=Value(PINNED)),
            When(clinic__municipality=municipality, then=Value(OWN_MUNICIPALITY)),
            When(clinic__municipality__region_id=municipality.region_id, then=Value(OWN_REGION)),
            default=Value(ELSEWHERE),
            output_field=IntegerField(),
        )
    ).order_by("rank", "clinic__name", "number")


def search(municipality: Municipality | None, query: str, limit: int = LIMIT) -> list[Ydernummer]:
    query = query.strip()
    if not query:
        return []
    by_name = Doctor.objects.filter(ydernummer=OuterRef("pk"), name__icontains=query)
    found = Q(number__startswith=query) | Q(clinic__name__icontains=query) | Q(Exists(by_name))
    return list(ranked(municipality).filter(found)[:limit])


def pinned(municipality: Municipality | None) -> list[Ydernummer]:
    if municipality is None:
        return []
    pins = PinnedDoctor.objects.filter(municipality=municipality, ydernummer=OuterRef("pk"))
    return list(ranked(municipality).filter(Exists(pins)))
