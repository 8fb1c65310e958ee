"""The demo data of the embedded product: places, people and synthetic citizens, loaded once."""

from django.db.models import Count

from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.models import WaitingRoom
from kontaktlaege.directory import cpr, demo
from kontaktlaege.directory.demo import WEIGHTS
from kontaktlaege.directory.models import (
    Clinic,
    Doctor,
    Municipality,
    Region,
    RegistryEntry,
    Ydernummer,
)
from kontaktlaege.directory.registry import registry


def _counts() -> dict[str, int]:
    models = [Region, Municipality, Clinic, Ydernummer, Doctor, RegistryEntry, User, WaitingRoom]
    return {m.__name__: m.objects.count() for m in models}


def _passes_modulus_11(digits: str) -> bool:
    return sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=True)) % 11 == 0


def test_load_creates_the_demo_world(db) -> None:  # type: ignore[no-untyped-def]
    assert demo.load() is True
    counts = _counts()
    assert (counts["Region"], counts["Municipality"], counts["Clinic"]) == (2, 3, 5)
    assert counts["WaitingRoom"] == 5
    big = Clinic.objects.annotate(n=Count("ydernumre", distinct=True)).filter(n=2)
    (clinic,) = big
    assert Doctor.objects.filter(ydernummer__clinic=clinic).count() == 3
    assert counts["RegistryEntry"] >= 50
    for entry in RegistryEntry.objects.all():
        digits = entry.cpr
        assert cpr.normalize(digits) == digits  # a valid date and century
        assert not _passes_modulus_11(digits)  # but nobody's real number
        assert registry().lookup(digits).name == entry.name
    # Some citizens have no own doctor, so that message can be tried too.
    assert RegistryEntry.objects.filter(ydernummer__isnull=True).exists()
    assert User.objects.filter(kind=User.Kind.EMPLOYEE).exists()
    assert User.objects.filter(kind=User.Kind.CLINIC, clinic=clinic).exists()


def test_load_is_idempotent(db) -> None:  # type: ignore[no-untyped-def]
    assert demo.load() is True
    before = _counts()
    hashes = set(RegistryEntry.objects.values_list("cpr_hash", flat=True))
    assert demo.load() is False
    assert _counts() == before
    assert set(RegistryEntry.objects.values_list("cpr_hash", flat=True)) == hashes


def test_demo_accounts_can_sign_in_with_the_demo_password(db) -> None:  # type: ignore[no-untyped-def]
    demo.load()
    for user in User.objects.all():
        assert user.check_password(demo.DEMO_PASSWORD)
        assert user.totpdevice_set.filter(confirmed=True).exists()
