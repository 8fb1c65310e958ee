"""Fixtures of the video tests (tests/video/conftest.py makes them the folder's): a running
call, the hints its actions send, and running an action through its commit."""

from collections.abc import Callable
from typing import Any

import pytest

from kontaktlaege.consultations import actions as consultations
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.video import actions
from tests.support.personas import World


@pytest.fixture
def running(world: World) -> Consultation:
    """The Copenhagen carer's consultation, admitted by the GP."""
    c = consultations.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste")
    return consultations.admit(world.gp, c.pk)


@pytest.fixture
def hints(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The messages the video actions send to the call's sockets."""
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(actions, "send_hint", lambda group, message: sent.append(message))
    return sent


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run an action and then what it left for after the commit (the test's own transaction
    never commits). Callbacks of a rolled-back action are gone by then."""

    def run(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run
