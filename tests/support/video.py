"""Helpers of the video tests: who joins a call (a user's principal, a new peer id), and the
fixtures tests/video/conftest.py makes the folder's: a running call, the hints its actions
send, and running an action through its commit."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from kontaktlaege.consultations import actions as consultations
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.video import actions, calls
from tests.support.personas import World


def user(u: Any) -> calls.Principal:
    """A signed-in user as a call knows them."""
    return calls.Principal(key=f"user:{u.pk}", user=u)


def peer() -> str:
    """A new page's peer id."""
    return uuid.uuid4().hex


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
