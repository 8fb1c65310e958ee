"""The run's fixtures: the personas (tests.support.personas) as `world`, a test client signed in
as one of them, and the product's server on the test database."""

from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test import Client
from pytest_django import DjangoDbBlocker

from kontaktlaege.accounts.models import User
from tests.support import server
from tests.support.personas import World, make_world
from tests.support.signin import verified_client


@pytest.fixture(scope="session")
def live_url(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """The product's server (kontaktlaege.serve) in its own process, serving the real ASGI
    application (HTTP + sockets) on a free loopback port against the test database."""
    with server.server(connection.settings_dict, LOG_LEVEL="WARNING") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture
def as_user() -> Callable[[User], Client]:
    return verified_client


SERVER_FIXTURES = {"live_url", "check_server", "video_server", "server_url", "cluster"}


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):  # type: ignore[no-untyped-def]
    """PBKDF2 costs ~2 s per test world; the hasher is not what these tests are about. Tests
    against a real server process keep the production hasher, which that process uses."""
    if not SERVER_FIXTURES.intersection(request.fixturenames):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def danish() -> Iterator[None]:
    """Each test starts in the default language, whatever a request before it activated."""
    from django.utils import translation

    translation.activate("da")
    yield
    translation.deactivate()
