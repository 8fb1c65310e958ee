"""Zulip's test_events idea for the live pages: for every action, every page that can see the
change, opened through the real ASGI application, ends up showing exactly what a fresh read
of the database shows. Pushes are hints; here they alone (the repair poll is off) must bring
each page's last snapshot to the truth."""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone, translation

from kontaktlaege.asgi import application
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation, WaitingRoom
from kontaktlaege.consultations.snapshots import clinic_snapshot, consultation_snapshot
from kontaktlaege.live.database import on_database
from kontaktlaege.video import actions as video
from kontaktlaege.video import calls
from tests.support.personas import World, join_on_behalf
from tests.support.threads import run_async
from tests.support.video import user as video_user

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 5  # seconds a message may take on a busy machine; not a performance bar
QUIET = 1.0  # seconds without a message after which a page counts as settled


@pytest.fixture(autouse=True)
def _hints_only(settings) -> None:  # type: ignore[no-untyped-def]
    # Each test runs its own event loop; the in-memory layer must not outlive it. The poll
    # (the repair path) is off: the pushes alone must get every page right.
    channel_layers.backends.clear()
    settings.SEQ_POLL_SECONDS = 3600
    settings.PRESENCE_STAMP_SECONDS = 3600


@dataclass
class Scene:
    """Two people waiting at the clinic (`first` ahead of `second`), one at the other clinic."""

    world: World
    first: Consultation
    second: Consultation
    elsewhere: Consultation
    extra: dict[str, Any] = field(default_factory=dict)

    def principal(self, user: Any) -> calls.Principal:
        return video_user(user)


def make_scene(world: World) -> Scene:
    first = join_on_behalf(world)
    second = actions.join_queue(world.carer2, ydernummer=world.ydernummer, reason="Svimmel")
    elsewhere = actions.join_queue(
        world.foreign_carer, ydernummer=world.other_ydernummer, reason="Udslæt"
    )
    return Scene(world, first, second, elsewhere)


Step = Callable[[Scene], object]


@dataclass
class Case:
    act: Step
    before: Step | None = None  # done, and settled, with the pages open


def _admit_first(s: Scene) -> None:
    actions.admit(s.world.gp, s.first.pk)


def _close(s: Scene) -> None:
    actions.set_mode(s.world.gp, WaitingRoom.Mode.CLOSED)


def _second_away(s: Scene) -> None:
    actions.page_gone(s.second.pk)


def _second_away_past_grace(s: Scene) -> None:
    grace = timedelta(seconds=settings.QUEUE_GRACE_SECONDS + 1)
    actions.page_gone(s.second.pk, since=timezone.now() - grace)


def _schedule_without_windows(s: Scene) -> None:
    actions.set_mode(s.world.gp, WaitingRoom.Mode.SCHEDULE)


def _all_day_today(s: Scene) -> None:
    actions.set_schedule(s.world.gp, [(timezone.localdate().weekday(), time(0), time(23, 59))])


def _gp_in_call(s: Scene) -> None:
    _admit_first(s)
    video.join(s.principal(s.world.gp), s.first.pk, "peer-gp", "channel-gp")


def _invite(s: Scene) -> None:
    _admit_first(s)
    s.extra["invite"] = video.create_invite(s.world.gp, s.first)[0]


CASES: dict[str, Case] = {
    "join_queue": Case(lambda s: join_on_behalf(s.world, "Ondt i ryggen", second=True)),
    "admit": Case(_admit_first),
    "reject": Case(lambda s: actions.reject(s.world.gp, s.first.pk, "Ring til klinikken.")),
    "cancel": Case(lambda s: actions.cancel(s.world.carer, s.first.pk)),
    "end": Case(lambda s: actions.end(s.world.gp, s.first.pk), before=_admit_first),
    "continue_by_phone_queued": Case(
        lambda s: actions.continue_by_phone(s.world.secretary, s.first.pk)
    ),
    "continue_by_phone_admitted": Case(
        lambda s: actions.continue_by_phone(s.world.carer, s.first.pk), before=_admit_first
    ),
    "send_message": Case(lambda s: actions.send_message(s.world.gp, s.second.pk, "Et øjeblik")),
    "set_mode_open": Case(
        lambda s: actions.set_mode(s.world.gp, WaitingRoom.Mode.OPEN), before=_close
    ),
    "set_mode_closed": Case(_close),
    "set_mode_schedule": Case(_schedule_without_windows),
    "set_mode_closed_clear": Case(
        lambda s: actions.set_mode(s.world.gp, WaitingRoom.Mode.CLOSED, clear_queue=True)
    ),
    "set_schedule": Case(_all_day_today, before=_schedule_without_windows),
    "page_gone": Case(_second_away),
    "page_back": Case(lambda s: actions.page_back(s.second.pk), before=_second_away),
    "abandon_stale": Case(lambda s: actions.abandon_stale(), before=_second_away_past_grace),
    # The call's own changes show on the call page only; the live pages must stay true.
    "video_join": Case(
        lambda s: video.join(s.principal(s.world.gp), s.first.pk, "peer-gp", "channel-gp"),
        before=_admit_first,
    ),
    "video_leave": Case(
        lambda s: video.leave(s.principal(s.world.gp), s.first.pk, "peer-gp"), before=_gp_in_call
    ),
    "video_mark_away": Case(
        lambda s: video.mark_away(s.first.pk, "peer-gp", "channel-gp"), before=_gp_in_call
    ),
    "video_create_invite": Case(
        lambda s: video.create_invite(s.world.gp, s.first), before=_admit_first
    ),
    "video_use_invite": Case(
        lambda s: video.use_invite(s.extra["invite"], "Tolk Hansen"), before=_invite
    ),
}


# --- pages -----------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    comm: WebsocketCommunicator
    fresh: Callable[[], dict[str, Any]]  # what the page should show, read now
    last: dict[str, Any] | None = None


def _headers(client: Client) -> list[tuple[bytes, bytes]]:
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()),
    ]


def _in_product_language(read: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    def fresh() -> dict[str, Any]:
        with translation.override(settings.LANGUAGE_CODE):
            return read()

    return fresh


def pages_of(scene: Scene, as_user: Callable[[Any], Client]) -> list[Page]:
    """Every page that can see a change at the clinic: its staff's waiting-room pages, each
    waiting person's page, and (seeing nothing of it) the other clinic's page and its one
    waiting person's page."""
    w = scene.world
    pages = [
        Page(
            f"/ws/klinik/ ({user.username})",
            WebsocketCommunicator(application, "/ws/klinik/", headers=_headers(as_user(user))),
            _in_product_language(lambda clinic=user.clinic_id: clinic_snapshot(clinic)),
        )
        for user in (w.gp, w.secretary, w.other_gp)
    ]
    for c, employee in (
        (scene.first, w.carer),
        (scene.second, w.carer2),
        (scene.elsewhere, w.foreign_carer),
    ):
        path = f"/ws/konsultation/{c.pk}/"
        pages.append(
            Page(
                f"{path} ({employee.username})",
                WebsocketCommunicator(application, path, headers=_headers(as_user(employee))),
                _in_product_language(lambda pk=c.pk: consultation_snapshot(pk)),
            )
        )
    return pages


async def settle(pages: list[Page]) -> None:
    """Read every page until none has had a message for QUIET seconds; keep the last
    snapshot of each."""
    quiet = False
    while not quiet:
        await asyncio.sleep(QUIET)
        quiet = True
        for page in pages:
            while not await page.comm.receive_nothing(timeout=0):
                quiet = False
                message = await page.comm.receive_json_from(timeout=WAIT)
                if message["type"] == "snapshot":
                    page.last = message["data"]


def _in_a_request_thread(step: Step, scene: Scene) -> Any:
    """Run an action on a thread of its own, as an HTTP request does in the server."""

    def run() -> object:
        try:
            return step(scene)
        finally:
            connections.close_all()

    return asyncio.get_running_loop().run_in_executor(None, run)


def _shown(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    assert snapshot is not None, "the page never got a snapshot"
    # "now" is the time of the read; "room_seq" is the waiting socket's own bookkeeping.
    return {k: v for k, v in snapshot.items() if k not in ("now", "room_seq")}


@pytest.mark.parametrize("name", list(CASES))
def test_every_page_shows_a_fresh_read_after_the_action(
    name: str, world: World, as_user: Callable[[Any], Client]
) -> None:
    case = CASES[name]
    scene = make_scene(world)
    pages = pages_of(scene, as_user)

    async def scenario() -> None:
        for page in pages:
            assert (await page.comm.connect(timeout=WAIT))[0], page.name
        try:
            await settle(pages)
            if case.before is not None:
                await _in_a_request_thread(case.before, scene)
                await settle(pages)
            await _in_a_request_thread(case.act, scene)
            await settle(pages)
            for page in pages:
                fresh = json.loads(json.dumps(await on_database(page.fresh)()))
                assert _shown(page.last) == _shown(fresh), f"{name}: {page.name} is stale"
        finally:
            for page in pages:
                await page.comm.disconnect()

    run_async(scenario())
