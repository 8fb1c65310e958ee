"""Hints to open pages after a transaction commits: a sequence number and never personal data.
Pages re-read the state from the database (snapshots.py); the poll repairs a lost hint.

Three groups, so that a page only hears what it may see: the clinic's staff pages, the
pages of the people waiting in the clinic (whose hints carry only the changed place in the
queue) and one consultation's pages."""

from django.db import transaction

from kontaktlaege.live.layer import send_hint


def staff_group(clinic_id: int) -> str:
    return f"clinic-{clinic_id}-staff"


def queue_group(clinic_id: int) -> str:
    return f"clinic-{clinic_id}-queue"


def consultation_group(consultation_id: int) -> str:
    return f"consultation-{consultation_id}"


def clinic_changed(clinic_id: int, seq: int, queue_key: tuple[int, int] | None = None) -> None:
    """`queue_key`: the place in the queue of the one consultation that changed, when only
    one did; the waiting pages ahead of it keep their queue number and need not re-read."""
    staff_hint = {"type": "clinic.hint", "seq": seq}
    queue_hint: dict = {"type": "queue.hint", "seq": seq}
    if queue_key is not None:
        queue_hint["queue_key"] = list(queue_key)
    transaction.on_commit(lambda: send_hint(staff_group(clinic_id), staff_hint))
    transaction.on_commit(lambda: send_hint(queue_group(clinic_id), queue_hint))


def consultation_changed(consultation_id: int, seq: int) -> None:
    hint = {"type": "consultation.hint", "seq": seq}
    transaction.on_commit(lambda: send_hint(consultation_group(consultation_id), hint))
