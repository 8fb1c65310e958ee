"""A clinic's lead keeps the clinic's ydernumre and doctors, and nobody else's; Django's
admin site is for the national administrator only."""

from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.directory.models import Doctor, Ydernummer
from tests.support import factories
from tests.support.signin import verified_client

DOCTORS = reverse("administration:doctors")


def test_the_lead_adds_a_ydernummer_and_doctors(world, admins) -> None:  # type: ignore[no-untyped-def]
    lead = verified_client(admins.lead)
    lead.post(DOCTORS, {"number": "099887"})
    added = Ydernummer.objects.get(number="099887")
    assert added.clinic == world.clinic
    lead.post(DOCTORS, {"ydernummer": str(added.pk), "name": "Bo Vang"})
    assert Doctor.objects.get(name="Bo Vang").ydernummer == added
    # Someone else's ydernummer is not a choice.
    page = lead.post(DOCTORS, {"ydernummer": str(world.other_ydernummer.pk), "name": "X"})
    assert page.status_code == 200 and not Doctor.objects.filter(name="X").exists()
    taken = lead.post(DOCTORS, {"number": "045678"}).content.decode()
    assert "Ydernummeret er allerede registreret." in taken
    doctor = Doctor.objects.get(name="Bo Vang")
    lead.post(reverse("administration:remove_doctor", args=[doctor.pk]))
    assert not Doctor.objects.filter(pk=doctor.pk).exists()
    actions = set(AuditEntry.objects.filter(actor=admins.lead).values_list("action", flat=True))
    assert actions == {"ydernummer_added", "doctor_added", "doctor_removed"}


def test_the_lead_cannot_remove_another_clinics_doctor(world, admins) -> None:  # type: ignore[no-untyped-def]
    other = factories.DoctorFactory(ydernummer=world.other_ydernummer)
    response = verified_client(admins.lead).post(
        reverse("administration:remove_doctor", args=[other.pk])
    )
    assert response.status_code == 404 and Doctor.objects.filter(pk=other.pk).exists()


def test_django_admin_only_for_the_national_administrator(world, admins) -> None:  # type: ignore[no-untyped-def]
    for user in (admins.kbh, admins.lead, admins.national):
        user.is_staff = True
        user.save()
    assert verified_client(admins.national).get("/admin/").status_code == 200
    for scoped in (admins.kbh, admins.lead):
        response = verified_client(scoped).get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response.url
