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


@pytest.fixture(autouse=True)
def _servers_quiet_before_the_flush(request):  # type: ignore[no-untyped-def]
    """On PostgreSQL a server process may still be writing a closed page's clean-up when the
    test's tables are truncated, and the two deadlock: wait until its connections are idle."""
    from django.db import connection

    uses_server = SERVER_FIXTURES.intersection(request.fixturenames)
    if uses_server and "transactional_db" in request.fixturenames:
        request.getfixturevalue("transactional_db")  # torn down (flushed) after this one
    flushed = "transactional_db" in request.fixturenames or any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db")
    )
    yield
    if not (uses_server and flushed) or connection.vendor != "postgresql":
        return
    import time

    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND state NOT IN ('idle')"
    )
    deadline, quiet = time.monotonic() + 10, 0
    while quiet < 3 and time.monotonic() < deadline:  # idle at three looks 0.1 s apart
        time.sleep(0.1)
        with connection.cursor() as cursor:
            cursor.execute(query)
            quiet = quiet + 1 if cursor.fetchone()[0] == 0 else 0
