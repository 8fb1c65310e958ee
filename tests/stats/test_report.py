"""The half-year report of a region: an XLSX with a summary sheet, a sheet per municipality
and a native chart on each municipality's sheet."""

import io
import re
import zipfile

from tests.support import factories
from tests.support.signin import verified_client
from tests.support.statistics import seed


def _cell(book: zipfile.ZipFile, sheet: int, ref: str) -> str | None:
    xml = book.read(f"xl/worksheets/sheet{sheet}.xml").decode()
    found = re.search(rf'<c r="{ref}"[^>]*><v>([^<]*)</v>', xml)
    return found.group(1) if found else None


def test_half_year_report_per_region(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    other = factories.MunicipalityFactory(name="Tårnby Kommune", region=seeded.kbh.region)
    admin = factories.UserFactory(username="national", kind="admin")
    response = verified_client(admin).get(
        f"/statistik/region/{seeded.kbh.region_id}/halvaar.xlsx", {"halvaar": "2025-1"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "2025-1.xlsx" in response["Content-Disposition"]
    book = zipfile.ZipFile(io.BytesIO(response.content))
    workbook = book.read("xl/workbook.xml").decode()
    names = re.findall(r'<sheet name="([^"]+)"', workbook)
    assert names == ["Regionen", "Københavns Kommune", other.name]
    charts = [n for n in book.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    # Copenhagen's sheet: the kinds table's total row (row 9: title, header, 6 months) and
    # total column (G): the 8 consultations of January–March.
    assert _cell(book, 2, "G9") == "8"
    assert _cell(book, 3, "G9") == "0"


def test_report_of_the_second_half_is_empty_here(world) -> None:  # type: ignore[no-untyped-def]
    seeded = seed(world)
    admin = factories.UserFactory(username="national", kind="admin")
    response = verified_client(admin).get(
        f"/statistik/region/{seeded.kbh.region_id}/halvaar.xlsx", {"halvaar": "2025-2"}
    )
    book = zipfile.ZipFile(io.BytesIO(response.content))
    assert _cell(book, 2, "G9") == "0"
