"""Clinic staff keep their doctors' information per ydernummer (issue 32): opening hours,
the back-line number and the optional holidays, absences with a substitute. Every change is
audited; another clinic's staff can change none of it."""

from datetime import date, time

import pytest

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.doctorinfo import actions
from kontaktlaege.doctorinfo.models import Absence, DoctorInfo, OpeningHours
from tests.support import factories
from tests.support.personas import World

PAGE = "/klinik/laegeinfo/"


def hours_post(rows: list[tuple[int, str, str]]) -> dict[str, str]:
    data = {
        "yn": "012345",
        "action": "hours",
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "21",
    }
    for i, (day, start, end) in enumerate(rows):
        data |= {f"hours-{i}-weekday": str(day), f"hours-{i}-start": start, f"hours-{i}-end": end}
    return data


def test_staff_keep_hours_back_line_number_and_absences(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    staff = as_user(world.secretary)
    page = staff.get(PAGE)
    assert page.status_code == 200 and "Ydernummer 012345" in page.content.decode()

    saved = staff.post(PAGE, hours_post([(0, "08:00", "16:00"), (1, "08:00", "12:00")]))
    assert saved.status_code == 302
    assert [str(h) for h in OpeningHours.objects.filter(ydernummer=world.ydernummer)] == [
        "Mandag 08:00–16:00",
        "Tirsdag 08:00–12:00",
    ]
    wrong = staff.post(PAGE, hours_post([(2, "16:00", "08:00")]))
    assert wrong.status_code == 400
    assert "Sluttidspunktet skal ligge efter starttidspunktet." in wrong.content.decode()

    staff.post(PAGE, {"yn": "012345", "action": "details", "back_line_phone": "33 12 34 56"})
    info = DoctorInfo.objects.get(ydernummer=world.ydernummer)
    assert info.back_line_phone == "33 12 34 56"
    assert info.closed_on_optional_holidays is False  # an unticked box is a choice too

    added = staff.post(
        PAGE,
        {
            "yn": "012345",
            "action": "absence",
            "absence-starts": "2026-12-14",
            "absence-ends": "2026-12-18",
            "absence-reason": "Ferie",
            "absence-substitute_name": "Peter Lund",
            "absence-substitute_clinic": "Lægerne i Valby",
            "absence-substitute_phone": "36 44 55 66",
        },
    )
    assert added.status_code == 302
    absence = Absence.objects.get()
    assert (absence.starts, absence.ends, absence.substitute_name) == (
        date(2026, 12, 14),
        date(2026, 12, 18),
        "Peter Lund",
    )
    html = staff.get(PAGE).content.decode()
    assert "Peter Lund" in html and "33 12 34 56" in html

    backwards = staff.post(
        PAGE,
        {"yn": "012345", "action": "absence", "absence-starts": "2026-12-18"}
        | {"absence-ends": "2026-12-14"},
    )
    assert backwards.status_code == 400 and Absence.objects.count() == 1

    staff.post(PAGE, {"yn": "012345", "action": "remove_absence", "absence": str(absence.pk)})
    assert not Absence.objects.exists()

    audited = list(
        AuditEntry.objects.filter(actor=world.secretary).values_list("action", flat=True)
    )
    for action in (
        "opening_hours_changed",
        "doctor_info_changed",
        "absence_added",
        "absence_removed",
    ):
        assert action in audited
    # The number itself is not in the log.
    assert not AuditEntry.objects.filter(detail__icontains="33 12 34 56").exists()


def test_a_clinic_changes_only_its_own_ydernumre(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    other = as_user(world.other_gp)
    assert other.get(PAGE + "?yn=012345").status_code == 404
    assert other.post(PAGE, hours_post([(0, "08:00", "16:00")])).status_code == 404
    assert not OpeningHours.objects.exists()
    with pytest.raises(actions.ActionError):
        actions.set_details(
            world.other_gp, world.ydernummer, back_line_phone="1", closed_on_optional=True
        )
    with pytest.raises(actions.ActionError):
        actions.set_opening_hours(world.carer, world.ydernummer, [(0, time(8), time(9))])
    absence = actions.add_absence(
        world.gp, world.ydernummer, starts=date(2026, 12, 1), ends=date(2026, 12, 2)
    )
    refused = other.post(
        PAGE, {"yn": "045678", "action": "remove_absence", "absence": str(absence.pk)}
    )
    assert refused.status_code == 400 and Absence.objects.filter(pk=absence.pk).exists()
    # A clinic with two ydernumre keeps each apart.
    second = factories.YdernummerFactory(clinic=world.clinic, number="012346")
    page = as_user(world.gp).get(PAGE + "?yn=012346").content.decode()
    assert "Ydernummer 012346" in page and second.number in page
