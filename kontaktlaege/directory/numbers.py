"""The numbers MedCom addresses organisations by: a SOR code (the national register of health
organisations, an SCT-style id of 5 to 18 digits) and an EAN location number (GS1 GLN, 13
digits with a check digit)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import ean


def is_sor(value: str) -> bool:
    return value.isdigit() and 5 <= len(value) <= 18


def is_ean(value: str) -> bool:
    return len(value) == 13 and ean.is_valid(value)


def validate_sor(value: str) -> None:
    if not is_sor(value):
        raise ValidationError(_("En SOR-kode er 5 til 18 cifre."))


def validate_ean(value: str) -> None:
    if not is_ean(value):
        raise ValidationError(_("Et EAN-lokationsnummer er 13 cifre med gyldigt kontrolciffer."))


def with_check_digit(first12: str) -> str:
    """A 13-digit EAN from its first 12 digits."""
    return first12 + ean.calc_check_digit(first12)
