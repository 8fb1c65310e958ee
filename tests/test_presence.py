"""The waiting pages' heartbeats: noted in memory, written as "last seen" in one statement
per round, off the sockets' shared database thread (consultations/presence.py)."""

import logging
import time
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kontaktlaege.consultations import actions
from kontaktlaege.consultations import presence as presence_module
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.consultations.presence import Presence

from . import factories

S = Consultation.State


def _waiting(world, n: int) -> list[Consultation]:  # type: ignore[no-untyped-def]
    queue = []
    for i in range(n):
        employee = factories.EmployeeFactory(municipality=world.carer.municipality)
        queue.append(actions.join_queue(employee, ydernummer=world.ydernummer, reason=f"Årsag {i}"))
    return queue


def _age(consultations: list[Consultation], seconds: float) -> None:
    old = timezone.now() - timedelta(seconds=seconds)
    Consultation.objects.filter(pk__in=[c.pk for c in consultations]).update(last_seen_at=old)


def _stamps(consultations: list[Consultation]) -> list:  # type: ignore[type-arg]
    return [Consultation.objects.get(pk=c.pk).last_seen_at for c in consultations]


def test_one_statement_stamps_every_noted_page_that_is_due(world) -> None:  # type: ignore[no-untyped-def]
    due_a, due_b, fresh, cancelled = _waiting(world, 4)
    actions.cancel(cancelled.employee, cancelled.pk)
    _age([due_a, due_b, cancelled], 60)
    before = _stamps([due_a, due_b, fresh, cancelled])
    presence = Presence(background=False)
    for c in (due_a, due_b, fresh, cancelled, due_a):
        presence.note(c.pk)
    with CaptureQueriesContext(connection) as queries:
        presence.flush()
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"]
    after = _stamps([due_a, due_b, fresh, cancelled])
    assert after[0] > before[0] and after[1] > before[1]
    assert after[2:] == before[2:]  # stamped lately; no longer waiting
    with CaptureQueriesContext(connection) as again:
        presence.flush()  # nothing noted since
    assert again.captured_queries == []


def test_a_failed_round_is_logged_without_personal_data_and_the_next_is_written(  # type: ignore[no-untyped-def]
    world, monkeypatch, caplog
) -> None:
    (c,) = _waiting(world, 1)
    _age([c], 60)
    presence = Presence(background=False)
    mark_seen = actions.mark_seen

    def locked(ids):  # type: ignore[no-untyped-def]
        raise DatabaseError("database is locked")

    monkeypatch.setattr(actions, "mark_seen", locked)
    presence.note(c.pk)
    with caplog.at_level(logging.WARNING, logger="kontaktlaege.consultations.presence"):
        presence.flush()
    assert [r.getMessage() for r in caplog.records] == ["presence: 1 stamps not written"]
    assert c.reason not in caplog.text and c.employee.get_full_name() not in caplog.text
    monkeypatch.setattr(actions, "mark_seen", mark_seen)
    presence.note(c.pk)  # the page's next heartbeat
    presence.flush()
    assert _stamps([c])[0] > timezone.now() - timedelta(seconds=5)


@pytest.mark.django_db(transaction=True)
def test_the_thread_writes_what_was_noted(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PRESENCE_FLUSH_SECONDS = 0.05
    (c,) = _waiting(world, 1)
    _age([c], 60)
    old = _stamps([c])[0]
    presence = Presence()
    presence.note(c.pk)
    deadline = timezone.now() + timedelta(seconds=5)  # a busy machine; not a performance bar
    while _stamps([c])[0] == old and timezone.now() < deadline:
        time.sleep(0.05)
    assert _stamps([c])[0] > old


def test_many_stamps_are_written_in_slices(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(presence_module, "STAMPS_PER_WRITE", 2)
    queue = _waiting(world, 5)
    _age(queue, 60)
    presence = Presence(background=False)
    for c in queue:
        presence.note(c.pk)
    with CaptureQueriesContext(connection) as queries:
        presence.flush()
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"] * 3
    assert all(stamp > timezone.now() - timedelta(seconds=5) for stamp in _stamps(queue))
