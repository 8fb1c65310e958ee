"""PostgreSQL and Redis for the scale-out tests and the benchmark: a database of one's own,
created and dropped, and a private redis-server on a spare port. Imports nothing of Django."""

import os
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.loopback import free_port, wait_port

PG_ADMIN_URL = os.environ.get("KL_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def postgres_problem(admin_url: str = PG_ADMIN_URL) -> str:
    """Why PostgreSQL cannot be used at `admin_url`; empty when it can."""
    try:
        import psycopg

        psycopg.connect(admin_url, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {admin_url}: {exc}"
    return ""


@contextmanager
def database(name: str, admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A fresh PostgreSQL database `name` (dropped first if a crashed run left it), made by
    the superuser of `admin_url`; yields its URL and drops it afterwards."""
    import psycopg

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlparse(admin_url)._replace(path=f"/{name}").geturl()
    finally:
        drop()


def redis_installed() -> bool:
    return shutil.which("redis-server") is not None


class RedisServer:
    """Our own redis-server on a spare port, so it can be killed and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_port(self.port, proc=self.proc)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@contextmanager
def redis() -> Iterator[RedisServer]:
    """A private redis-server, started here and killed afterwards."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()
