"""Live sockets of the waiting room (clinic staff) and of one consultation (the waiting
person). Pushes are hints: on each, the consumer re-reads the snapshot from the database, or
takes the one the writer read from it right after its commit (events.py)."""

import asyncio
import logging
from typing import Any

from django.utils.translation import gettext as _

from kontaktlaege.accounts.sockets import read_verified_user, verified_user
from kontaktlaege.per_loop import PerLoop
from kontaktlaege.socket_database import on_database

from . import actions
from .events import clinic_group, consultation_group, unseal
from .models import Consultation, WaitingRoom
from .polls import SeqPoll, in_chunks
from .presence import presence
from .snapshots import Snapshot, clinic_snapshot_message, consultation_snapshot
from .sockets import CLOSE_UNAUTHORISED, LiveSocket, seq_of

log = logging.getLogger(__name__)


def _read_seqs(clinic_ids: list[int]) -> dict[int, int]:
    """The clinics' waiting rooms' sequence numbers."""

    def chunk(ids: list[int]) -> Any:
        return WaitingRoom.objects.filter(clinic_id__in=ids).values_list("clinic_id", "seq")

    return in_chunks(clinic_ids, chunk)


def _read_consultation_seqs(consultation_ids: list[int]) -> dict[int, tuple[int, int]]:
    """The consultations' own sequence numbers and their waiting rooms': what their pages
    show changes only with one of the two."""

    def chunk(ids: list[int]) -> Any:
        rows = Consultation.objects.filter(pk__in=ids).values_list(
            "pk", "seq", "clinic__waiting_room__seq"
        )
        return ((pk, (seq, room_seq or 0)) for pk, seq, room_seq in rows)

    return in_chunks(consultation_ids, chunk)


class ClinicSnapshots:
    """Per process: the pages of one clinic open in this process share one database read
    (and one JSON encoding) per change, instead of one each. Reads still come from the
    database; a cached snapshot is only reused for a hint or heartbeat it is new enough for."""

    def __init__(self) -> None:
        self.latest: dict[int, Snapshot] = {}
        self.reading: dict[int, _Read] = {}
        # The clinics' pages here, and their sequence numbers as of the last poll.
        self.poll: SeqPoll[int] = SeqPoll(_read_seqs, "sequence")

    def opened(self, clinic_id: int, page: "WaitingRoomConsumer") -> None:
        self.poll.opened(clinic_id, page)

    def closed(self, clinic_id: int, page: "WaitingRoomConsumer") -> None:
        if self.poll.closed(clinic_id, page):
            self.latest.pop(clinic_id, None)

    def _start(self, clinic_id: int) -> "_Read":
        read = _Read()

        def run() -> Snapshot:
            read.started = True  # on the database thread, as the read begins
            return clinic_snapshot_message(clinic_id)

        # A task of its own: a page that disconnects mid-read does not cancel it for others.
        read.task = asyncio.ensure_future(on_database(run)())
        self.reading[clinic_id] = read
        read.task.add_done_callback(lambda t: self._finished(clinic_id, read))
        return read

    def _finished(self, clinic_id: int, read: "_Read") -> None:
        if self.reading.get(clinic_id) is read:
            del self.reading[clinic_id]
        task = read.task
        if not task.cancelled() and task.exception() is None:
            self.offer(clinic_id, task.result())

    def _latest_seq(self, clinic_id: int) -> int:
        cached = self.latest.get(clinic_id)
        return -1 if cached is None else cached[0]

    def offer(self, clinic_id: int, snapshot: Snapshot) -> None:
        """Keep a snapshot read from the database for the clinic's pages, if it is newer."""
        if clinic_id in self.poll.pages and snapshot[0] >= self._latest_seq(clinic_id):
            self.latest[clinic_id] = snapshot

    def offer_sealed(self, clinic_id: int, seq: int, token: object) -> None:
        """A snapshot that came sealed through Redis with the hint for `seq`: opened once for
        the clinic's pages in this process (the first of them to get the hint), unless one
        as new is at hand. Its own sequence number is the one sealed with it."""
        if clinic_id not in self.poll.pages or seq <= self._latest_seq(clinic_id):
            return
        snapshot = unseal(token)
        if snapshot is None:  # the pages read it from the database instead
            log.warning("a sealed snapshot in a hint could not be opened")
            return
        self.offer(clinic_id, snapshot)

    async def fresh(self, clinic_id: int) -> Snapshot:
        """A read that begins after this call (a page that connects or asks to sync). One
        already queued that has not begun will do: when many pages connect at once, those
        of a clinic share it instead of queueing a read each."""
        pending = self.reading.get(clinic_id)
        if pending is None or pending.started:
            pending = self._start(clinic_id)
        return await asyncio.shield(pending.task)

    async def at_least(self, clinic_id: int, seq: int) -> Snapshot:
        """A snapshot with sequence number `seq` or newer: cached, the read already under
        way, or a new read (hints arrive after their commit, so a new read is new enough)."""
        while True:
            cached = self.latest.get(clinic_id)
            if cached is not None and cached[0] >= seq:
                return cached
            pending = self.reading.get(clinic_id)
            own = pending is None
            if pending is None:
                pending = self._start(clinic_id)
            result = await asyncio.shield(pending.task)
            if own or result[0] >= seq:
                return result


class _Read:
    """One snapshot read of a clinic, shared by the pages that wait for it."""

    task: "asyncio.Future[Snapshot]"
    started = False


# The process's shared reads (one per event loop).
clinic_snapshots = PerLoop(ClinicSnapshots)
# The waiting persons' pages here, and their consultations' and rooms' sequence numbers as of
# the last poll.
consultation_polls = PerLoop(lambda: SeqPoll(_read_consultation_seqs, "consultation"))


class WaitingRoomConsumer(LiveSocket):
    async def connect(self) -> None:
        user = await verified_user(self.scope)
        if user is None or not user.is_clinic_staff or user.clinic_id is None:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        # Only the clinic is kept: thousands of idle pages should hold little memory.
        self.clinic_id: int = user.clinic_id
        self.sent_seq = -1
        self.group = clinic_group(self.clinic_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        clinic_snapshots().opened(self.clinic_id, self)
        await self.accept()
        await self.send_snapshot(await clinic_snapshots().fresh(self.clinic_id))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            clinic_snapshots().closed(self.clinic_id, self)
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def send_snapshot(self, snapshot: Snapshot) -> None:
        seq, text = snapshot
        if seq < self.sent_seq:
            return  # an older read finished late; the page already has newer
        self.sent_seq = seq
        await self.send(text_data=text)

    async def clinic_hint(self, event: dict[str, Any]) -> None:
        # Read by the writer right after its commit (events.py): in this process as it is,
        # through Redis sealed.
        snapshot = event.get("snapshot")
        if snapshot is not None:
            clinic_snapshots().offer(self.clinic_id, (snapshot[0], snapshot[1]))
        elif "sealed_snapshot" in event:
            clinic_snapshots().offer_sealed(self.clinic_id, event["seq"], event["sealed_snapshot"])
        await self.catch_up(event["seq"])

    def polled(self, seq: int) -> None:
        if self.sent_seq < seq:
            asyncio.ensure_future(self.catch_up(seq))

    async def catch_up(self, seq: int) -> None:
        if seq > self.sent_seq:
            await self.send_snapshot(await clinic_snapshots().at_least(self.clinic_id, seq))

    async def consultation_hint(self, event: dict[str, Any]) -> None:
        pass

    async def handle(self, content: dict[str, Any]) -> None:
        if content["type"] == "sync":
            await self.send_snapshot(await clinic_snapshots().fresh(self.clinic_id))
            return
        seq = seq_of(content)
        if seq is None:
            await self.error(_("Ugyldigt sekvensnummer."))
            return
        # The heartbeat compares with the database, as of the process's last poll: it
        # repairs a page that missed a push.
        polled = clinic_snapshots().poll.in_database.get(self.clinic_id)
        if polled is not None:
            # Pushes newer than the poll may have reached the page: only behind counts.
            current: int | None = polled
            stale = polled > seq
        else:  # not polled yet: ask the database itself
            if not self.heartbeat_due(client_is_current=seq == self.sent_seq):
                await self.send_json({"type": "pong", "seq": seq})
                return
            current = await on_database(
                lambda: (
                    WaitingRoom.objects.filter(clinic_id=self.clinic_id)
                    .values_list("seq", flat=True)
                    .first()
                )
            )()
            stale = current is not None and current != seq
        if stale and current is not None:
            self.sent_seq = -1  # the page says it has `seq`: send whatever is current
            await self.send_snapshot(await clinic_snapshots().at_least(self.clinic_id, current))
        await self.send_json({"type": "pong", "seq": seq})


def _own_consultation(scope: dict[str, Any], consultation_id: int) -> Consultation | None:
    """The consultation, if it is the verified employee's own: one call on the sockets'
    database threads instead of two (each call waits its turn there and on the event loop)."""
    user = read_verified_user(scope)
    if user is None:
        return None
    return Consultation.objects.filter(pk=consultation_id, employee=user).first()


class ConsultationConsumer(LiveSocket):
    """The waiting person's page: state, live queue number and messages from the clinic."""

    async def connect(self) -> None:
        consultation_id = self.scope["url_route"]["kwargs"]["consultation_id"]
        consultation = await on_database(_own_consultation)(self.scope, consultation_id)
        if consultation is None:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        # Only what the hints need: thousands of idle pages should hold little memory.
        self.consultation_id: int = consultation.pk
        self.queue_key = consultation.queue_key
        self.sent: tuple[int, int | None, str] | None = None  # seq, queue number, state
        # The room's sequence number this page is up to date with: of the snapshot it was
        # sent, or of a later hint about a change that could not move it in the queue.
        self.room_seen = -1
        self.repairing = False
        self.groups_joined = [
            consultation_group(consultation.pk),
            clinic_group(consultation.clinic_id),
        ]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        consultation_polls().opened(consultation.pk, self)
        # A page opened just after its join (or a heartbeat) has nothing to stamp.
        if not actions.stamp_is_fresh(consultation.last_seen_at):
            presence.note(consultation.pk)
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "groups_joined"):
            return  # refused before it joined anything
        consultation_polls().closed(self.consultation_id, self)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    def _behind_us(self, event: dict[str, Any]) -> bool:
        """Whether the change the hint is about is behind this consultation in the queue:
        then it cannot give us a new queue number (a join, usually, is behind everyone)."""
        changed = event.get("queue_key")
        if not (isinstance(changed, list) and len(changed) == 2):
            return False
        return tuple(changed) > self.queue_key

    async def send_snapshot(self, only_if_changed: bool = False) -> None:
        snapshot = await on_database(consultation_snapshot)(self.consultation_id)
        seq, room_seq = snapshot["seq"], snapshot["room_seq"]
        if self.sent is not None and (seq < self.sent[0] or room_seq < self.room_seen):
            return  # an older read finished late (the poll's repair runs beside the hints)
        self.room_seen = room_seq
        key = (seq, snapshot["position"], snapshot["state"])
        if only_if_changed and key == self.sent:
            return
        self.sent = key
        await self.send_json({"type": "snapshot", "seq": seq, "data": snapshot})

    def _behind_the_database(self, polled: tuple[int, int]) -> bool:
        seq, room_seq = polled
        return self.sent is not None and (seq > self.sent[0] or room_seq > self.room_seen)

    def polled(self, value: tuple[int, int]) -> None:
        """A push this page should have had was lost: read again, once at a time."""
        if self.repairing or not self._behind_the_database(value):
            return
        self.repairing = True

        async def repair() -> None:
            try:
                await self.send_snapshot(only_if_changed=True)
            finally:
                self.repairing = False

        asyncio.ensure_future(repair())

    async def clinic_hint(self, event: dict[str, Any]) -> None:
        # A clinic snapshot in the hint is the clinic's, never for this page: not sent on.
        # Someone ahead may have left: the queue number can change.
        if (self.sent is not None and self.sent[2] != Consultation.State.QUEUED) or self._behind_us(
            event
        ):
            self.room_seen = max(self.room_seen, event["seq"])
            return
        await self.send_snapshot(only_if_changed=True)

    async def consultation_hint(self, event: dict[str, Any]) -> None:
        if self.sent is None or event["seq"] > self.sent[0]:
            await self.send_snapshot()

    async def handle(self, content: dict[str, Any]) -> None:
        if content["type"] == "sync":
            await self.send_snapshot()
            return
        seq = seq_of(content)
        if seq is None:
            await self.error(_("Ugyldigt sekvensnummer."))
            return
        client_is_current = self.sent is not None and seq == self.sent[0]
        if not self.heartbeat_due(client_is_current):
            await self.send_json({"type": "pong", "seq": seq})
            return
        presence.note(self.consultation_id)
        # Compared with the database as of the process's last poll, as the clinic's pages
        # are: the poll itself repairs a missed push.
        polled = consultation_polls().in_database.get(self.consultation_id)
        if not client_is_current or polled is None or self._behind_the_database(polled):
            await self.send_snapshot(only_if_changed=client_is_current)
        await self.send_json({"type": "pong", "seq": seq})
