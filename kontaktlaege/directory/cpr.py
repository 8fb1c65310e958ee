"""CPR numbers: validation, encryption at rest and a keyed hash for look-ups.

A CPR number never leaves this module in clear text except for display to someone
authorised, and never goes to a log.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.dk import cpr as stdnum_cpr


def normalize(value: str) -> str:
    """Return the 10 digits of a valid CPR number or raise ValidationError in Danish."""
    raw = (value or "").strip()
    digits = raw.replace("-", "").replace(" ", "")
    if not digits.isdigit() or len(digits) != 10:
        raise ValidationError(_("Et CPR-nummer består af 10 cifre, fx 010203-1234."), "format")
    try:
        return str(stdnum_cpr.validate(digits))
    except stdnum_exceptions.InvalidComponent:
        raise ValidationError(
            _("CPR-nummeret indeholder ikke en gyldig fødselsdato."), "date"
        ) from None
    except stdnum_exceptions.ValidationError:
        raise ValidationError(_("CPR-nummeret er ikke gyldigt."), "invalid") from None


def formatted(cpr: str) -> str:
    return f"{cpr[:6]}-{cpr[6:]}" if len(cpr) == 10 else cpr


def _derived_key(purpose: bytes) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), purpose, hashlib.sha256).digest()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        # Embedded default: a key derived from SECRET_KEY. Production sets CPR_ENCRYPTION_KEYS,
        # newest first; older keys keep decrypting until `rotate_cpr_keys` re-encrypts.
        keys = (base64.urlsafe_b64encode(_derived_key(b"cpr-encryption")).decode(),)
    return MultiFernet([Fernet(k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CPR_ENCRYPTION_KEYS))


def encrypt(cpr: str) -> str:
    return fernet().encrypt(cpr.encode()).decode() if cpr else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode() if token else ""


def lookup_hash(cpr: str) -> str:
    """Keyed hash: lets us find a CPR number without storing it in clear text."""
    if not cpr:
        return ""
    key = settings.CPR_HASH_KEY.encode() or _derived_key(b"cpr-hash")
    return hmac.new(key, cpr.encode(), hashlib.sha256).hexdigest()
