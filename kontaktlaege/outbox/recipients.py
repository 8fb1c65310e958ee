"""Recipients: phone numbers to E.164 (region DK), e-mail addresses validated, and the short
hint a list may show instead of them. Whether a Danish number takes SMS cannot be told from
the number (mobile and landline ranges overlap): the gateway's answer says so."""

import re

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

REGION = "DK"
DOTS = "••"


def normalize_phone(value: str) -> str:
    """The number in E.164 (+4512345678), or ValidationError in Danish."""
    try:
        number = phonenumbers.parse((value or "").strip(), REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Skriv et telefonnummer, fx 12 34 56 78."), "format") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Telefonnummeret er ikke gyldigt."), "invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str) -> str:
    value = (value or "").strip()
    validate_email(value)
    return value


def phone_hint(e164: str) -> str:
    """+4512345678 → "+45 •• •• •• 78": the country and the last two digits."""
    number = phonenumbers.parse(e164, REGION)
    national = str(number.national_number)
    groups = max(1, (len(national) - 2 + 1) // 2)
    return f"+{number.country_code} {' '.join([DOTS] * groups)} {national[-2:]}"


def email_hint(address: str) -> str:
    """inger@example.dk → "i•••@•••.dk"."""
    local, _at, domain = address.rpartition("@")
    return f"{local[:1]}•••@•••.{domain.rpartition('.')[2]}"


def scrub(text: str, *recipients: str) -> str:
    """A gateway's or mail server's answer, fit to keep and show: without the recipient,
    e-mail addresses or long digit runs (phone and CPR numbers), at most 300 characters."""
    for recipient in recipients:
        if recipient:
            text = text.replace(recipient, "[modtager]")
    text = re.sub(r"[^\s@<>]+@[^\s@<>]+", "[adresse]", text)
    text = re.sub(r"\+?\d[\d -]{6,}\d", "[nummer]", text)
    return " ".join(text.split())[:300]


class PhoneNumberField(forms.CharField):
    """A form field giving the number in E.164; invitations and bookings use it."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def clean(self, value: object) -> str:
        cleaned = str(super().clean(value) or "")
        return normalize_phone(cleaned) if cleaned else ""
