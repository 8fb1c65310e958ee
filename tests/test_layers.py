import asyncio
import time

from kontaktlaege.layers import ProcessChannelLayer


async def two_pages_hinted(layer: ProcessChannelLayer) -> tuple[str, str]:
    """Two pages of clinic 1, each sent a hint; the layer sweeps on every call."""
    layer.sweep_interval = 0.0
    a, b = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("clinic-1", a)
    await layer.group_add("clinic-1", b)
    await layer.group_send("clinic-1", {"type": "clinic.hint", "seq": 1})
    return a, b


def test_group_send_reaches_members_and_expired_messages_are_still_swept() -> None:
    async def scenario() -> None:
        layer = ProcessChannelLayer(expiry=0)
        a, b = await two_pages_hinted(layer)
        assert layer.channels[a].qsize() == 1 and layer.channels[b].qsize() == 1
        time.sleep(0.01)  # both messages are now past their zero-second expiry
        layer._clean_expired()
        assert a not in layer.channels and a not in layer.groups.get("clinic-1", {})

    asyncio.run(scenario())


def test_sweep_runs_at_most_once_per_interval() -> None:
    layer = ProcessChannelLayer()
    layer.sweep_interval = 60.0
    layer._clean_expired()
    swept_at = layer._swept_at
    layer._clean_expired()
    assert layer._swept_at == swept_at


def test_memberships_expire_after_group_expiry_and_only_then() -> None:
    async def scenario() -> None:
        layer = ProcessChannelLayer(group_expiry=3600)
        layer.sweep_interval = layer.group_sweep_interval = 0.0
        old, new = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("clinic-1", old)
        await layer.group_add("clinic-1", new)
        layer._clean_expired()
        assert set(layer.groups["clinic-1"]) == {old, new}
        # `old` joined two hours ago (as if the page had stayed open): its membership lapses.
        layer.groups["clinic-1"][old] = time.time() - 7200
        layer._oldest_join = layer.groups["clinic-1"][old]
        layer._clean_expired()
        assert set(layer.groups["clinic-1"]) == {new}
        await layer.group_send("clinic-1", {"type": "clinic.hint", "seq": 2})
        assert old not in layer.channels and layer.channels[new].qsize() == 1

    asyncio.run(scenario())


def test_messages_not_yet_expired_stay_and_drained_channels_are_forgotten() -> None:
    async def scenario() -> None:
        layer = ProcessChannelLayer(expiry=60)
        a, b = await two_pages_hinted(layer)
        layer._clean_expired()
        assert layer.channels[a].qsize() == 1 and set(layer.groups["clinic-1"]) == {a, b}
        assert await layer.receive(a) == {"type": "clinic.hint", "seq": 1}
        layer._clean_expired()
        # The sweep now looks only at b, the one channel still holding a message.
        assert layer._holding == {b}

    asyncio.run(scenario())
