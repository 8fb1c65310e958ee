"""Push hints to open pages after a transaction commits. A hint only carries a sequence
number: the page (or its socket consumer) re-reads the state from the database."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def clinic_group(clinic_id: int) -> str:
    return f"clinic-{clinic_id}"


def consultation_group(consultation_id: int) -> str:
    return f"consultation-{consultation_id}"


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # The change is committed; pages catch up on their next heartbeat (e.g. while
        # Redis restarts). A lost hint must not turn a saved change into an error page.
        log.warning("push lost for %s", group.split("-")[0], exc_info=True)


def clinic_changed(clinic_id: int, seq: int, queue_key: tuple[int, int] | None = None) -> None:
    """`queue_key`: the place in the queue order of the one consultation that changed, when
    only one did. Nobody ahead of it gets a new queue number, so their pages need not
    re-read; without it, every waiting person's page does."""
    message: dict = {"type": "clinic.hint", "seq": seq}
    if queue_key is not None:
        message["queue_key"] = list(queue_key)
    transaction.on_commit(lambda: _send(clinic_group(clinic_id), message))


def consultation_changed(consultation_id: int, seq: int) -> None:
    transaction.on_commit(
        lambda: _send(
            consultation_group(consultation_id), {"type": "consultation.hint", "seq": seq}
        )
    )
