"""Scale-out fixtures: a fresh PostgreSQL database, a private redis-server and two real
server processes sharing them. Skipped only when PostgreSQL/Redis are missing and CI is not
"true"; in CI a missing service fails the run."""

import http.cookiejar
import json
import os
import secrets
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.loopback import free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("KL_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DEMO_PASSWORD = "Kontakt-Laege-demo"


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: scale-out tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of our own for this run and test module, created and dropped here."""
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    name = f"kl_scaleout_{os.getpid()}_{module}"[:63]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urllib.parse.urlparse(PG_ADMIN_URL)._replace(path=f"/{name}").geturl()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
        wait_port(self.port)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    if not any(
        os.access(os.path.join(d, "redis-server"), os.X_OK)
        for d in os.environ.get("PATH", "").split(os.pathsep)
    ):
        unavailable("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.kill()


@dataclass
class Cluster:
    ports: list[int]
    database_url: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def base(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    def ws(self, i: int, path: str) -> str:
        return f"ws://127.0.0.1:{self.ports[i]}{path}"

    def sql(self, query: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return conn.execute(query, params).fetchall()

    def room(self, clinic_id: int) -> tuple[int, list[tuple[int, str]]]:
        """What the clinic's waiting-room page should show: seq, (id, state) in order."""
        ((seq,),) = self.sql(
            "SELECT seq FROM consultations_waitingroom WHERE clinic_id = %s", clinic_id
        )
        rows = self.sql(
            "SELECT id, state FROM consultations_consultation WHERE clinic_id = %s"
            " AND state IN ('queued', 'admitted') ORDER BY queued_at, id",
            clinic_id,
        )
        return seq, [(id_, state) for id_, state in rows]

    def kill(self, i: int) -> None:
        """SIGKILL process i, as a crash would: no shutdown, no socket close handshakes."""
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait(10)


@contextmanager
def start_cluster(
    database_url: str, redis_url: str, var_dir: Path, **settings: str
) -> Iterator[Cluster]:
    """Two ASGI processes (A and B) on the same PostgreSQL and Redis, with the demo data;
    `settings` adds to their environment. Processes still running at the end are
    terminated; killed ones are left as they are."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KL_TEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="kontaktlaege.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="scaleout-" + secrets.token_urlsafe(24),
        KL_VAR_DIR=str(var_dir),
        LOG_LEVEL="WARNING",
        **settings,
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "load_demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "kontaktlaege.serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_port(port)
        yield Cluster(ports, database_url, procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            proc.wait(10)


@pytest.fixture(scope="module")
def cluster(
    pg_database: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """The module's two processes; tests using it must not kill them (see start_cluster)."""
    with start_cluster(pg_database, redis_server.url, tmp_path_factory.mktemp("var")) as c:
        yield c


class Browser:
    """Cookies and form posts against one server process, as a browser would send them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.url

    def post(self, path: str, **form: str) -> str:
        """POST the form; returns the URL the redirects end on."""
        data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.cookie("csrftoken")})
        with self.opener.open(self.base + path, data.encode(), timeout=20) as response:
            return response.url

    def post_json(self, path: str, **form: str) -> dict:
        data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.cookie("csrftoken")})
        request = urllib.request.Request(
            self.base + path, data.encode(), headers={"Accept": "application/json"}
        )
        with self.opener.open(request, timeout=20) as response:
            return json.loads(response.read())

    def login(self, cluster: Cluster, username: str) -> "Browser":
        from django_otp.oath import totp

        self.get("/konto/log-ind/")
        landed = self.post("/konto/log-ind/", username=username, password=DEMO_PASSWORD)
        assert landed.endswith("/konto/totp/"), landed
        ((key,),) = cluster.sql(
            "SELECT d.key FROM otp_totp_totpdevice d JOIN accounts_user u ON u.id = d.user_id"
            " WHERE u.username = %s AND d.confirmed",
            username,
        )
        landed = self.post("/konto/totp/", token=f"{totp(bytes.fromhex(key)):06d}")
        assert "/konto/" not in landed, f"second factor refused: {landed}"
        return self
