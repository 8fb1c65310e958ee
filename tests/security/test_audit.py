"""The audit log: tamper detection, each administrator's scope, the citizen's access report
(also as CSV), and that reading the log is itself logged."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from kontaktlaege.audit.log import record, verify_chain
from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.directory import cpr as cprlib
from tests.support.signin import verified_client
from tests.support.threads import at_once


def _chain(n: int = 4) -> list[AuditEntry]:
    return [record("test_entry", detail={"n": i}) for i in range(n)]


def test_intact_chain_verifies(db) -> None:  # type: ignore[no-untyped-def]
    _chain()
    call_command("verify_audit")
    assert verify_chain() == []


@pytest.mark.django_db(transaction=True)
def test_the_chain_holds_when_many_write_at_once() -> None:
    """Entries of different clinics are written at the same moment by different processes:
    the chain's head is locked, so no two entries follow the same one."""

    def write(writer: int) -> None:
        for i in range(15):
            with transaction.atomic():
                record("test_entry", detail={"writer": writer, "n": i})

    at_once(write, 4)
    assert AuditEntry.objects.filter(action="test_entry").count() == 60
    assert verify_chain() == []


def test_edited_row_is_detected(db) -> None:  # type: ignore[no-untyped-def]
    entries = _chain()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET action = %s WHERE id = %s", ["innocent", entries[1].pk]
        )
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert any(f"entry {entries[1].pk}: content changed" in p for p in verify_chain())


def test_deleted_row_is_detected(db) -> None:  # type: ignore[no-untyped-def]
    entries = _chain()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert any(f"entry {entries[2].pk}: previous entry missing" in p for p in verify_chain())


def test_deleted_newest_row_is_detected(db) -> None:  # type: ignore[no-untyped-def]
    entries = _chain()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entries[-1].pk])
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_model_refuses_edit_and_delete(db) -> None:  # type: ignore[no-untyped-def]
    entry = record("test_entry")
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def _report_rows(client, cpr: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.post("/revision/borger/", {"cpr": cprlib.formatted(cpr), "csv": "1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))[1:]


def test_citizen_report_lists_everyone_who_touched_the_citizen(world, scene) -> None:  # type: ignore[no-untyped-def]
    # world.carer looked the citizen up and queued on their behalf; the GP admits.
    from kontaktlaege.consultations import actions

    actions.admit(world.gp, scene.mine.pk)
    actions.send_message(world.gp, scene.mine.pk, "Jeg kommer nu")
    rows = _report_rows(verified_client(scene.admin), world.cpr)
    who = {(r[2], r[3]) for r in rows}
    assert ("mette", "consultation_queued") in who
    assert ("anne", "consultation_admitted") in who
    assert ("anne", "message_sent") in who  # tied to the citizen through the consultation
    # The CSV holds neither the CPR number nor the citizen's name.
    flat = repr(rows)
    assert world.cpr not in flat and world.cpr[:6] not in flat and "Inger" not in flat
    # Another citizen's report does not show this citizen's consultation.
    assert all(
        r[6] != str(scene.mine.pk) for r in _report_rows(verified_client(scene.admin), world.cpr2)
    )


def test_viewing_the_log_is_audited_with_the_citizen_hash(world, scene) -> None:  # type: ignore[no-untyped-def]
    client = verified_client(scene.kbh_admin)
    client.post("/revision/borger/", {"cpr": world.cpr})
    client.post("/revision/", {"cpr": world.cpr})
    client.get("/revision/")
    actions = list(
        AuditEntry.objects.filter(actor=scene.kbh_admin).values_list("action", "citizen_cpr_hash")
    )
    h = cprlib.lookup_hash(world.cpr)
    assert ("citizen_access_report", h) in actions
    assert ("audit_searched", h) in actions
    assert ("audit_searched", "") in actions
    # So the next report on the citizen names the administrator too.
    rows = _report_rows(verified_client(scene.admin), world.cpr)
    assert any(r[2] == "kbhadmin" and r[3] == "citizen_access_report" for r in rows)


def test_cpr_never_travels_in_the_url(world, scene) -> None:  # type: ignore[no-untyped-def]
    response = verified_client(scene.admin).get("/revision/borger/", {"cpr": world.cpr})
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="citizen_access_report").exists()


def _visible(client) -> set[str]:  # type: ignore[no-untyped-def]
    response = client.post("/revision/", {"action": "consultation_queued"})
    assert response.status_code == 200
    return {r.clinic.name for r in response.context["rows"] if r.clinic}


def test_each_admin_sees_only_their_scope(world, scene) -> None:  # type: ignore[no-untyped-def]
    assert _visible(verified_client(scene.admin)) == {world.clinic.name, world.other_clinic.name}
    assert _visible(verified_client(scene.kbh_admin)) == {world.clinic.name}
    assert _visible(verified_client(scene.clinic_admin)) == {world.clinic.name}
    # The Copenhagen admin cannot reach Roskilde's citizen through the report either.
    from kontaktlaege.consultations import actions

    other_cpr = __import__("tests.support.factories", fromlist=["citizen"]).citizen(
        world.other_ydernummer, "Karen Lund"
    )
    actions.join_queue(
        world.foreign_carer,
        ydernummer=world.other_ydernummer,
        reason="Ondt i knæet",
        citizen=actions.CitizenOnBehalf(cpr=other_cpr, name="Karen Lund"),
        consent_given=True,
    )
    assert _report_rows(verified_client(scene.kbh_admin), other_cpr) == []
    assert _report_rows(verified_client(scene.admin), other_cpr) != []


def test_bad_cpr_gives_a_danish_error(world, scene) -> None:  # type: ignore[no-untyped-def]
    response = verified_client(scene.admin).post("/revision/borger/", {"cpr": "12345"})
    assert "Et CPR-nummer består af 10 cifre" in response.content.decode()


def test_csv_cells_cannot_start_formulas(world, scene) -> None:  # type: ignore[no-untyped-def]
    world.carer.first_name = '=HYPERLINK("http://x")'
    world.carer.save()
    record("cpr_lookup", actor=world.carer, citizen_cpr=world.cpr)
    rows = _report_rows(verified_client(scene.admin), world.cpr)
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
