"""The process's poll of its open pages' sequence numbers (live/poll.py)."""

import asyncio
import logging

import pytest

from kontaktlaege.live import poll as polls
from kontaktlaege.live.poll import SeqPoll, in_chunks
from tests.support.threads import run_async


class Page:
    def __init__(self) -> None:
        self.told: list[int] = []

    def polled(self, value: int) -> None:
        self.told.append(value)


@pytest.fixture(autouse=True)
def _fast_poll(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SEQ_POLL_SECONDS = 0.05


def test_in_chunks_reads_bounded_lists(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(polls, "IN_LIST", 2)
    asked: list[list[int]] = []

    def read(ids: list[int]) -> list[tuple[int, int]]:
        asked.append(ids)
        return [(i, i * 10) for i in ids]

    assert in_chunks([1, 2, 3, 4, 5], read) == {1: 10, 2: 20, 3: 30, 4: 40, 5: 50}
    assert asked == [[1, 2], [3, 4], [5]]


# The read runs on the sockets' database threads, which close old connections around it.
@pytest.mark.django_db(transaction=True)
def test_pages_are_told_what_the_database_had_and_a_failed_poll_forgets_it(caplog) -> None:  # type: ignore[no-untyped-def]
    database = {7: 3}
    failing = False

    def read(ids: list[int]) -> dict[int, int]:
        if failing:
            raise RuntimeError("the database is away")
        return {i: database[i] for i in ids if i in database}

    async def scenario() -> None:
        nonlocal failing
        poll: SeqPoll[int] = SeqPoll(read, "test")
        page, gone = Page(), Page()
        poll.opened(7, page)
        poll.opened(8, gone)  # deleted meanwhile: never told, nothing kept
        await asyncio.sleep(0.2)
        assert poll.in_database == {7: 3} and 3 in page.told and gone.told == []
        failing = True
        await asyncio.sleep(0.2)
        assert poll.in_database == {}  # heartbeats ask the database themselves meanwhile
        failing = False
        database[7] = 4
        await asyncio.sleep(0.2)
        assert poll.in_database == {7: 4} and page.told[-1] == 4
        assert poll.closed(7, page) and poll.closed(8, gone)
        assert poll.in_database == {}
        await asyncio.sleep(0.1)
        assert poll.poller is not None and poll.poller.done()  # no pages, no polling

    with caplog.at_level(logging.WARNING, logger="kontaktlaege.live.poll"):
        run_async(scenario())
    assert caplog.text.count("test poll failing") == 1 and "test poll works again" in caplog.text
