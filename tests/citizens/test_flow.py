"""The citizen's own flow ("Borger selv") after signing in with MitID: the own doctor from the
registry (or a clear message why not), the device check, the reason, the queue (once, however
often the form is sent), the live page, leaving and ending; the clinic sees the citizen's name
and CPR number. Only the citizen's own consultation opens, and no page shows the back-line
number."""

from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation, WaitingRoom
from kontaktlaege.consultations.snapshots import clinic_snapshot
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.demo import synthetic_cpr
from kontaktlaege.doctorinfo import actions as doctorinfo
from kontaktlaege.video.calls import Principal, role_of
from tests.support import factories
from tests.support.citizens import citizen_client, make_citizen
from tests.support.personas import World

START = reverse("citizens:start")
CHECK = reverse("citizens:device_check")
REASON = reverse("citizens:reason")
BACK_LINE = "33 91 82 73"


def _ready(client: Client) -> str:
    """Through the start page and the device check; the reason form's draft token."""
    assert client.get(START).status_code == 200
    # The employee's device check, addressed to the citizen themselves.
    assert "Sørg for, at dit ansigt er tydeligt" in client.get(CHECK).content.decode()
    assert client.post(CHECK, {"audio_only": "0"})["Location"] == REASON
    page = client.get(REASON).content.decode()
    return page.split('name="draft_token" value="', 1)[1].split('"', 1)[0]


def test_the_citizen_sees_their_own_doctor_without_the_back_line_number(world: World) -> None:
    doctorinfo.set_details(
        world.gp, world.ydernummer, back_line_phone=BACK_LINE, closed_on_optional=True
    )
    citizen = make_citizen()
    page = citizen_client(citizen, world.cpr).get(START).content.decode()
    assert "Lægehuset Nørrebro" in page and world.ydernummer.number in page
    assert "Du er logget ind som Inger Jensen" in page
    assert 'href="/borger/udstyrstjek/"' in page
    assert BACK_LINE not in page and BACK_LINE.replace(" ", "") not in page
    # The look-up is the employee's: audited with the citizen as the one who looked.
    (lookup,) = AuditEntry.objects.filter(action="cpr_lookup")
    assert lookup.actor == citizen
    assert lookup.citizen_cpr_hash == cprlib.lookup_hash(world.cpr)


@pytest.mark.parametrize("case", ["unknown", "no_doctor", "no_video", "closed"])
def test_no_call_without_an_own_doctor_taking_video_now(world: World, case: str) -> None:
    cpr, says = world.cpr, ""
    if case == "unknown":
        cpr = synthetic_cpr(date(1990, 2, 3), 1230)
        says = "Dit CPR-nummer findes ikke i lægeregisteret"
    elif case == "no_doctor":
        cpr = factories.citizen(None, "Poul Hansen")
        says = "Du har ikke en egen læge registreret"
    elif case == "no_video":
        world.clinic.offers_video = False
        world.clinic.save()
        says = "tilbyder ikke videokonsultation. Ring til klinikken på 70 10 20 30"
    else:
        WaitingRoom.objects.filter(clinic=world.clinic).update(mode=WaitingRoom.Mode.CLOSED)
        says = "venteværelse er lukket lige nu. Ring til klinikken på 70 10 20 30"
    client = citizen_client(make_citizen(), cpr)
    page = client.get(START).content.decode()
    assert says in page
    assert 'href="/borger/udstyrstjek/"' not in page
    # Nothing to check or queue for.
    assert client.get(CHECK)["Location"] == START
    assert client.post(REASON, {"reason": "Ondt i halsen"})["Location"] == START
    assert not Consultation.objects.exists()


@pytest.mark.parametrize(
    "reason", ["", "Hej", "x" * (settings.REASON_MAX_LENGTH + 1)], ids=["empty", "short", "long"]
)
def test_the_reason_is_required_and_bounded(world: World, reason: str) -> None:
    client = citizen_client(make_citizen(), world.cpr)
    token = _ready(client)
    response = client.post(REASON, {"reason": reason, "draft_token": token})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Consultation.objects.exists()


def test_the_citizen_queues_once_and_the_clinic_sees_them(world: World) -> None:
    citizen = make_citizen()
    client = citizen_client(citizen, world.cpr)
    token = _ready(client)
    form = {"reason": "Ondt i halsen siden i går", "draft_token": token}
    response = client.post(REASON, form)
    c = Consultation.objects.get()
    page_url = reverse("citizens:consultation", args=[c.pk])
    assert response["Location"] == page_url
    assert (c.kind, c.state, c.consent_given) == ("citizen", "queued", False)
    # The citizen's account is the consultation's own link: no employee, none shown or counted.
    assert (c.citizen_account, c.employee, c.employee_name, c.employee_workplace) == (
        citizen,
        None,
        "",
        "",
    )
    assert (c.citizen_name, c.citizen_cpr, c.reason) == (
        "Inger Jensen",
        world.cpr,
        "Ondt i halsen siden i går",
    )
    # The same form sent again (a double tap, Back and send): the one queued, not another.
    assert client.post(REASON, form)["Location"] == page_url
    assert Consultation.objects.count() == 1
    (queued,) = AuditEntry.objects.filter(action="consultation_queued")
    assert queued.actor == citizen and queued.detail == {"kind": "citizen"}

    page = client.get(page_url).content.decode()
    assert 'id="queue-number">1<' in page and 'data-socket="/ws/konsultation/' in page
    assert client.get(START)["Location"] == page_url  # the start page leads back to it
    (entry,) = clinic_snapshot(world.clinic.pk)["entries"]
    assert (entry["kind_label"], entry["citizen_name"], entry["citizen_cpr"]) == (
        "Borger selv",
        "Inger Jensen",
        cprlib.formatted(world.cpr),
    )


def test_a_citizen_already_waiting_cannot_queue_twice(world: World) -> None:
    first, second = make_citizen(), make_citizen()  # one person, two accounts (two NameIDs)
    one, other = citizen_client(first, world.cpr), citizen_client(second, world.cpr)
    one.post(REASON, {"reason": "Ondt i halsen", "draft_token": _ready(one)})
    response = other.post(REASON, {"reason": "Ondt i halsen", "draft_token": _ready(other)})
    assert "Du står allerede i kø hos lægen." in response.content.decode()
    assert Consultation.objects.count() == 1


def test_only_the_citizens_own_consultation_opens_and_they_leave_or_end_it(
    world: World,
) -> None:
    citizen = make_citizen()
    client = citizen_client(citizen, world.cpr)
    client.post(REASON, {"reason": "Ondt i halsen", "draft_token": _ready(client)})
    c = Consultation.objects.get()
    stranger = citizen_client(make_citizen(), world.cpr2)
    for url in ("consultation", "cancel", "end"):
        path = reverse(f"citizens:{url}", args=[c.pk])
        assert stranger.post(path).status_code == 404
    assert role_of(Principal(key="x", user=citizen), c) == ("citizen", "Inger Jensen")
    assert role_of(Principal(key="y", user=make_citizen()), c) is None

    json = {"HTTP_ACCEPT": "application/json"}
    assert client.post(reverse("citizens:end", args=[c.pk]), **json).status_code == 400
    assert client.post(reverse("citizens:cancel", args=[c.pk]), **json).json() == {"ok": True}
    c.refresh_from_db()
    assert c.state == "cancelled"
    # Queued again and admitted: the citizen ends the call.
    client.post(REASON, {"reason": "Ondt i halsen", "draft_token": _ready(client)})
    again = Consultation.objects.exclude(pk=c.pk).get()
    actions.admit(world.gp, again.pk)
    assert client.post(reverse("citizens:end", args=[again.pk]), **json).json() == {"ok": True}
    again.refresh_from_db()
    assert again.state == "ended"
