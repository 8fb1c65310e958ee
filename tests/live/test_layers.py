"""The embedded channel layer (live/layer.py): channels' in-memory layer, swept at most once
per interval, and sending hints from a request's thread."""

import asyncio
import inspect
import logging
import time

import channels
from channels.layers import InMemoryChannelLayer

from kontaktlaege.live import layer as live_layer
from kontaktlaege.live.layer import ProcessChannelLayer


def test_channels_still_sweeps_through_the_method_the_layer_throttles() -> None:
    """Breaks when channels changes what ProcessChannelLayer overrides: then look again."""
    assert channels.__version__ == "4.3.2"
    for method in (InMemoryChannelLayer.receive, InMemoryChannelLayer.group_send):
        assert "self._clean_expired()" in inspect.getsource(method)


def test_expired_messages_are_swept_at_most_once_per_interval() -> None:
    async def scenario() -> None:
        layer = ProcessChannelLayer(expiry=0)
        a, b = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("clinic-1-staff", a)
        await layer.group_add("clinic-1-staff", b)
        await layer.group_send("clinic-1-staff", {"type": "clinic.hint", "seq": 1})
        time.sleep(0.01)  # both messages are now past their zero-second expiry
        await layer.group_send("clinic-1-staff", {"type": "clinic.hint", "seq": 2})
        assert layer.channels[a].qsize() == 2  # swept moments ago: not again yet
        layer._swept_at = 0.0
        await layer.group_send("clinic-1-staff", {"type": "clinic.hint", "seq": 3})
        assert not layer.groups.get("clinic-1-staff")  # expired channels leave their groups

    asyncio.run(scenario())


def test_a_failing_layer_is_logged_once_until_it_works_again(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    class Broken:
        def __init__(self) -> None:
            self.failing = True
            self.sent = 0

        async def group_send(self, group: str, message: dict) -> None:
            if self.failing:
                raise ConnectionError("redis away")
            self.sent += 1

    broken = Broken()
    monkeypatch.setattr(live_layer, "get_channel_layer", lambda: broken)
    monkeypatch.setattr(live_layer.layer_health, "failing", False)
    with caplog.at_level(logging.WARNING, logger="kontaktlaege.live.layer"):
        for seq in range(5):
            live_layer.send_hint("clinic-1-staff", {"type": "clinic.hint", "seq": seq})
        broken.failing = False
        live_layer.send_hint("clinic-1-staff", {"type": "clinic.hint", "seq": 5})
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "failing" in messages[0] and "works again" in messages[1]
    assert broken.sent == 1 and not any(r.exc_info for r in caplog.records)


def test_the_redis_layers_traceback_a_second_becomes_one_warning(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """channels_redis's receive task logs a traceback every second while Redis is away."""
    monkeypatch.setattr(live_layer.layer_health, "failing", False)
    redis_log = logging.getLogger("channels_redis.pubsub")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            try:
                raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")
            except ConnectionError:
                redis_log.exception("Unexpected exception in receive task")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "failing" in caplog.records[0].getMessage() and not caplog.records[0].exc_info


def test_channels_dispatch_still_hops_to_the_database_thread() -> None:
    """LiveSocket.dispatch leaves out channels' close_old_connections before every message;
    breaks when channels changes its dispatch, so that the override is looked at again."""
    from channels.consumer import AsyncConsumer

    assert "aclose_old_connections()" in inspect.getsource(AsyncConsumer.dispatch)


def test_a_request_leaves_its_database_connection_closed(transactional_db) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    from kontaktlaege.live.process import close_request_connections

    connection.ensure_connection()
    close_request_connections()
    assert connection.connection is None
