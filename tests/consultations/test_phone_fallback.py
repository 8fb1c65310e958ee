""" "Fortsat over telefon": either side records that the video failed and the call went on by
phone (PRODUCT §3.3, the clinic's number as plan B), once, for its own consultation only;
the statistics count it."""

import pytest
from django.urls import reverse
from django.utils import translation

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions, lifecycle
from kontaktlaege.consultations.models import Consultation, WaitingRoom
from kontaktlaege.consultations.snapshots import clinic_snapshot, consultation_snapshot
from kontaktlaege.stats import rollup
from kontaktlaege.stats.models import ConsultationFact

S = Consultation.State
JSON = {"HTTP_ACCEPT": "application/json"}
REASON = "Hoste og feber i tre dage"


@pytest.fixture
def queued(world) -> Consultation:  # type: ignore[no-untyped-def]
    return actions.join_queue(
        world.carer,
        ydernummer=world.ydernummer,
        reason=REASON,
        citizen=actions.CitizenOnBehalf(cpr=world.cpr, name="Inger Jensen"),
        consent_given=True,
    )


@pytest.fixture
def admitted(world, queued) -> Consultation:  # type: ignore[no-untyped-def]
    return actions.admit(world.gp, queued.pk)


def _state(c: Consultation) -> tuple:
    c.refresh_from_db()
    return (
        c.state,
        c.seq,
        c.ended_at,
        c.phone_fallback_at,
        c.phone_fallback_by_id,
        WaitingRoom.objects.get(clinic_id=c.clinic_id).seq,
        AuditEntry.objects.count(),
    )


def test_the_clinic_takes_a_queued_one_by_phone_and_it_leaves_the_queue(world, queued) -> None:  # type: ignore[no-untyped-def]
    room_seq = WaitingRoom.objects.get(clinic=world.clinic).seq
    c = actions.continue_by_phone(world.secretary, queued.pk)
    c.refresh_from_db()
    assert (c.state, c.phone_fallback_by, c.admitted_at) == (S.ENDED, world.secretary, None)
    assert c.phone_fallback_at is not None and c.ended_at is not None
    assert c.seq == queued.seq + 1
    assert WaitingRoom.objects.get(clinic=world.clinic).seq == room_seq + 1
    assert clinic_snapshot(world.clinic.pk)["entries"] == []
    snapshot = consultation_snapshot(c.pk)
    assert (snapshot["state"], snapshot["phone_fallback"]) == (S.ENDED, True)


def test_an_admitted_one_runs_on_until_it_is_ended_and_counts_as_phoned(world, admitted) -> None:  # type: ignore[no-untyped-def]
    c = actions.continue_by_phone(world.gp, admitted.pk)
    c.refresh_from_db()
    assert (c.state, c.ended_at, c.phone_fallback_by) == (S.ADMITTED, None, world.gp)
    [entry] = clinic_snapshot(world.clinic.pk)["entries"]
    assert (entry["state"], entry["phone_fallback"]) == (S.ADMITTED, True)
    assert rollup.refresh() == 0  # still running: no statistics row yet
    actions.end(world.carer, c.pk)
    assert rollup.refresh() == 1
    fact = ConsultationFact.objects.get(pk=c.pk)
    assert (fact.outcome, fact.phone_fallback) == (S.ENDED, True)
    assert fact.duration_seconds is not None


def test_the_employee_marks_their_own(world, admitted) -> None:  # type: ignore[no-untyped-def]
    actions.continue_by_phone(world.carer, admitted.pk)
    admitted.refresh_from_db()
    assert (admitted.state, admitted.phone_fallback_by) == (S.ADMITTED, world.carer)
    audit = AuditEntry.objects.get(action="consultation_phone_fallback")
    assert audit.actor == world.carer
    assert audit.detail == {"side": "employee", "from": "admitted", "to": "admitted"}


def test_the_audit_entry_holds_no_personal_data(world, queued) -> None:  # type: ignore[no-untyped-def]
    actions.continue_by_phone(world.gp, queued.pk)
    audit = AuditEntry.objects.get(action="consultation_phone_fallback")
    assert (audit.actor, audit.clinic_id, audit.consultation_id) == (
        world.gp,
        world.clinic.pk,
        queued.pk,
    )
    assert audit.detail == {"side": "clinic", "from": "queued", "to": "ended"}
    # The citizen by the keyed hash only, as every entry of the chain.
    assert audit.citizen_cpr_hash == queued.citizen_cpr_hash != world.cpr
    text = " ".join(str(v) for v in vars(audit).values())
    for personal in (world.cpr, "Inger Jensen", REASON, "Mette Sørensen"):
        assert personal not in text


def test_a_second_mark_changes_nothing_and_says_so(world, admitted) -> None:  # type: ignore[no-untyped-def]
    actions.continue_by_phone(world.gp, admitted.pk)
    before = _state(admitted)
    for user in (world.secretary, world.carer):
        with pytest.raises(actions.ActionError, match="allerede markeret som fortsat over telefon"):
            actions.continue_by_phone(user, admitted.pk)
    assert _state(admitted) == before


def test_a_finished_consultation_cannot_be_marked(world, queued) -> None:  # type: ignore[no-untyped-def]
    actions.reject(world.gp, queued.pk)
    before = _state(queued)
    with pytest.raises(actions.ActionError, match="allerede afsluttet eller ændret"):
        actions.continue_by_phone(world.gp, queued.pk)
    assert _state(queued) == before


@pytest.mark.parametrize("who", ["other_gp", "carer2", "foreign_carer"])
def test_only_the_clinic_and_the_employee_of_the_consultation(world, queued, who) -> None:  # type: ignore[no-untyped-def]
    before = _state(queued)
    with pytest.raises(Consultation.DoesNotExist):
        actions.continue_by_phone(getattr(world, who), queued.pk)
    assert _state(queued) == before


def test_an_unknown_id_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Consultation.DoesNotExist):
        actions.continue_by_phone(world.gp, 987654)


def test_by_phone_is_the_only_way_from_the_queue_to_ended() -> None:
    assert lifecycle.can_transition(S.QUEUED, S.ENDED, by_phone=True)
    assert not lifecycle.can_transition(S.QUEUED, S.ENDED)
    for state in (S.ENDED, S.REJECTED, S.CANCELLED, S.CLEARED, S.ABANDONED):
        assert state not in lifecycle.BY_PHONE


# --- through the pages -----------------------------------------------------------------------


def test_the_waiting_room_button(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    gp = as_user(world.gp)
    page = gp.get(reverse("consultations:waiting_room")).content.decode()
    assert 'data-action="phone"' in page and "Fortsat over telefon" in page
    url = reverse("consultations:clinic_phone", args=[queued.pk])
    assert gp.post(url, **JSON).json() == {"ok": True}
    queued.refresh_from_db()
    assert (queued.state, queued.phone_fallback_by) == (S.ENDED, world.gp)
    response = gp.post(url, **JSON)
    assert response.status_code == 409
    assert response.json() == {
        "error": "Konsultationen er allerede markeret som fortsat over telefon."
    }
    # Without the script: back to the waiting room.
    response = gp.post(url)
    assert response.status_code == 302 and response.url == reverse("consultations:waiting_room")


def test_the_employees_button(world, as_user, admitted) -> None:  # type: ignore[no-untyped-def]
    carer = as_user(world.carer)
    page_url = reverse("consultations:consultation", args=[admitted.pk])
    page = carer.get(page_url).content.decode()
    assert "Vi fortsatte over telefon" in page and "70 10 20 30" in page
    response = carer.post(reverse("consultations:employee_phone", args=[admitted.pk]))
    assert response.status_code == 302 and response.url == page_url
    admitted.refresh_from_db()
    assert (admitted.state, admitted.phone_fallback_by) == (S.ADMITTED, world.carer)
    page = carer.get(page_url)
    assert page.context["snapshot"]["phone_fallback"] is True
    assert "Markeret: I fortsatte over telefon." in page.content.decode()
    with translation.override("en"):
        response = carer.post(
            reverse("consultations:employee_phone", args=[admitted.pk]),
            HTTP_ACCEPT_LANGUAGE="en",
            **JSON,
        )
    assert response.status_code == 409
    assert response.json()["error"] == "The consultation is already marked as continued by phone."


def test_the_doctors_call_page_button(world, as_user, admitted) -> None:  # type: ignore[no-untyped-def]
    gp = as_user(world.gp)
    call_url = reverse("video:clinic_call", args=[admitted.pk])
    phone_url = reverse("consultations:clinic_phone", args=[admitted.pk])
    page = gp.get(call_url).content.decode()
    assert f'action="{phone_url}" id="phone-fallback" class="inline">' in page
    assert gp.post(phone_url, **JSON).json() == {"ok": True}
    page = gp.get(call_url).content.decode()
    assert 'id="phone-fallback" class="inline" hidden>' in page
    assert "Markeret: I fortsatte over telefon." in page


@pytest.mark.parametrize(
    "who, url",
    [
        ("other_gp", "consultations:clinic_phone"),
        ("carer2", "consultations:employee_phone"),
        ("foreign_carer", "consultations:employee_phone"),
    ],
)
def test_someone_elses_consultation_is_404_and_unchanged(world, as_user, queued, who, url) -> None:  # type: ignore[no-untyped-def]
    before = _state(queued)
    response = as_user(getattr(world, who)).post(reverse(url, args=[queued.pk]), **JSON)
    assert response.status_code == 404
    assert _state(queued) == before


@pytest.mark.parametrize(
    "who, url", [("gp", "consultations:clinic_phone"), ("carer", "consultations:employee_phone")]
)
def test_a_forged_id_is_404_and_changes_nothing(world, as_user, queued, who, url) -> None:  # type: ignore[no-untyped-def]
    before = _state(queued)
    response = as_user(getattr(world, who)).post(reverse(url, args=[queued.pk + 1000]), **JSON)
    assert response.status_code == 404
    assert response.json() == {"error": "Konsultationen findes ikke."}
    assert _state(queued) == before


def test_each_side_only_by_its_own_url(world, as_user, queued) -> None:  # type: ignore[no-untyped-def]
    before = _state(queued)
    assert (
        as_user(world.carer)
        .post(reverse("consultations:clinic_phone", args=[queued.pk]))
        .status_code
        == 403
    )
    assert (
        as_user(world.gp)
        .post(reverse("consultations:employee_phone", args=[queued.pk]))
        .status_code
        == 403
    )
    assert _state(queued) == before
    assert (
        as_user(world.gp).get(reverse("consultations:clinic_phone", args=[queued.pk])).status_code
        == 405
    )
