"""Push hints to open pages after a transaction commits. A hint carries a sequence number:
the page (or its socket consumer) re-reads the state from the database, or takes the
snapshot the writer read from it right after its commit."""

import base64
import functools
import logging

from channels.layers import get_channel_layer
from cryptography.fernet import Fernet, InvalidToken
from django.db import transaction
from django.utils.crypto import salted_hmac

from kontaktlaege.layers import ProcessChannelLayer, send_hint

from .snapshots import Snapshot, clinic_snapshot_message

log = logging.getLogger(__name__)


def clinic_group(clinic_id: int) -> str:
    return f"clinic-{clinic_id}"


def consultation_group(consultation_id: int) -> str:
    return f"consultation-{consultation_id}"


def clinic_changed(clinic_id: int, seq: int, queue_key: tuple[int, int] | None = None) -> None:
    """`queue_key`: the place in the queue order of the one consultation that changed, when
    only one did. Nobody ahead of it gets a new queue number, so their pages need not
    re-read; without it, every waiting person's page does."""
    message: dict = {"type": "clinic.hint", "seq": seq}
    if queue_key is not None:
        message["queue_key"] = list(queue_key)
    transaction.on_commit(
        lambda: send_hint(clinic_group(clinic_id), _with_snapshot(clinic_id, message))
    )


def _with_snapshot(clinic_id: int, message: dict) -> dict:
    """The writer reads the clinic's snapshot right after its commit and the hint carries it,
    so the pages need not queue for their process's database thread and read it there: that
    wait and read were 1.6 ms of a join's 4.3 ms fan-out on one process (bench/, 100 pages),
    and with several processes each of them read it once per change. With the in-process
    layer only when pages of the clinic are open in this process. Through Redis it goes
    sealed (`seal`): the snapshot holds names and CPR numbers. Waiting people's sockets, also
    in the group, never send it on (consumers.py)."""
    layer = get_channel_layer()
    # By class: the Redis layer is a proxy that resolves any attribute asked of it on the
    # running event loop, which a request's thread does not have.
    in_process = isinstance(layer, ProcessChannelLayer)
    if in_process and not layer.has_members(clinic_group(clinic_id)):
        return message
    try:
        seq, text = clinic_snapshot_message(clinic_id)
    except Exception:  # the change is committed: the pages read the snapshot themselves
        log.warning("snapshot for the hint not read", exc_info=True)
        return message
    if in_process:
        return message | {"snapshot": [seq, text]}
    return message | {"sealed_snapshot": seal((seq, text))}


@functools.cache
def _hint_key() -> Fernet:
    # Every process shares SECRET_KEY (sessions need it too); a key of its own for hints.
    key = salted_hmac("kontaktlaege.hint-snapshot", "", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(snapshot: Snapshot) -> str:
    """Encrypted and authenticated, its sequence number inside: Redis (or whoever can read
    it) sees no personal data, and whoever can write to it cannot forge what a page shows
    nor pass an old snapshot off as a newer one."""
    seq, text = snapshot
    return _hint_key().encrypt(f"{seq}\n{text}".encode()).decode()


def unseal(token: object) -> Snapshot | None:
    """The sealed snapshot, or None when it is not a token of ours or older than a minute (a
    page then reads the snapshot from the database)."""
    if not isinstance(token, str):
        return None
    try:
        seq, _, text = _hint_key().decrypt(token.encode(), ttl=60).decode().partition("\n")
        return int(seq), text
    except (InvalidToken, UnicodeError, ValueError):
        return None


def consultation_changed(consultation_id: int, seq: int) -> None:
    transaction.on_commit(
        lambda: send_hint(
            consultation_group(consultation_id), {"type": "consultation.hint", "seq": seq}
        )
    )
