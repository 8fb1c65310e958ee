"""Factories for the domain's objects; tests build the people and places they need."""

import itertools

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.models import WaitingRoom
from kontaktlaege.directory.demo import synthetic_cpr
from kontaktlaege.directory.models import (
    Clinic,
    Doctor,
    Municipality,
    Region,
    RegistryEntry,
    Ydernummer,
)
from kontaktlaege.directory.numbers import with_check_digit

PASSWORD = "Test-adgangskode-1"
_citizens = itertools.count(100)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"Region {n}")
    code = factory.Sequence(lambda n: f"{1080 + n}")


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"Kommune {n}")
    code = factory.Sequence(lambda n: f"{300 + n}")
    region = factory.SubFactory(RegionFactory)
    sor_code = factory.Sequence(lambda n: f"{880000000 + n}")
    ean_number = factory.Sequence(lambda n: with_check_digit(f"{579888000000 + n}"))


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Lægehuset {n}")
    phone = "70 10 20 30"
    municipality = factory.SubFactory(MunicipalityFactory)
    sor_code = factory.Sequence(lambda n: f"{770000000 + n}")
    ean_number = factory.Sequence(lambda n: with_check_digit(f"{579777000000 + n}"))

    @factory.post_generation
    def room(obj, create, extracted, **kwargs):
        WaitingRoom.objects.get_or_create(
            clinic=obj, defaults={"mode": extracted or WaitingRoom.Mode.OPEN}
        )


class YdernummerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ydernummer

    number = factory.Sequence(lambda n: f"{700000 + n:06d}")
    clinic = factory.SubFactory(ClinicFactory)


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor

    name = factory.Sequence(lambda n: f"Læge {n}")
    ydernummer = factory.SubFactory(YdernummerFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def totp(obj, create, extracted, **kwargs):
        obj.save()
        TOTPDevice.objects.create(user=obj, name="test", confirmed=True)


class EmployeeFactory(UserFactory):
    kind = User.Kind.EMPLOYEE
    municipality = factory.SubFactory(MunicipalityFactory)
    job_role = "Sygeplejerske"
    workplace = "Hjemmesygeplejen Nord"


class ClinicStaffFactory(UserFactory):
    kind = User.Kind.CLINIC
    clinic = factory.SubFactory(ClinicFactory)


def citizen(ydernummer: Ydernummer | None, name: str = "Inger Jensen") -> str:
    """Register a synthetic citizen with `ydernummer` as own doctor; returns the CPR."""
    from datetime import date, timedelta

    # Serials in steps of 10 (synthetic_cpr may move up to 9 on, so neighbours never collide)
    # and below 4000, whose century digit keeps a 1940 birth date valid; then the next day.
    n = next(_citizens)
    cpr = synthetic_cpr(date(1940, 5, 17) + timedelta(days=n // 400), n % 400 * 10)
    entry = RegistryEntry(name=name, ydernummer=ydernummer)
    entry.set_cpr(cpr)
    entry.save()
    return cpr
