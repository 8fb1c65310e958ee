"""Downloads: a page's tables as CSV for Danish Excel (";" separated, UTF-8 with BOM, cells that
a spreadsheet would run as formulas neutralised), and a region's half-year report as XLSX with
a sheet per municipality and a native chart on each (XlsxWriter)."""

import csv
import io
from collections.abc import Iterable
from typing import Any

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.directory.models import Municipality, Region

from .figures import Table, flat, months_between, tables
from .models import ConsultationFact
from .scope import REGION, Scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Spreadsheets run text cells starting with = + - @ as formulas (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(result: Iterable[Table], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")  # Danish Excel reads UTF-8 only with the byte-order mark
    writer = csv.writer(response, delimiter=";")
    for row in flat(result):
        writer.writerow([neutralise(cell) for cell in row])
    return response


def half_year_months(half: tuple[int, int]) -> tuple[int, int]:
    year, part = half
    return (year * 100 + 1, year * 100 + 6) if part == 1 else (year * 100 + 7, year * 100 + 12)


def recent_half_years(count: int = 4) -> list[tuple[int, int]]:
    """The current half-year and the ones before it, newest first."""
    today = timezone.localdate()
    year, part = today.year, 1 if today.month <= 6 else 2
    result = []
    for _i in range(count):
        result.append((year, part))
        year, part = (year, 1) if part == 2 else (year - 1, 2)
    return result


def parse_half_year(text: str) -> tuple[int, int]:
    """ "2026-1" (January–June) or "2026-2"; anything else: the last finished half-year."""
    try:
        year, part = (int(p) for p in text.split("-"))
        if 2000 <= year <= 2100 and part in (1, 2):
            return year, part
    except ValueError:
        pass
    return recent_half_years(2)[1]


def _sheet_name(name: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    clean = "".join("_" if c in "[]:*?/\\" else c for c in name)[:31]
    candidate, n = clean, 2
    while candidate.lower() in used:
        suffix = f" {n}"
        candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _write_tables(sheet: Any, result: list[Table], bold: Any, row: int = 0) -> None:
    """The tables one below the other from `row`: title, header, rows, a blank row."""
    for table in result:
        sheet.write_string(row, 0, table.title, bold)
        sheet.write_row(row + 1, 0, table.columns, bold)
        for i, cells in enumerate(table.rows):
            for j, cell in enumerate(cells):
                if isinstance(cell, int | float):
                    sheet.write_number(row + 2 + i, j, cell)
                else:
                    sheet.write_string(row + 2 + i, j, str(cell))
        row += len(table.rows) + 3


def _kinds_chart(book: Any, sheet_name: str, table: Table) -> Any:
    """A stacked column chart of the kinds table at the top of the sheet (rows 2…)."""
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    months = len(table.rows) - 1  # the last row is the total
    for j in range(1, len(table.columns) - 1):
        chart.add_series(
            {
                "name": [sheet_name, 1, j],
                "categories": [sheet_name, 2, 0, 1 + months, 0],
                "values": [sheet_name, 2, j, 1 + months, j],
            }
        )
    chart.set_title({"name": table.title})
    chart.set_y_axis({"name": _("Konsultationer")})
    return chart


def region_xlsx(region: Region, half: tuple[int, int]) -> HttpResponse:
    first, last = half_year_months(half)
    months = months_between(first, last)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    used: set[str] = set()
    period = f"{half[0]}-{half[1]}"

    facts = ConsultationFact.objects.filter(region=region, month__gte=first, month__lte=last)
    summary_scope = Scope(REGION, region)
    summary = book.add_worksheet(_sheet_name(_("Regionen"), used))
    summary.write_string(0, 0, f"{region} · {_('halvår')} {period}", bold)
    _write_tables(
        summary,
        tables([facts], months, summary_scope.breakdowns(None), summary_scope.lead),
        bold,
        2,
    )
    summary.set_column(0, 0, 34)

    for municipality in Municipality.objects.filter(region=region).order_by("name"):
        name = _sheet_name(municipality.name, used)
        sheet = book.add_worksheet(name)
        result = tables([facts.filter(municipality=municipality)], months, lead="municipality_id")
        # Row 0 is the kinds table's title, row 1 its header: the chart reads from there.
        _write_tables(sheet, result, bold)
        sheet.set_column(0, 0, 34)
        sheet.insert_chart(0, len(result[0].columns) + 1, _kinds_chart(book, name, result[0]))
    book.close()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    filename = f"statistik-region-{region.code}-{period}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
