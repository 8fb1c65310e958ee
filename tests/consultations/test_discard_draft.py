""" "Fortryd" on the reason page forgets the citizen and the draft: on a shared tablet the next
person must not find the citizen's name."""

import re
from html import escape

from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.consultations.views import DRAFT

REASON_URL = reverse("consultations:reason")


def test_fortryd_forgets_the_citizen(world, as_user) -> None:  # type: ignore[no-untyped-def]
    carer = as_user(world.carer)
    carer.post(reverse("consultations:citizen"), {"cpr": world.cpr, "consent": "on"})
    page = carer.get(REASON_URL).content.decode()
    assert escape("Inger Jensen") in page
    # The "Fortryd" button submits the form it names.
    (form_id,) = re.findall(r'<button[^>]*form="([^"]+)"[^>]*>Fortryd</button>', page)
    (action,) = re.findall(rf'<form method="post" action="([^"]+)" id="{form_id}"', page)

    response = carer.post(action)

    assert response.status_code == 302
    assert response.url == reverse("consultations:employee_start")
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert DRAFT not in carer.session
    assert AuditEntry.objects.filter(action="citizen_logged_out", actor=world.carer).exists()
    again = carer.get(REASON_URL, follow=True)
    assert again.redirect_chain[-1][0] == reverse("consultations:employee_start")
    assert "Inger Jensen" not in again.content.decode()
    assert not Consultation.objects.exists()


def test_fortryd_is_a_post(world, as_user) -> None:  # type: ignore[no-untyped-def]
    carer = as_user(world.carer)
    carer.post(reverse("consultations:citizen"), {"cpr": world.cpr, "consent": "on"})
    assert carer.get(reverse("consultations:discard_draft")).status_code == 405
    assert DRAFT in carer.session
