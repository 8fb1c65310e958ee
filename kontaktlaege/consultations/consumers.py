"""Live sockets of the waiting room (clinic staff) and of one consultation (the waiting
person). Pushes are hints: on each, the consumer re-reads the snapshot from the database."""

from typing import Any

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.accounts.sockets import verified_user

from . import actions
from .events import clinic_group, consultation_group
from .models import Consultation, WaitingRoom
from .snapshots import clinic_snapshot, consultation_snapshot
from .sockets import CLOSE_UNAUTHORISED, LiveSocket, seq_of


class WaitingRoomConsumer(LiveSocket):
    async def connect(self) -> None:
        user = await verified_user(self.scope)
        if user is None or not user.is_clinic_staff or user.clinic_id is None:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        self.user: User = user
        self.clinic_id: int = user.clinic_id
        self.sent_seq = -1
        self.group = clinic_group(self.clinic_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def send_snapshot(self) -> None:
        snapshot = await database_sync_to_async(clinic_snapshot)(self.clinic_id)
        self.sent_seq = snapshot["seq"]
        await self.send_json({"type": "snapshot", "seq": snapshot["seq"], "data": snapshot})

    async def clinic_hint(self, event: dict[str, Any]) -> None:
        if event["seq"] > self.sent_seq:
            await self.send_snapshot()

    async def consultation_hint(self, event: dict[str, Any]) -> None:
        pass

    async def handle(self, content: dict[str, Any]) -> None:
        if content["type"] == "sync":
            await self.send_snapshot()
            return
        seq = seq_of(content)
        if seq is None:
            await self.error(_("Ugyldigt sekvensnummer."))
            return
        current = await database_sync_to_async(
            lambda: WaitingRoom.objects.filter(clinic_id=self.clinic_id)
            .values_list("seq", flat=True)
            .first()
        )()
        if current != seq:
            await self.send_snapshot()
        await self.send_json({"type": "pong", "seq": seq})


def _load_own_consultation(user: User, consultation_id: int) -> Consultation | None:
    return (
        Consultation.objects.select_related("clinic")
        .filter(pk=consultation_id, employee=user)
        .first()
    )


class ConsultationConsumer(LiveSocket):
    """The waiting person's page: state, live queue number and messages from the clinic."""

    async def connect(self) -> None:
        user = await verified_user(self.scope)
        consultation_id = self.scope["url_route"]["kwargs"]["consultation_id"]
        consultation = (
            await database_sync_to_async(_load_own_consultation)(user, consultation_id)
            if user is not None
            else None
        )
        if consultation is None:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        self.consultation = consultation
        self.sent: tuple[int, int | None, str] | None = None
        self.groups_joined = [
            consultation_group(consultation.pk),
            clinic_group(consultation.clinic_id),
        ]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await database_sync_to_async(actions.mark_seen)(consultation.pk)
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    def _snapshot(self) -> dict[str, Any]:
        self.consultation.refresh_from_db()
        return consultation_snapshot(self.consultation)

    async def send_snapshot(self, only_if_changed: bool = False) -> None:
        snapshot = await database_sync_to_async(self._snapshot)()
        key = (snapshot["seq"], snapshot["position"], snapshot["state"])
        if only_if_changed and key == self.sent:
            return
        self.sent = key
        await self.send_json({"type": "snapshot", "seq": snapshot["seq"], "data": snapshot})

    async def clinic_hint(self, event: dict[str, Any]) -> None:
        # Someone ahead may have left: the queue number can change.
        if self.sent is None or self.sent[2] == Consultation.State.QUEUED:
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
        await database_sync_to_async(actions.mark_seen)(self.consultation.pk)
        client_is_current = self.sent is not None and seq == self.sent[0]
        await self.send_snapshot(only_if_changed=client_is_current)
        await self.send_json({"type": "pong", "seq": seq})
