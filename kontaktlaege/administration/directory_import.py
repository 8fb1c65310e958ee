"""The national administrator's CSV import of clinics, ydernumre and doctors
(docs/administration.md lists the columns). All or nothing: a file with one bad line
imports nothing and says which line; a dry run changes nothing; an import is audited."""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kontaktlaege.audit.log import record
from kontaktlaege.directory.models import Clinic, Doctor, Municipality, Ydernummer

from . import scope

COLUMNS = ["kommunekode", "klinik", "adresse", "telefon", "ydernummer", "laege"]


@dataclass
class Result:
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    clinics: int = 0
    ydernumre: int = 0
    doctors: int = 0
    saved: bool = False


class _Rollback(Exception):
    pass


def import_directory(admin: Any, data: bytes, *, dry_run: bool) -> Result:
    result = Result()
    if not scope.is_national_admin(admin):
        result.errors.append((0, _("Kun den nationale administrator kan importere.")))
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((0, _("Filen er ikke UTF-8.")))
        return result
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        result.errors.append((1, _("Kolonner mangler: %(cols)s") % {"cols": ", ".join(missing)}))
        return result
    try:
        with transaction.atomic():
            for line, raw in enumerate(reader, start=2):
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
                problem = _import_row(row, result)
                if problem:
                    result.errors.append((line, problem))
            if result.errors or dry_run:
                raise _Rollback
            record(
                "directory_imported",
                actor=admin,
                detail={
                    "clinics": result.clinics,
                    "ydernumre": result.ydernumre,
                    "doctors": result.doctors,
                },
            )
            result.saved = True
    except _Rollback:
        pass
    return result


def _import_row(row: dict[str, str], result: Result) -> str:
    municipality = Municipality.objects.filter(code=row["kommunekode"]).first()
    if municipality is None:
        return _("Ukendt kommunekode „%(code)s“.") % {"code": row["kommunekode"]}
    if not row["klinik"]:
        return _("Klinikkens navn mangler.")
    number = row["ydernummer"]
    if not (len(number) == 6 and number.isdigit()):
        return _("Et ydernummer består af 6 cifre (fik „%(number)s“).") % {"number": number}
    clinic = Clinic.objects.filter(name=row["klinik"], municipality=municipality).first()
    if clinic is None:
        clinic = Clinic.objects.create(
            name=row["klinik"][:200],
            municipality=municipality,
            address=row["adresse"][:200],
            phone=row["telefon"][:20],
        )
        result.clinics += 1
    ydernummer = Ydernummer.objects.filter(number=number).first()
    if ydernummer is None:
        ydernummer = Ydernummer.objects.create(number=number, clinic=clinic)
        result.ydernumre += 1
    elif ydernummer.clinic_id != clinic.pk:
        return _("Ydernummer %(number)s hører allerede til en anden klinik.") % {"number": number}
    name = row["laege"]
    if name and not Doctor.objects.filter(ydernummer=ydernummer, name=name).exists():
        Doctor.objects.create(ydernummer=ydernummer, name=name[:200])
        result.doctors += 1
    return ""
