"""Push hints to open pages after a transaction commits. A hint only carries a sequence
number: the page (or its socket consumer) re-reads the state from the database."""

import asyncio
import logging
from concurrent.futures import Future

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from kontaktlaege.server import serving_loop

log = logging.getLogger(__name__)


def clinic_group(clinic_id: int) -> str:
    return f"clinic-{clinic_id}"


def consultation_group(consultation_id: int) -> str:
    return f"consultation-{consultation_id}"


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = serving_loop.get()
    try:
        if loop is None:
            async_to_sync(layer.group_send)(group, message)
            return
        # A request's thread: the loop sends the push when it gets to it, and the request
        # goes on rather than wait for the loop's turn (and for a slow Redis).
        sending = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        sending.add_done_callback(lambda done: _lost_if_failed(group, done))
    except Exception as error:
        _lost(group, error)


def _lost_if_failed(group: str, sending: Future) -> None:
    error = None if sending.cancelled() else sending.exception()
    if error is not None:
        _lost(group, error)


def _lost(group: str, error: BaseException) -> None:
    # The change is committed; pages catch up on the next sequence poll or heartbeat (e.g.
    # while Redis restarts). A lost hint must not turn a saved change into an error page.
    log.warning("push lost for %s", group.split("-")[0], exc_info=error)


def clinic_changed(clinic_id: int, seq: int) -> None:
    transaction.on_commit(
        lambda: _send(clinic_group(clinic_id), {"type": "clinic.hint", "seq": seq})
    )


def consultation_changed(consultation_id: int, seq: int) -> None:
    transaction.on_commit(
        lambda: _send(
            consultation_group(consultation_id), {"type": "consultation.hint", "seq": seq}
        )
    )
