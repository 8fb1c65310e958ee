"""Property tests: CPR parsing and every form take arbitrary text and answer only "valid" or
"invalid" (with a Danish message), never an exception."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kontaktlaege.accounts.forms import ProfileForm, TokenForm
from kontaktlaege.audit.forms import AuditSearchForm, CitizenReportForm
from kontaktlaege.consultations.forms import (
    CitizenForm,
    MessageForm,
    ReasonForm,
    RejectForm,
    YdernummerForm,
)
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.demo import synthetic_cpr
from kontaktlaege.privacy.forms import ResumeForm, UnlockForm

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789- ", max_size=14),
    st.text(max_size=2000),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)


@SETTINGS
@given(text)
def test_cpr_normalize_is_valid_or_a_danish_error(value: str) -> None:
    try:
        digits = cprlib.normalize(value)
    except ValidationError as exc:
        assert exc.code in ("format", "date", "invalid")
        return
    assert len(digits) == 10 and digits.isdigit()
    assert cprlib.normalize(cprlib.formatted(digits)) == digits


@SETTINGS
@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31)),
    st.integers(min_value=0, max_value=990),  # keeps the century digit of the year
)
def test_valid_cpr_round_trips(day, serial: int) -> None:  # type: ignore[no-untyped-def]
    try:
        cpr = synthetic_cpr(day, serial)
    except Exception:  # no valid number for that day/serial: not what this test is about
        return
    assert cprlib.normalize(cpr) == cpr
    assert cprlib.decrypt(cprlib.encrypt(cpr)) == cpr
    assert cprlib.lookup_hash(cpr) == cprlib.lookup_hash(cprlib.normalize(cprlib.formatted(cpr)))
    assert cpr not in cprlib.encrypt(cpr)


FORMS = [
    (CitizenForm, ["cpr", "consent"]),
    (YdernummerForm, ["ydernummer"]),
    (ReasonForm, ["reason"]),
    (RejectForm, ["message"]),
    (MessageForm, ["text"]),
    (TokenForm, ["token"]),
    (UnlockForm, ["password"]),
    (ResumeForm, ["password", "token"]),
    (CitizenReportForm, ["cpr"]),
    (AuditSearchForm, ["cpr", "action", "actor", "clinic", "date_from", "date_to"]),
]


@pytest.mark.parametrize(("form_class", "fields"), FORMS, ids=[f.__name__ for f, _ in FORMS])
@pytest.mark.django_db
def test_forms_answer_valid_or_invalid(form_class, fields) -> None:  # type: ignore[no-untyped-def]
    @SETTINGS
    @given(st.fixed_dictionaries({f: text for f in fields}))
    def check(data: dict[str, str]) -> None:
        form = form_class(data)
        assert form.is_valid() in (True, False)
        for errors in form.errors.values():
            assert all(isinstance(e, str) and e for e in errors)

    check()


@pytest.mark.django_db
def test_profile_form_answers_valid_or_invalid(world) -> None:  # type: ignore[no-untyped-def]
    @SETTINGS
    @given(st.fixed_dictionaries({"job_role": text, "workplace": text}))
    def check(data: dict[str, str]) -> None:
        form = ProfileForm(data, instance=world.carer)
        assert form.is_valid() in (True, False)

    check()
