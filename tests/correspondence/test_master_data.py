"""SOR/EAN master data: the demo's organisations have valid numbers (so the demo can send
notes), the admin refuses malformed ones; retention erases old notes' text and bundle."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kontaktlaege.correspondence import actions
from kontaktlaege.correspondence.models import CareCommunication
from kontaktlaege.directory import demo
from kontaktlaege.directory.models import Clinic, Municipality
from kontaktlaege.directory.numbers import is_ean, is_sor
from kontaktlaege.privacy.retention import erase_expired
from tests.correspondence.helpers import called


@pytest.mark.django_db
def test_demo_organisations_have_sor_and_ean() -> None:
    demo.load()
    organisations = [*Municipality.objects.all(), *Clinic.objects.all()]
    assert organisations
    for org in organisations:
        assert is_sor(org.sor_code) and is_ean(org.ean_number), org
    numbers = [o.ean_number for o in organisations]
    assert len(set(numbers)) == len(numbers)


@pytest.mark.django_db
def test_malformed_numbers_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    clinic = world.clinic
    clinic.ean_number = clinic.ean_number[:12] + str((int(clinic.ean_number[12]) + 1) % 10)
    with pytest.raises(ValidationError) as error:
        clinic.full_clean()
    assert "ean_number" in error.value.message_dict
    clinic.refresh_from_db()
    clinic.sor_code = "12ab"
    with pytest.raises(ValidationError) as error:
        clinic.full_clean()
    assert "sor_code" in error.value.message_dict


def test_retention_erases_old_notes(world, settings, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    consultation = called(world)
    with django_capture_on_commit_callbacks(execute=True):
        note = actions.send_note(world.gp, consultation.pk, "Tør hoste, ingen feber.")
    later = timezone.now() + timedelta(days=settings.RETENTION_DAYS + 1)
    erase_expired(later)
    note = CareCommunication.objects.get(pk=note.pk)
    assert (note.text, note.bundle) == ("", "")
    assert note.state == CareCommunication.State.SENT  # the record stays


def test_an_administrator_receives_nothing(world) -> None:  # type: ignore[no-untyped-def]
    from kontaktlaege.accounts.models import User
    from tests.support import factories

    admin = factories.UserFactory(username="national", kind=User.Kind.ADMIN)
    consultation = called(world)
    with pytest.raises(CareCommunication.DoesNotExist):
        actions.mark_read(admin, consultation.pk)
    assert not CareCommunication.objects.filter(**actions.incoming(admin)).exists()
