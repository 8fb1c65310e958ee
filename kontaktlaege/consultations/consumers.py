"""Live sockets of the waiting room (clinic staff) and of one consultation (the waiting
person). A hint or the poll says a newer state exists; the page's socket reads its snapshot
from the database and sends it."""

import asyncio
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kontaktlaege.live.database import on_database
from kontaktlaege.live.per_loop import PerLoop
from kontaktlaege.live.poll import SeqPoll, in_chunks
from kontaktlaege.live.signin import read_verified_user, verified_user
from kontaktlaege.live.sockets import CLOSE_UNAUTHORISED, LiveSocket, seq_of

from . import actions
from .events import consultation_group, queue_group, staff_group
from .models import Consultation, WaitingRoom
from .snapshots import Snapshot, clinic_snapshot_message, consultation_snapshot


def _read_room_seqs(clinic_ids: list[int]) -> dict[int, int]:
    return in_chunks(
        clinic_ids,
        lambda ids: WaitingRoom.objects.filter(clinic_id__in=ids).values_list("clinic_id", "seq"),
    )


def _read_consultation_seqs(consultation_ids: list[int]) -> dict[int, tuple[int, int]]:
    """A consultation's own sequence number and its room's: its page changes with either."""

    def chunk(ids: list[int]) -> Any:
        rows = Consultation.objects.filter(pk__in=ids).values_list(
            "pk", "seq", "clinic__waiting_room__seq"
        )
        return ((pk, (seq, room_seq or 0)) for pk, seq, room_seq in rows)

    return in_chunks(consultation_ids, chunk)


class SharedReads:
    """The clinic's pages in this process that ask for its snapshot at once share one read:
    a read that has not begun yet is new enough for everyone who asks before it begins."""

    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[Snapshot]] = {}

    async def read(self, clinic_id: int) -> Snapshot:
        shared = self.waiting.get(clinic_id)
        if shared is None:
            loop = asyncio.get_running_loop()
            shared = self.waiting[clinic_id] = loop.create_future()

            def begin() -> Snapshot:
                # Scheduled on the loop before any hint of a later commit can be delivered.
                loop.call_soon_threadsafe(self._began, clinic_id, shared)
                return clinic_snapshot_message(clinic_id)

            reading = asyncio.ensure_future(on_database(begin)())
            reading.add_done_callback(lambda done: self._finished(done, shared))
        return await asyncio.shield(shared)

    def _began(self, clinic_id: int, shared: "asyncio.Future[Snapshot]") -> None:
        if self.waiting.get(clinic_id) is shared:
            del self.waiting[clinic_id]

    def _finished(
        self, done: "asyncio.Future[Snapshot]", shared: "asyncio.Future[Snapshot]"
    ) -> None:
        if shared.done():
            return
        if done.cancelled():
            shared.cancel()
        elif done.exception() is not None:
            shared.set_exception(done.exception())  # type: ignore[arg-type]
        else:
            shared.set_result(done.result())


# The pages open in this process (one poll per event loop).
room_polls = PerLoop(lambda: SeqPoll(_read_room_seqs, "waiting-room"))
clinic_reads = PerLoop(SharedReads)
consultation_polls = PerLoop(
    lambda: SeqPoll(
        _read_consultation_seqs,
        "consultation",
        stamp=actions.pages_open,
        stamp_seconds=settings.PRESENCE_STAMP_SECONDS,
    )
)


class WaitingRoomConsumer(LiveSocket):
    """A clinic's waiting-room page: the whole queue, with names, CPR numbers and reasons."""

    async def connect(self) -> None:
        user = await verified_user(self.scope)
        if user is None or not user.is_clinic_staff or user.clinic_id is None:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        self.clinic_id: int = user.clinic_id
        self.sent_seq = -1
        await self.join_group(staff_group(self.clinic_id))
        room_polls().opened(self.clinic_id, self)
        await self.accept()
        await self.send_snapshot()

    async def left(self) -> None:
        if hasattr(self, "clinic_id"):
            room_polls().closed(self.clinic_id, self)

    async def send_snapshot(self, only_if_newer: bool = False) -> None:
        seq, text = await clinic_reads().read(self.clinic_id)
        if only_if_newer and seq <= self.sent_seq:
            return  # another read already sent it
        self.sent_seq = max(self.sent_seq, seq)
        await self.send(text_data=text)

    async def catch_up(self, seq: int) -> None:
        if seq > self.sent_seq:
            await self.send_snapshot(only_if_newer=True)

    async def clinic_hint(self, event: dict[str, Any]) -> None:
        await self.catch_up(event["seq"])

    def polled(self, seq: int) -> None:
        if self.silent():
            self.spawn(self.close())
        elif seq > self.sent_seq:
            self.spawn(self.catch_up(seq))

    async def handle(self, content: dict[str, Any]) -> None:
        if content["type"] == "sync":
            await self.send_snapshot()
            return
        seq = seq_of(content)
        if seq is None:
            await self.error(_("Ugyldigt sekvensnummer."))
            return
        # Compared with the database as of the process's last poll (or, before the first
        # poll, the database itself): a page that missed a push is sent the current state.
        current = room_polls().in_database.get(self.clinic_id)
        if current is None and self.heartbeat_due(client_is_current=seq == self.sent_seq):
            current = await on_database(
                lambda: (
                    WaitingRoom.objects.filter(clinic_id=self.clinic_id)
                    .values_list("seq", flat=True)
                    .first()
                )
            )()
        if current is not None and current > seq:
            await self.send_snapshot()
        await self.send_json({"type": "pong", "seq": seq})


def _own_consultation(scope: dict[str, Any], consultation_id: int) -> Consultation | None:
    """The consultation, if the verified user follows it as the waiting person (one database
    call: an employee's or a citizen's own), or the
    one the session's invitation link queued (an invited person has no account)."""
    user = read_verified_user(scope)
    if user is None:
        from kontaktlaege.video.calls import invited_consultation

        return invited_consultation(scope.get("session"), consultation_id)
    return Consultation.objects.followed_by(user).filter(pk=consultation_id).first()


class ConsultationConsumer(LiveSocket):
    """The waiting person's page: state, live queue number and messages from the clinic. It
    hears only its own consultation's hints and the queue's (sequence numbers and places)."""

    async def connect(self) -> None:
        consultation_id = self.scope["url_route"]["kwargs"]["consultation_id"]
        consultation = await on_database(_own_consultation)(self.scope, consultation_id)
        if consultation is None:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        self.consultation_id: int = consultation.pk
        self.queue_key = consultation.queue_key
        self.sent: tuple[int, int | None, str] | None = None  # seq, queue number, state
        # The room's sequence number this page is up to date with.
        self.room_seen = -1
        await self.join_group(consultation_group(consultation.pk))
        await self.join_group(queue_group(consultation.clinic_id))
        consultation_polls().opened(consultation.pk, self)
        await self.accept()
        if consultation.away_since is not None:
            await on_database(actions.page_back)(consultation.pk)
        await self.send_snapshot()

    async def left(self) -> None:
        if hasattr(self, "consultation_id"):
            if consultation_polls().closed(self.consultation_id, self):
                await on_database(actions.page_gone)(self.consultation_id)

    async def send_snapshot(self, only_if_changed: bool = False) -> None:
        snapshot = await on_database(consultation_snapshot)(self.consultation_id)
        seq, room_seq = snapshot["seq"], snapshot["room_seq"]
        if self.sent is not None and (seq < self.sent[0] or room_seq < self.room_seen):
            return  # an older read finished late
        self.room_seen = room_seq
        key = (seq, snapshot["position"], snapshot["state"])
        if only_if_changed and key == self.sent:
            return
        self.sent = key
        del snapshot["room_seq"]  # this socket's bookkeeping, not for the page
        await self.send_json({"type": "snapshot", "seq": seq, "data": snapshot})

    def _behind_the_database(self, polled: tuple[int, int]) -> bool:
        seq, room_seq = polled
        return self.sent is not None and (seq > self.sent[0] or room_seq > self.room_seen)

    def polled(self, value: tuple[int, int]) -> None:
        if self.silent():  # the person is away: the clean-up tells the clinic
            self.spawn(self.close())
        elif self._behind_the_database(value):
            self.spawn(self.send_snapshot(only_if_changed=True))

    async def queue_hint(self, event: dict[str, Any]) -> None:
        """Someone ahead may have left, so the queue number can change; a change behind
        this place in the queue (a join, usually) cannot change it."""
        changed = event.get("queue_key")
        behind = isinstance(changed, list) and len(changed) == 2 and tuple(changed) > self.queue_key
        if behind or (self.sent is not None and self.sent[2] != Consultation.State.QUEUED):
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
        polled = consultation_polls().in_database.get(self.consultation_id)
        behind = polled is None or self._behind_the_database(polled)
        if (not client_is_current or behind) and self.heartbeat_due(client_is_current):
            await self.send_snapshot(only_if_changed=client_is_current)
        await self.send_json({"type": "pong", "seq": seq})
