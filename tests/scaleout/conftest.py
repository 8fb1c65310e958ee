"""Scale-out fixtures: a fresh PostgreSQL database, a private redis-server and two real
server processes sharing them (tests.support.services and .server). Skipped only when
PostgreSQL/Redis are missing and CI is not "true"; in CI a missing service fails the run."""

import os
from collections.abc import Iterator

import pytest

from tests.support import services
from tests.support.server import Cluster, start_cluster
from tests.support.services import RedisServer


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: scale-out tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of our own for this run and test module, created and dropped here."""
    if problem := services.postgres_problem():
        unavailable(problem)
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with services.database(f"kl_scaleout_{os.getpid()}_{module}"[:63]) as url:
        yield url


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    if not services.redis_installed():
        unavailable("redis-server is not installed")
    with services.redis() as server:
        yield server


@pytest.fixture(scope="module")
def cluster(
    pg_database: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """The module's two processes; tests using it must not kill them (see start_cluster)."""
    with start_cluster(pg_database, redis_server.url, tmp_path_factory.mktemp("var")) as c:
        yield c
