import asyncio
import time

from kontaktlaege.layers import ProcessChannelLayer


def test_group_send_reaches_members_and_expired_messages_are_still_swept() -> None:
    async def scenario() -> None:
        layer = ProcessChannelLayer(expiry=0)
        layer.sweep_interval = 0.0
        a, b = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("clinic-1", a)
        await layer.group_add("clinic-1", b)
        await layer.group_send("clinic-1", {"type": "clinic.hint", "seq": 1})
        assert layer.channels[a].qsize() == 1 and layer.channels[b].qsize() == 1
        time.sleep(0.01)  # both messages are now past their zero-second expiry
        layer._clean_expired()
        assert a not in layer.channels and a not in layer.groups.get("clinic-1", {})

    asyncio.run(scenario())


def test_sweep_runs_at_most_once_per_interval() -> None:
    layer = ProcessChannelLayer()
    layer.sweep_interval = 60.0
    layer._clean_expired()
    layer.channels["x"] = asyncio.Queue()  # would be removed by a sweep (empty, no messages)
    swept_at = layer._swept_at
    layer._clean_expired()
    assert layer._swept_at == swept_at
