import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from kontaktlaege.directory import cpr


@pytest.mark.parametrize(
    "raw, expected",
    [("140132-1001", "1401321001"), ("1401321001", "1401321001"), (" 140132 1001 ", "1401321001")],
)
def test_valid_cpr_is_normalised(raw: str, expected: str) -> None:
    assert cpr.normalize(raw) == expected


@pytest.mark.parametrize(
    "raw, code",
    [
        ("12345", "format"),
        ("abcdefghij", "format"),
        ("140132-10011", "format"),
        ("320132-1001", "date"),  # day 32
        ("300232-1001", "date"),  # 30 February
        ("290201-4001", "date"),  # 2001 was no leap year (century digit 4, serial 4001 → 2001)
    ],
)
def test_invalid_cpr_gets_a_clear_error(raw: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        cpr.normalize(raw)
    assert excinfo.value.code == code
    assert excinfo.value.messages[0]  # a Danish sentence, not a stack trace


def test_century_rule_leap_day() -> None:
    # 29 Feb 00: serial 4xxx with year 00 → 2000 (leap year) is valid.
    assert cpr.normalize("290200-4001") == "2902004001"


@given(st.text(max_size=40))
def test_normalize_never_crashes(raw: str) -> None:
    try:
        result = cpr.normalize(raw)
    except ValidationError:
        return
    assert len(result) == 10 and result.isdigit()


def test_encryption_round_trip_and_keyed_hash(settings) -> None:  # type: ignore[no-untyped-def]
    token = cpr.encrypt("1401321001")
    assert "1401321001" not in token
    assert cpr.decrypt(token) == "1401321001"
    assert cpr.lookup_hash("1401321001") == cpr.lookup_hash("1401321001")
    assert cpr.lookup_hash("1401321001") != cpr.lookup_hash("1401321002")


def test_key_rotation(settings) -> None:  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CPR_ENCRYPTION_KEYS = [old]
    token = cpr.encrypt("1401321001")
    settings.CPR_ENCRYPTION_KEYS = [new, old]
    rotated = cpr.rotate(token)
    settings.CPR_ENCRYPTION_KEYS = [new]
    assert cpr.decrypt(rotated) == "1401321001"
    assert cpr.decrypt(token) == ""
