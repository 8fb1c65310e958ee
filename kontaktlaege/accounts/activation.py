"""One-time activation codes: binding an authenticator app to an account needs one, handed
over by an administrator (`manage.py activation_code`, or the admin's action), so the password
alone does not let its finder bind their own phone. A code is stored as a keyed hash, expires,
is used once, and is burnt after MAX_FAILURES wrong tries; a new code replaces the old."""

import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from kontaktlaege.audit.log import record

from .models import ActivationCode, User

VALID_FOR = timedelta(hours=72)
MAX_FAILURES = 5
# No 0/O, 1/I/L: the code is read aloud or typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUPS, GROUP_LENGTH = 3, 4  # 12 characters, about 59 bits


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return salted_hmac("kontaktlaege.accounts.activation", _normalise(code)).hexdigest()


def issue(user: User, *, by: Any = None, via: str = "") -> str:
    """A new code for the account, replacing any earlier one; the only time it is readable."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    code = "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))
    now = timezone.now()
    with transaction.atomic():
        ActivationCode.objects.update_or_create(
            user=user,
            defaults={
                "code_hash": _hash(code),
                "created_at": now,
                "expires_at": now + VALID_FOR,
                "used_at": None,
                "failures": 0,
            },
        )
        detail: dict[str, Any] = {"user": user.pk}
        if via:
            detail["via"] = via
        record("activation_code_issued", actor=by, detail=detail)
    return code


class Refused(Exception):
    def __init__(self, burnt: bool) -> None:
        super().__init__()
        self.burnt = burnt  # too many wrong tries: only a new code helps


def redeem(user: User, code: str) -> None:
    """Use the account's code, or raise Refused (a wrong try counts against the code)."""
    with transaction.atomic():
        stored = ActivationCode.objects.select_for_update().filter(user=user).first()
        if stored is None or stored.used_at is not None or stored.expires_at <= timezone.now():
            refused: Refused | None = Refused(burnt=False)
        elif stored.failures >= MAX_FAILURES:
            refused = Refused(burnt=True)
        elif not constant_time_compare(stored.code_hash, _hash(code)):
            stored.failures += 1
            stored.save(update_fields=["failures"])
            refused = Refused(burnt=stored.failures >= MAX_FAILURES)
        else:
            stored.used_at = timezone.now()
            stored.save(update_fields=["used_at"])
            refused = None
    # Raised after the transaction: the counted failure stays.
    if refused is not None:
        raise refused
