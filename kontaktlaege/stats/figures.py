"""The figures of one statistics page, computed in the database as aggregates over
ConsultationFact, and laid out as tables (each with the data of its chart). The page, the CSV
and the half-year XLSX all draw from these tables, so they always show the same numbers."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kontaktlaege.consultations.models import Consultation, OpeningWindow

from .models import ConsultationFact

K = Consultation.Kind
S = Consultation.State
KIND_ORDER = [K.ON_BEHALF, K.WITHOUT_CITIZEN, K.CITIZEN, K.INVITED, K.BOOKED]
OUTCOME_ORDER = [S.ENDED, S.REJECTED, S.CANCELLED, S.CLEARED, S.ABANDONED]

MONTH_NAMES = [
    pgettext_lazy("month", "jan"),
    pgettext_lazy("month", "feb"),
    pgettext_lazy("month", "mar"),
    pgettext_lazy("month", "apr"),
    pgettext_lazy("month", "maj"),
    pgettext_lazy("month", "jun"),
    pgettext_lazy("month", "jul"),
    pgettext_lazy("month", "aug"),
    pgettext_lazy("month", "sep"),
    pgettext_lazy("month", "okt"),
    pgettext_lazy("month", "nov"),
    pgettext_lazy("month", "dec"),
]


def outcome_label(outcome: str) -> str:
    # The final state "ended" is, for the statistics, a consultation the doctor admitted.
    if outcome == S.ENDED:
        return _("Gennemført")
    return str(S(outcome).label)


def month_label(month: int) -> str:
    return f"{MONTH_NAMES[month % 100 - 1]} {month // 100}"


def months_between(first: int, last: int) -> list[int]:
    months = []
    year, m = divmod(first, 100)
    while year * 100 + m <= last:
        months.append(year * 100 + m)
        year, m = (year + 1, 1) if m == 12 else (year, m + 1)
    return months


def percentile(histogram: list[tuple[int, int]], percent: int) -> int | None:
    """Nearest-rank percentile over (value, count) pairs sorted by value: the smallest value
    with at least `percent` % of all the values at or below it (the median of 4 is the 2nd).
    In integers: 0.9 * 10 is 9.000000000000002 in floating point."""
    total = sum(n for _value, n in histogram)
    if not total:
        return None
    rank = max(1, -(-percent * total // 100))
    seen = 0
    for value, n in histogram:
        seen += n
        if seen >= rank:
            return value
    return None  # unreachable: seen reaches total


def minutes(seconds: int | None) -> str:
    """A duration as m:ss (minutes may exceed 59)."""
    if seconds is None:
        return "–"
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class Series:
    label: str
    values: list[int | float | None]


@dataclass
class Chart:
    x: list[str]
    series: list[Series]
    stacked: bool = False
    lines: bool = False  # lines with gaps for missing values, not bars

    def as_json(self) -> dict[str, Any]:
        return {
            "x": self.x,
            "stacked": self.stacked,
            "lines": self.lines,
            "series": [{"label": s.label, "values": s.values} for s in self.series],
        }


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: Chart | None = None
    links: list[str | None] = field(default_factory=list)
    note: str = ""

    def lines(self) -> list[tuple[Any, str | None, list[Any]]]:
        """Each row as (first cell, its link or None, the other cells), for the page."""
        links = self.links or [None] * len(self.rows)
        return [(row[0], link, row[1:]) for row, link in zip(self.rows, links, strict=True)]


@dataclass
class Breakdown:
    """The next level down: a region's municipalities, a municipality's units…"""

    key: str  # ConsultationFact field to group by
    title: str
    column: str
    label: Callable[[Any], str]
    link: Callable[[Any], str | None] = lambda _value: None
    table: str = "breakdown"  # the table's key (the page's anchors)


Parts = Sequence[QuerySet[ConsultationFact]]


def _counts(parts: Parts, *fields: str) -> list[tuple[Any, ...]]:
    """(*fields, count) rows of every part. Tuples, not dicts: a national histogram has tens
    of thousands. No ORDER BY: grouped in the order of the covering indexes (models.py), the
    database streams through an index instead of sorting the year."""
    rows: list[tuple[Any, ...]] = []
    for facts in parts:
        rows.extend(facts.values_list(*fields).annotate(n=Count("*")).order_by())
    return rows


def tables(
    facts: Parts,
    months: list[int],
    breakdowns: Sequence[Breakdown] = (),
    lead: str = "region_id",
    whole: QuerySet[ConsultationFact] | None = None,
) -> list[Table]:
    """Every table of a page, for `facts` already limited to the page's scope and filters
    (in parts: the whole country a region at a time, each part one index range).
    `lead`: the column each query groups by first (the scope's own column, or the region for
    the whole country), summed away here, so the queries match the covering indexes.
    `whole`: the whole country's facts in one piece, for its waiting times and durations."""
    by_month: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    outcomes_by_month: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_child: list[dict[Any, dict[str, int]]] = [
        defaultdict(lambda: defaultdict(int)) for _b in breakdowns
    ]
    fields = [lead, "month", "kind", "outcome"]
    fields += [b.key for b in breakdowns if b.key not in fields]
    at = [fields.index(b.key) for b in breakdowns]
    for row in _counts(facts, *fields):
        _lead, month, kind, outcome, n = row[:4] + row[-1:]
        by_month[month][kind] += n
        outcomes_by_month[month][outcome] += n
        for per, i in zip(per_child, at, strict=True):
            per[row[i]][outcome] += n
    labels = [month_label(m) for m in months]
    month_col = _("Måned")
    total_col = _("I alt")

    def per_month(key: str, title: str, order: Sequence[str], names: list[str], data: Any) -> Table:
        rows = []
        for m, label in zip(months, labels, strict=True):
            values = [data[m][k] for k in order]
            rows.append([label, *values, sum(values)])
        totals = [sum(data[m][k] for m in months) for k in order]
        rows.append([total_col, *totals, sum(totals)])
        chart = Chart(
            x=labels,
            series=[
                Series(name, [data[m][k] for m in months])
                for k, name in zip(order, names, strict=True)
            ],
            stacked=True,
        )
        return Table(key, title, [month_col, *names, total_col], rows, chart)

    kind_names = [str(K(k).label) for k in KIND_ORDER]
    outcome_names = [outcome_label(o) for o in OUTCOME_ORDER]
    result = [
        per_month(
            "kinds", _("Konsultationer pr. måned efter type"), KIND_ORDER, kind_names, by_month
        ),
        per_month(
            "outcomes",
            _("Konsultationer pr. måned efter udfald"),
            OUTCOME_ORDER,
            outcome_names,
            outcomes_by_month,
        ),
        _phone(facts, lead, months, outcomes_by_month),
        *(
            _times(facts, lead, months, labels)
            if whole is None
            else _times([whole], None, months, labels)
        ),
        *_busiest(facts, lead),
    ]
    result += [_breakdown(per, b) for per, b in zip(per_child, breakdowns, strict=True)]
    return result


def _histograms(facts: Parts, lead: str | None, column: str) -> dict[int, list[tuple[int, int]]]:
    """Per month, the (value, count) pairs of `column`, sorted by value. Without `lead` (the
    whole country in one part) grouped by month first: the fact_n_* indexes, a third of the
    rows a region at a time would return."""
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    known = [part.filter(**{f"{column}__isnull": False}) for part in facts]
    if lead is None:
        for month, value, n in _counts(known, "month", column):
            counts[month][value] += n
    else:
        for _lead, value, month, n in _counts(known, lead, column, "month"):
            counts[month][value] += n
    return {month: sorted(values.items()) for month, values in counts.items()}


def _merged(histograms: Iterable[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    total: dict[int, int] = defaultdict(int)
    for histogram in histograms:
        for value, n in histogram:
            total[value] += n
    return sorted(total.items())


MEASURES = (
    ("wait_seconds", gettext_lazy("Ventetid (fra kø til start)")),
    ("duration_seconds", gettext_lazy("Samtalens varighed")),
)


def _times(facts: Parts, lead: str | None, months: list[int], labels: list[str]) -> list[Table]:
    """Waiting time and duration, median and 90th percentile: for the period, and per month
    (table and chart: the chart in minutes, the table in m:ss)."""
    rows = []
    monthly: list[list[Any]] = [[label] for label in labels]
    columns = [_("Måned")]
    series = []
    for column, name in MEASURES:
        by_month = _histograms(facts, lead, column)
        whole = _merged(by_month.values())
        rows.append(
            [
                str(name),
                sum(n for _v, n in whole),
                minutes(percentile(whole, 50)),
                minutes(percentile(whole, 90)),
            ]
        )
        medians, p90s = [], []
        for row, month in zip(monthly, months, strict=True):
            histogram = by_month.get(month, [])
            median, p90 = percentile(histogram, 50), percentile(histogram, 90)
            row += [sum(n for _v, n in histogram), minutes(median), minutes(p90)]
            medians.append(None if median is None else round(median / 60, 1))
            p90s.append(None if p90 is None else round(p90 / 60, 1))
        columns += [
            _("%(measure)s: antal") % {"measure": name},
            _("%(measure)s: median") % {"measure": name},
            _("%(measure)s: 90. percentil") % {"measure": name},
        ]
        series += [
            Series(_("%(measure)s: median") % {"measure": name}, medians),
            Series(_("%(measure)s: 90. percentil") % {"measure": name}, p90s),
        ]
    note = _("Ventetid for konsultationer, lægen startede; varighed for gennemførte.")
    return [
        Table(
            "times",
            _("Ventetid og varighed (minutter:sekunder)"),
            [_("Mål"), _("Antal"), _("Median"), _("90. percentil")],
            rows,
            note=note,
        ),
        Table(
            "times_by_month",
            _("Ventetid og varighed pr. måned (minutter:sekunder)"),
            columns,
            monthly,
            Chart(x=labels, series=series, lines=True),
            note=note + " " + _("Grafen viser minutter."),
        ),
    ]


def _busiest(facts: Parts, lead: str) -> list[Table]:
    weekdays = [0] * 7
    hours = [0] * 24
    for _lead, weekday, hour, n in _counts(facts, lead, "weekday", "hour"):
        weekdays[weekday] += n
        hours[hour] += n
    day_names = [str(label) for _value, label in OpeningWindow.Weekday.choices]
    hour_names = [f"{h:02d}–{(h + 1) % 24:02d}" for h in range(24)]
    count = _("Konsultationer")
    return [
        Table(
            "weekdays",
            _("Travleste ugedage"),
            [_("Ugedag"), count],
            [[d, n] for d, n in zip(day_names, weekdays, strict=True)],
            Chart(x=day_names, series=[Series(count, list(weekdays))]),
        ),
        Table(
            "hours",
            _("Travleste timer (dansk tid)"),
            [_("Klokkeslæt"), count],
            [[h, n] for h, n in zip(hour_names, hours, strict=True)],
            Chart(x=hour_names, series=[Series(count, list(hours))]),
        ),
    ]


def _phone(facts: Parts, lead: str, months: list[int], outcomes: Any) -> Table:
    """Continued by phone per month, of the completed (each one continued by phone ends as
    completed: a queued one the doctor took by phone, an admitted one when it is ended)."""
    by_phone: dict[int, int] = defaultdict(int)
    for _lead, month, n in _counts(
        [part.filter(phone_fallback=True) for part in facts], lead, "month"
    ):
        by_phone[month] += n

    def share(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    def cells(label: str, whole: int, part: int) -> list[Any]:
        percent = share(part, whole)
        return [label, whole, part, "–" if percent is None else f"{number_format(percent, 1)} %"]

    completed = [outcomes[m][S.ENDED] for m in months]
    phoned = [by_phone[m] for m in months]
    labels = [month_label(m) for m in months]
    rows = [cells(*row) for row in zip(labels, completed, phoned, strict=True)]
    rows.append(cells(_("I alt"), sum(completed), sum(phoned)))
    title = _("Andel fortsat over telefon")
    chart = Chart(
        x=labels,
        series=[
            Series(f"{title} (%)", [share(p, c) for p, c in zip(phoned, completed, strict=True)])
        ],
    )
    return Table(
        "phone",
        _("Fortsat over telefon pr. måned"),
        [_("Måned"), _("Gennemført"), _("Fortsat over telefon"), title],
        rows,
        chart,
        note=_(
            "Gennemførte konsultationer, hvor videoen svigtede, og lægen og medarbejderen "
            "fortsatte over telefon. Kun hvor det er markeret i appen."
        ),
    )


def _breakdown(per: dict[Any, dict[str, int]], breakdown: Breakdown) -> Table:
    named = sorted(((breakdown.label(key), key) for key in per), key=lambda p: p[0].lower())
    rows: list[list[Any]] = []
    links: list[str | None] = []
    for name, key in named:
        values = [per[key][o] for o in OUTCOME_ORDER]
        total = sum(values)
        share = f"{100 * per[key][S.ENDED] / total:.0f} %" if total else "–"
        rows.append([name, total, *values, share])
        links.append(breakdown.link(key))
    columns = [
        breakdown.column,
        _("I alt"),
        *[outcome_label(o) for o in OUTCOME_ORDER],
        _("Andel gennemført"),
    ]
    return Table(breakdown.table, breakdown.title, columns, rows, None, links)


def flat(tables_: Iterable[Table]) -> Iterator[list[Any]]:
    """The tables as rows for a CSV: a title row, the header, the rows, a blank row."""
    for table in tables_:
        yield [table.title]
        yield table.columns
        yield from table.rows
        yield []
