"""The product's server (kontaktlaege.serve) in processes of their own on free loopback ports,
and the environment and database they run on. Imports nothing of Django at module level:
bench/ starts servers before any settings exist."""

import os
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.loopback import free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]


class Server:
    """One server process on a free loopback port. What it prints goes to a log file, whose
    end is shown when it does not start."""

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.log = tempfile.NamedTemporaryFile("w+", prefix="kl-server-", suffix=".log")
        command = [sys.executable, "-m", "kontaktlaege.serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 60) -> None:
        try:
            wait_port(self.port, timeout, self.proc)
        except RuntimeError:
            self.proc.kill()
            self.log.seek(0)
            raise RuntimeError("the server did not start: " + self.log.read()[-2000:]) from None

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown, no socket close handshakes."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()

    def stop(self) -> None:
        self.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


def start(env: dict[str, str], count: int = 1) -> list[Server]:
    """`count` server processes with `env`, started together; returns once all listen."""
    servers = [Server(env) for _ in range(count)]
    try:
        for s in servers:
            s.wait()
    except BaseException:
        stop(servers)
        raise
    return servers


def stop(servers: list[Server]) -> None:
    """Terminate the servers still running (all at once: shutting down takes a while)."""
    for s in servers:
        s.terminate()
    for s in servers:
        s.stop()


@contextmanager
def running(env: dict[str, str], count: int = 1) -> Iterator[list[Server]]:
    servers = start(env, count)
    try:
        yield servers
    finally:
        stop(servers)


@contextmanager
def server_process(
    db: dict[str, Any], **env: str
) -> Iterator[tuple[int, "subprocess.Popen[bytes]"]]:
    """A real server process serving the test database `db` (a settings_dict of this
    process) on a free loopback port; yields the port and the process. `env` adds settings
    for that process."""
    with running({**os.environ, "DATABASE_URL": database_url_of(db), **env}) as (s,):
        yield s.port, s.proc


@contextmanager
def server(db: dict[str, Any], **env: str) -> Iterator[int]:
    """As server_process(), yielding the port only."""
    with server_process(db, **env) as (port, _proc):
        yield port


def database_url_of(db: dict[str, Any]) -> str:
    """The DATABASE_URL of the (test) database this process uses, for a server subprocess."""
    if "sqlite" in db["ENGINE"]:
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db.get('USER') or 'postgres'}{password}@{host}:{port}/{db['NAME']}"


def environment(var_dir: str | Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of servers on a database of their own (not the test run's): this
    process's, without the test-only and database variables, plus `settings`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KL_TEST") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kontaktlaege.settings",
        DATABASE_URL=database_url,
        SECRET_KEY="test-" + secrets.token_urlsafe(24),
        KL_VAR_DIR=str(var_dir),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        **settings,
    )
    return env


def run(env: dict[str, str], *command: str) -> str:
    """Run a Python command (e.g. "manage.py", "migrate") with `env`; returns what it printed."""
    done = subprocess.run(
        [sys.executable, *command], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return done.stdout


def migrate(env: dict[str, str]) -> None:
    run(env, "manage.py", "migrate", "--noinput", "-v0")


def setup_on_sqlite(var_dir: str | Path) -> dict[str, str]:
    """For a script (bench/): a fresh SQLite database in `var_dir`, migrated, and Django set up
    in this process on it; returns the environment for servers on the same database."""
    env = environment(var_dir, f"sqlite:///{var_dir}/kl.sqlite3", DJANGO_ALLOW_ASYNC_UNSAFE="true")
    migrate(env)
    os.environ.update(env)
    import django

    django.setup()
    return env


class Cluster:
    """Server processes sharing one PostgreSQL database and one Redis."""

    def __init__(self, servers: list[Server], database_url: str, env: dict[str, str]) -> None:
        self.servers = servers
        self.database_url = database_url
        self.env = env

    def decrypt(self, token: str) -> str:
        """A value the processes stored encrypted (their key derives from their SECRET_KEY)."""
        import base64
        import hashlib
        import hmac

        from cryptography.fernet import Fernet

        key = hmac.new(self.env["SECRET_KEY"].encode(), b"cpr-encryption", hashlib.sha256)
        return Fernet(base64.urlsafe_b64encode(key.digest())).decrypt(token.encode()).decode()

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.servers]

    def base(self, i: int) -> str:
        return self.servers[i].base

    def ws(self, i: int, path: str) -> str:
        return f"ws://127.0.0.1:{self.servers[i].port}{path}"

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
        """SIGKILL process i, as a crash would."""
        self.servers[i].kill()


@contextmanager
def start_cluster(
    database_url: str, redis_url: str, var_dir: Path, **settings: str
) -> Iterator[Cluster]:
    """Two server processes (A and B) on the same PostgreSQL and Redis, with the demo data;
    `settings` adds to their environment. Processes still running at the end are
    terminated; killed ones are left as they are."""
    env = environment(var_dir, database_url, REDIS_URL=redis_url, **settings)
    migrate(env)
    run(env, "manage.py", "load_demo")
    with running(env, 2) as servers:
        yield Cluster(servers, database_url, env)
