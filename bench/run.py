"""`make bench`: waiting-room fan-out, measured on loopback.

Simulated clinics keep waiting-room pages open (WebSocket clients signed in as clinic staff);
employees join queues through the real HTTP flow and leave again. For each setup we measure:

- update latency: queue join (the POST) → every open page of that clinic has the snapshot
  with the new entry, p50/p99, at 100, 1,000 and 5,000 open connections (1,000 clinics at
  the largest size, 5 pages each). HTTP requests go over kept-alive connections, one pool
  per server process, as the deployment's reverse proxy keeps them to its upstreams
  (docs/deployment.md: `keepalive 32`);
- each employee who joins opens their own waiting page (queue number, messages), as the
  product's page does after the redirect, and keeps it open until they leave (the baselines
  have no such page, so ours carry that extra load);
- open pages send a heartbeat every 10 s with their sequence number, as the real pages do
  (at 5,000 pages: 500 a second), so the server carries that load while it is measured;
- queue joins per second sustained (each join counted once all its pages have it);
- memory per idle connection (RSS growth of the server processes / connections);
- idle CPU: the server processes' CPU over one heartbeat interval with the pages open and
  nothing else happening (heartbeats, polls, timers), as a share of one core;
- where the latency goes: when the join request itself was answered ("answered": pages
  usually have the change before the employee's browser has its redirect), and the
  product's smallest HTTP request (GET /healthz) as the floor any HTTP join starts from;
- fan-out alone: from the entry's creation in the server (its `queued_at`) to every page of
  the clinic having it, leaving out the request's way in (HTTP, session, second factor);
- reconnect storm: all pages of the largest size closed, then opened again at once in random
  order (200 handshakes under way at a time), as after a process restart: seconds until
  every page has its first snapshot.

Setups: the embedded default (1 server process, in-process layer, SQLite), scale-out
(2 server processes, Redis channel layer, PostgreSQL), and two baselines written directly on
the `websockets` library: a minimal broadcast server doing the same fan-out from memory, and
a durable one that first commits each change to SQLite (entry, audit row, sequence number)
and broadcasts the list read back from it, as ours does. Our figures are also printed as
ratios to the baselines.

    python bench/run.py            # full run (~6-10 minutes on 2 cores)
    python bench/run.py --quick    # smaller, ~2 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support import server, services  # noqa: E402 - needs ROOT on the path
from tests.support.loopback import free_port, wait_port  # noqa: E402

PY = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
PAGES_PER_CLINIC = 5
# Seconds between a page's pings: the product's default unless HEARTBEAT_SECONDS says
# otherwise; the servers are told the same (bench_env).
HEARTBEAT = int(os.environ.get("HEARTBEAT_SECONDS", "10"))
CONNECT_BATCH = 20
STORM_IN_FLIGHT = 200
CSRF = "benchcsrftokenbenchcsrftoken0123"  # 32 characters: Django accepts the bare secret


# --- seeding (runs in a subprocess with the setup's DATABASE_URL) ----------------------------


def seed(clinics: int, employees: int) -> None:
    """Create clinics, staff, employees and their sessions; print them as JSON."""
    import datetime

    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kontaktlaege.accounts.models import User
    from kontaktlaege.consultations.models import WaitingRoom
    from kontaktlaege.directory.models import Clinic, Municipality, Region, Ydernummer

    region = Region.objects.create(name="Bench-regionen", code="9999")
    kommune = Municipality.objects.create(name="Bench Kommune", code="999", region=region)
    made = Clinic.objects.bulk_create(
        Clinic(name=f"Bench-klinik {i}", phone="70 00 00 00", municipality=kommune)
        for i in range(clinics)
    )
    Ydernummer.objects.bulk_create(
        Ydernummer(number=f"{100000 + i:06d}", clinic=c) for i, c in enumerate(made)
    )
    WaitingRoom.objects.bulk_create(WaitingRoom(clinic=c, mode=WaitingRoom.Mode.OPEN) for c in made)
    password = "!"  # unusable: sessions are made here, nobody logs in with a password
    staff = User.objects.bulk_create(
        User(username=f"klinik{i}", kind=User.Kind.CLINIC, clinic=c, password=password)
        for i, c in enumerate(made)
    )
    workers = User.objects.bulk_create(
        User(
            username=f"medarbejder{i}",
            first_name="Bench",
            last_name=f"Medarbejder {i}",
            kind=User.Kind.EMPLOYEE,
            municipality=kommune,
            job_role="Sygeplejerske",
            workplace="Hjemmeplejen Bench",
            password=password,
        )
        for i in range(employees)
    )
    people = staff + workers
    TOTPDevice.objects.bulk_create(TOTPDevice(user=u, name="bench", confirmed=True) for u in people)
    devices = {d.user_id: d.persistent_id for d in TOTPDevice.objects.all()}
    store = SessionStore()
    expiry = timezone.now() + datetime.timedelta(days=1)
    keys = [secrets.token_hex(16) for _ in people]
    Session.objects.bulk_create(
        Session(
            session_key=key,
            session_data=store.encode(
                {
                    "_auth_user_id": str(u.pk),
                    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                    "_auth_user_hash": u.get_session_auth_hash(),
                    DEVICE_ID_SESSION_KEY: devices[u.pk],
                }
            ),
            expire_date=expiry,
        )
        for u, key in zip(people, keys, strict=True)
    )
    print(
        json.dumps(
            {
                "clinics": [
                    {"ydernummer": f"{100000 + i:06d}", "session": keys[i]} for i in range(clinics)
                ],
                "employees": keys[clinics:],
            }
        )
    )


# --- the baseline: a minimal broadcast server on `websockets` --------------------------------


def baseline_server(port: int, db_path: str = "") -> None:
    """Pages connect to /ws/<clinic>/; /control takes "join <clinic> <reason>" and
    "leave <clinic> <id>". Each change broadcasts the clinic's whole list, as ours does.

    With `db_path`, the durable baseline: each change is one SQLite transaction (WAL,
    synchronous=NORMAL, as the product's default), with the entry, a hash-chained audit row
    and the clinic's sequence number, and the list broadcast is read back from the database
    after the commit. The same durable work as ours, in minimal code: the difference
    between the two baselines is what durability itself costs."""
    import websockets
    from websockets.asyncio.server import broadcast, serve

    pages: dict[int, set] = {}
    queues: dict[int, list[dict]] = {}
    seqs: dict[int, int] = {}
    ids = iter(range(1, 10**9))
    db = _baseline_db(db_path) if db_path else None

    def send_snapshot(clinic: int, seq: int, entries: list[dict]) -> None:
        text = json.dumps(
            {"type": "snapshot", "seq": seq, "data": {"entries": entries}}, separators=(",", ":")
        )
        broadcast(pages.get(clinic, ()), text)

    def push(clinic: int) -> None:
        seqs[clinic] = seqs.get(clinic, 0) + 1
        send_snapshot(clinic, seqs[clinic], queues[clinic])

    def push_from_db(clinic: int) -> None:
        assert db is not None
        row = db.execute("SELECT seq FROM room WHERE clinic = ?", (clinic,)).fetchone()
        entries = [
            {"id": i, "reason": reason, "queued_at": at}
            for i, reason, at in db.execute(
                "SELECT id, reason, queued_at FROM entry WHERE clinic = ? AND state = 'queued'"
                " ORDER BY id",
                (clinic,),
            )
        ]
        send_snapshot(clinic, row[0] if row else 0, entries)

    def change_in_db(clinic: int, verb: str, arg: str) -> str:
        assert db is not None
        db.execute("BEGIN IMMEDIATE")
        if verb == "join":
            entry_id = db.execute(
                "INSERT INTO entry (clinic, reason, queued_at, state) VALUES (?, ?, ?, 'queued')",
                (clinic, arg, time.time()),
            ).lastrowid
        else:
            entry_id = int(arg)
            db.execute(
                "UPDATE entry SET state = 'left' WHERE id = ? AND clinic = ?", (entry_id, clinic)
            )
        prev = db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        at = time.time()
        digest = hashlib.sha256(
            json.dumps([prev[0] if prev else "", at, verb, clinic, entry_id]).encode()
        ).hexdigest()
        db.execute(
            "INSERT INTO audit (at, action, clinic, entry, hash) VALUES (?, ?, ?, ?, ?)",
            (at, verb, clinic, entry_id, digest),
        )
        db.execute(
            "INSERT INTO room (clinic, seq) VALUES (?, 1)"
            " ON CONFLICT (clinic) DO UPDATE SET seq = seq + 1",
            (clinic,),
        )
        db.execute("COMMIT")
        push_from_db(clinic)
        return str(entry_id) if verb == "join" else "ok"

    def change_in_memory(clinic: int, verb: str, arg: str) -> str:
        queue = queues.setdefault(clinic, [])
        if verb == "join":
            entry = {"id": next(ids), "reason": arg, "queued_at": time.time()}
            queue.append(entry)
            push(clinic)
            return str(entry["id"])
        queues[clinic] = [e for e in queue if e["id"] != int(arg)]
        push(clinic)
        return "ok"

    change = change_in_db if db is not None else change_in_memory

    async def handler(ws: websockets.ServerConnection) -> None:
        path = ws.request.path
        if path == "/control":
            async for message in ws:
                verb, clinic_s, arg = str(message).split(" ", 2)
                await ws.send(change(int(clinic_s), verb, arg))
            return
        clinic = int(path.strip("/").split("/")[-1])
        pages.setdefault(clinic, set()).add(ws)
        queues.setdefault(clinic, [])
        await ws.send(json.dumps({"type": "snapshot", "seq": 0, "data": {"entries": []}}))
        try:
            async for message in ws:
                # Pages ping as ours do; a minimal server just answers.
                seq = json.loads(message).get("seq")
                await ws.send(json.dumps({"type": "pong", "seq": seq}))
        finally:
            pages[clinic].discard(ws)

    async def main() -> None:
        # No per-message compression, as the product's server: like for like per connection.
        async with serve(
            handler, "127.0.0.1", port, ping_interval=None, max_queue=64, compression=None
        ):
            await asyncio.Future()

    asyncio.run(main())


def _baseline_db(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS entry (
            id INTEGER PRIMARY KEY, clinic INTEGER, reason TEXT, queued_at REAL, state TEXT);
        CREATE INDEX IF NOT EXISTS entry_clinic_state ON entry (clinic, state);
        CREATE TABLE IF NOT EXISTS room (clinic INTEGER PRIMARY KEY, seq INTEGER);
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY, at REAL, action TEXT, clinic INTEGER, entry INTEGER,
            hash TEXT);
        """
    )
    return db


# --- measuring client -------------------------------------------------------------------------


@dataclass
class Pending:
    t0: float
    pages: int
    seen: set[int] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    latency: float = 0.0
    answered: float = 0.0  # when the join request itself was answered
    # Fan-out alone: from the entry's creation in the server (its `queued_at`, wall clock,
    # the same clock in every process of this machine) to the last page having it.
    created: float | None = None
    fanout: float = 0.0


def created_at(text: str, token: str) -> float:
    """The server's creation time of the entry with reason `token` in a snapshot: a Unix
    time (the baseline) or an ISO timestamp (ours, taken before the INSERT)."""
    entry = next(e for e in json.loads(text)["data"]["entries"] if e["reason"] == token)
    at = entry["queued_at"]
    return float(at) if isinstance(at, int | float) else datetime.fromisoformat(at).timestamp()


class Watch:
    """Notices when every page of a clinic has a snapshot mentioning a join's reason."""

    def __init__(self) -> None:
        self.pending: dict[int, dict[str, Pending]] = {}
        self.pages_of: dict[int, int] = {}

    def expect(self, clinic: int, token: str) -> Pending:
        p = Pending(time.perf_counter(), self.pages_of.get(clinic, 0))
        self.pending.setdefault(clinic, {})[token] = p
        return p

    def forget(self, clinic: int, token: str) -> None:
        self.pending.get(clinic, {}).pop(token, None)

    def arrived(self, clinic: int, page: int, text: str) -> None:
        now = time.time()
        for token, p in list(self.pending.get(clinic, {}).items()):
            if page not in p.seen and token in text:
                p.seen.add(page)
                if p.created is None:
                    p.created = created_at(text, token)
                if len(p.seen) >= p.pages:
                    p.latency = time.perf_counter() - p.t0
                    p.fanout = now - p.created
                    p.done.set()
                    del self.pending[clinic][token]


class HttpPool:
    """Keep-alive HTTP/1.1 connections to one server process, as the deployment's reverse
    proxy keeps them (`keepalive` in docs/deployment.md): a request takes an idle connection
    or opens one, and gives it back when the answer allows it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, path: str, form: dict[str, str], session: str) -> tuple[int, str]:
        """POST a form; returns status and Location."""
        body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": CSRF}).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Cookie: sessionid={session}; csrftoken={CSRF}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return await self.request(head.encode() + body)

    async def request(self, raw: bytes) -> tuple[int, str]:
        while self.idle:
            reader, writer = self.idle.pop()
            try:
                return await self._exchange(reader, writer, raw)
            except _ClosedWhileIdle:
                writer.close()  # the server closed it before reading the request: take another
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        return await self._exchange(reader, writer, raw)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
    ) -> tuple[int, str]:
        writer.write(raw)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
            if not getattr(exc, "partial", b""):
                raise _ClosedWhileIdle from exc
            raise
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)
        }
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")  # the empty trailer
        else:
            await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer))
        return int(lines[0].split()[1]), headers.get("location", "")


class _ClosedWhileIdle(Exception):
    """A kept-alive connection the server had closed: the request was not read."""


class Setup:
    name = ""
    ports: list[int]
    pids: list[int]

    def page_url(self, clinic: int, n: int) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    async def join(self, worker: int, clinic: int, token: str, watch: Watch) -> tuple[Pending, str]:
        raise NotImplementedError

    async def leave(self, worker: int, clinic: int, handle: str) -> None:
        raise NotImplementedError

    async def close_waiting_pages(self) -> None:
        pass

    def stop(self) -> None:
        pass


class Product(Setup):
    def __init__(self, name: str, env: dict[str, str], processes: int, seeded: dict) -> None:
        self.name, self.env, self.seeded = name, env, seeded
        # Server logs (e.g. shutdown with thousands of sockets) stay out of the table.
        self.servers = server.start(env, processes)
        self.ports = [s.port for s in self.servers]
        self.http = {port: HttpPool(port) for port in self.ports}
        self.pids = [s.proc.pid for s in self.servers]
        self.locks: dict[int, asyncio.Lock] = {}
        # The employee's own page (queue number, messages), open while they wait, as in
        # the product: opened after the join's redirect, closed after they leave.
        self.waiting: dict[str, asyncio.Task] = {}
        self.waiting_opened = 0
        self.waiting_snapshots = 0  # snapshots those pages received after their first
        self.waiting_first: list[float] = []  # seconds from opening one to its queue number
        self.waiting_pongs: list[float] = []  # seconds from their heartbeat to its answer

    def page_url(self, clinic: int, n: int) -> tuple[str, dict[str, str]]:
        port = self.ports[n % len(self.ports)]
        cookie = f"sessionid={self.seeded['clinics'][clinic]['session']}"
        return f"ws://127.0.0.1:{port}/ws/klinik/", {"Cookie": cookie}

    def _port(self, worker: int) -> int:
        return self.ports[worker % len(self.ports)]

    async def join(self, worker: int, clinic: int, token: str, watch: Watch) -> tuple[Pending, str]:
        session, port = self.seeded["employees"][worker], self._port(worker)
        number = self.seeded["clinics"][clinic]["ydernummer"]
        # One employee's draft lives in the session: their two steps must not interleave.
        async with self.locks.setdefault(worker, asyncio.Lock()):
            status, _ = await self.http[port].post(
                "/medarbejder/ydernummer/", {"ydernummer": number, "confirm": "1"}, session
            )
            assert status == 302, f"ydernummer: HTTP {status}"
            pending = watch.expect(clinic, token)
            status, location = await self.http[port].post(
                "/medarbejder/aarsag/", {"reason": token}, session
            )
        pending.answered = time.perf_counter() - pending.t0
        if status != 302 or "/konsultation/" not in location:
            watch.forget(clinic, token)
            raise RuntimeError(f"join: HTTP {status} {location}")
        self.waiting[location] = asyncio.create_task(self._waiting_page(worker, location))
        return pending, location

    async def _waiting_page(self, worker: int, location: str):
        from websockets.asyncio.client import connect

        port = self._port(worker)
        consultation = urllib.parse.urlparse(location).path.rstrip("/").rsplit("/", 1)[-1]
        t0 = time.perf_counter()
        ws = await connect(
            f"ws://127.0.0.1:{port}/ws/konsultation/{consultation}/",
            additional_headers={"Cookie": f"sessionid={self.seeded['employees'][worker]}"},
            origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
            ping_interval=None,
            open_timeout=120,
        )
        first = await ws.recv()
        assert '"snapshot"' in str(first), str(first)[:200]
        self.waiting_first.append(time.perf_counter() - t0)
        self.waiting_opened += 1

        seq = [json.loads(first).get("seq", 0)]
        pinged: dict[int, float] = {}

        async def read() -> None:
            try:
                async for message in ws:
                    content = json.loads(message)
                    if content["type"] == "pong" and content["seq"] in pinged:
                        self.waiting_pongs.append(time.perf_counter() - pinged.pop(content["seq"]))
                    elif content["type"] == "snapshot":
                        seq[0] = max(seq[0], content["seq"])
                        self.waiting_snapshots += 1
            except Exception:  # noqa: BLE001 - a closed page simply stops counting
                pass

        async def heartbeat() -> None:
            # As kl/live.js: a ping with the page's sequence number every HEARTBEAT seconds.
            try:
                while True:
                    await asyncio.sleep(HEARTBEAT)
                    pinged[seq[0]] = time.perf_counter()
                    await ws.send(json.dumps({"type": "ping", "seq": seq[0]}))
            except Exception:  # noqa: BLE001 - the page was closed
                pass

        loop = asyncio.get_running_loop()
        loop.create_task(read())
        loop.create_task(heartbeat())
        return ws

    async def leave(self, worker: int, clinic: int, handle: str) -> None:
        session = self.seeded["employees"][worker]
        path = urllib.parse.urlparse(handle).path + "annuller/"
        page = self.waiting.pop(handle, None)
        ws = await page if page is not None else None
        status, _ = await self.http[self._port(worker)].post(path, {}, session)
        assert status == 302, f"cancel: HTTP {status}"
        if ws is not None:
            await ws.close()

    async def close_waiting_pages(self) -> None:
        for pool in self.http.values():
            while pool.idle:
                pool.idle.pop()[1].close()
        pages, self.waiting = list(self.waiting.values()), {}
        for ws in await asyncio.gather(*pages, return_exceptions=True):
            if not isinstance(ws, BaseException):
                await ws.close()

    def stop(self) -> None:
        server.stop(self.servers)


class Baseline(Setup):
    name = "baseline (websockets)"

    def __init__(self, db_path: str = "") -> None:
        port = free_port()
        command = [PY, __file__, "--baseline-server", str(port)]
        if db_path:
            self.name = "durable baseline (websockets + SQLite)"
            command += ["--baseline-db", db_path]
        self.proc = subprocess.Popen(command)
        self.ports, self.pids = [port], [self.proc.pid]
        wait_port(port)
        self.controls: dict[int, object] = {}
        self.locks: dict[int, asyncio.Lock] = {}

    def page_url(self, clinic: int, n: int) -> tuple[str, dict[str, str]]:
        return f"ws://127.0.0.1:{self.ports[0]}/ws/{clinic}/", {}

    async def _ask(self, worker: int, text: str) -> str:
        from websockets.asyncio.client import connect

        if worker not in self.controls:
            self.controls[worker] = await connect(f"ws://127.0.0.1:{self.ports[0]}/control")
            self.locks[worker] = asyncio.Lock()
        ws = self.controls[worker]
        async with self.locks[worker]:
            await ws.send(text)  # type: ignore[attr-defined]
            return str(await ws.recv())  # type: ignore[attr-defined]

    async def join(self, worker: int, clinic: int, token: str, watch: Watch) -> tuple[Pending, str]:
        pending = watch.expect(clinic, token)
        handle = await self._ask(worker, f"join {clinic} {token}")
        pending.answered = time.perf_counter() - pending.t0
        return pending, handle

    async def leave(self, worker: int, clinic: int, handle: str) -> None:
        await self._ask(worker, f"leave {clinic} {handle}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def open_page(setup: Setup, clinic: int, n: int, page_id: int, watch: Watch, sockets: list):
    from websockets.asyncio.client import connect

    url, headers = setup.page_url(clinic, n)
    port = urllib.parse.urlparse(url).port
    ws = await connect(
        url,
        additional_headers=headers,
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
        ping_interval=None,
        max_size=2**22,
        open_timeout=120,
    )
    first = await ws.recv()
    assert '"snapshot"' in str(first), str(first)[:200]
    sockets.append(ws)

    seq = [json.loads(first).get("seq", 0)]

    async def read() -> None:
        try:
            async for message in ws:
                text = str(message)
                if text.startswith('{"type":"snapshot"'):
                    seq[0] = max(seq[0], json.loads(text)["seq"])
                watch.arrived(clinic, page_id, text)
        except Exception:  # noqa: BLE001 - a closed page simply stops counting
            pass

    async def heartbeat() -> None:
        # As kl/live.js: a ping with the page's sequence number every HEARTBEAT seconds,
        # pages spread over the interval as people open them at different times.
        await asyncio.sleep(random.uniform(0, HEARTBEAT))
        try:
            while True:
                await ws.send(json.dumps({"type": "ping", "seq": seq[0]}))
                await asyncio.sleep(HEARTBEAT)
        except Exception:  # noqa: BLE001 - the page was closed
            pass

    loop = asyncio.get_running_loop()
    loop.create_task(read())
    loop.create_task(heartbeat())


async def http_floor(pool: HttpPool, n: int = 100) -> float:
    """p50 of the product's smallest request (GET /healthz: one `SELECT 1`) on a kept-alive
    connection, as the join requests are made: the cost any HTTP join starts from."""
    times = []
    raw = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{pool.port}\r\n\r\n".encode()
    for _ in range(n):
        t = time.perf_counter()
        status, _ = await pool.request(raw)
        assert status == 200, status
        times.append(time.perf_counter() - t)
    return pct(times, 0.5) * 1000


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        # Fields after the command's closing parenthesis: utime and stime are 14th and 15th.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(
    setup: Setup, sizes: list[int], joins: int, rate: float, tput_seconds: float, workers: int
) -> dict:
    """Grow the number of open pages level by level; at each level run paced joins+leaves."""
    watch = Watch()
    sockets: list = []
    result: dict = {"levels": {}}
    # Warm up every server process (imports, first queries, the layer's and the pool's first
    # connections), then take the memory reference: what is left is what pages cost.
    for process in range(len(setup.pids)):
        await open_page(setup, 0, process, -1, watch, sockets)
        warm, handle = await setup.join(process, 0, f"warmup-x{process}", watch)
        await asyncio.wait_for(warm.done.wait(), 30)
        await setup.leave(process, 0, handle)
    for ws in sockets:
        await ws.close()
    sockets.clear()
    await asyncio.sleep(0.5)
    rss0 = rss_kb(setup.pids)
    if isinstance(setup, Product):
        result["floor_ms"] = await http_floor(setup.http[setup.ports[0]])
        print(f"  {setup.name}: GET /healthz p50 {result['floor_ms']:.1f} ms", flush=True)
    opened = 0
    for size in sizes:
        clinics = max(1, size // PAGES_PER_CLINIC)
        t = time.perf_counter()
        batch = []
        for page in range(opened, size):
            clinic = page // PAGES_PER_CLINIC
            watch.pages_of[clinic] = watch.pages_of.get(clinic, 0) + 1
            batch.append(open_page(setup, clinic, page % PAGES_PER_CLINIC, page, watch, sockets))
            # Pages arrive a few at a time, as people open them.
            if len(batch) == CONNECT_BATCH:
                await asyncio.gather(*batch)
                batch = []
        await asyncio.gather(*batch)
        connect_s = time.perf_counter() - t
        opened = size
        await asyncio.sleep(1.0)
        rss = rss_kb(setup.pids)
        # One heartbeat interval with the pages open and nothing else: what they cost idle.
        cpu0 = cpu_seconds(setup.pids)
        await asyncio.sleep(HEARTBEAT)
        idle_cpu = (cpu_seconds(setup.pids) - cpu0) / HEARTBEAT
        latencies: list[float] = []
        answers: list[float] = []
        fanouts: list[float] = []
        failures = 0

        async def one(
            i: int,
            clinic: int,
            size: int = size,
            latencies: list = latencies,
            answers: list = answers,
            fanouts: list = fanouts,
        ) -> None:
            nonlocal failures
            worker = i % workers
            token = f"bench-{size}-{i}-{secrets.token_hex(3)}"
            try:
                pending, handle = await setup.join(worker, clinic, token, watch)
                await asyncio.wait_for(pending.done.wait(), 30)
                latencies.append(pending.latency)
                answers.append(pending.answered)
                fanouts.append(pending.fanout)
                await asyncio.sleep(0.2)
                await setup.leave(worker, clinic, handle)
            except Exception as exc:  # noqa: BLE001 - counted and printed, the run goes on
                failures += 1
                print(f"  join failed: {exc!r}", file=sys.stderr)

        tasks = []
        rng = random.Random(size)
        for i in range(joins):
            tasks.append(asyncio.create_task(one(i, rng.randrange(clinics))))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
        result["levels"][size] = {
            "p50_ms": pct(latencies, 0.5) * 1000 if latencies else float("nan"),
            "p99_ms": pct(latencies, 0.99) * 1000 if latencies else float("nan"),
            "answer_p50_ms": pct(answers, 0.5) * 1000 if answers else float("nan"),
            "fanout_p50_ms": pct(fanouts, 0.5) * 1000 if fanouts else float("nan"),
            "fanout_p99_ms": pct(fanouts, 0.99) * 1000 if fanouts else float("nan"),
            "joins": len(latencies),
            "failures": failures,
            "connect_s": connect_s,
            "kb_per_conn": (rss - rss0) / size,
            "idle_cpu": idle_cpu,
        }
        lv = result["levels"][size]
        print(
            f"  {setup.name}: {size} pages / {clinics} clinics: connect {connect_s:.1f}s, "
            f"p50 {lv['p50_ms']:.1f} ms, p99 {lv['p99_ms']:.1f} ms "
            f"(join request answered: p50 {lv['answer_p50_ms']:.1f} ms; fan-out alone: "
            f"p50 {lv['fanout_p50_ms']:.1f} ms, p99 {lv['fanout_p99_ms']:.1f} ms), "
            f"{lv['kb_per_conn']:.1f} KB/conn, idle CPU {lv['idle_cpu']:.0%}, {failures} failures",
            flush=True,
        )
    # Sustained joins: `workers` employees join back to back for tput_seconds.
    clinics = max(1, sizes[-1] // PAGES_PER_CLINIC)
    done = 0
    stop_at = time.perf_counter() + tput_seconds

    async def worker_loop(w: int) -> None:
        nonlocal done
        rng = random.Random(w)
        i = 0
        while time.perf_counter() < stop_at:
            token = f"tput-{w}-{i}-{secrets.token_hex(3)}"
            i += 1
            pending, _handle = await setup.join(w, rng.randrange(clinics), token, watch)
            await asyncio.wait_for(pending.done.wait(), 60)
            done += 1

    t = time.perf_counter()
    await asyncio.gather(*(worker_loop(w) for w in range(workers)))
    result["joins_per_s"] = done / (time.perf_counter() - t)
    print(f"  {setup.name}: {result['joins_per_s']:.0f} joins/s sustained", flush=True)
    await setup.close_waiting_pages()
    if isinstance(setup, Product):
        print(
            f"  {setup.name}: {setup.waiting_opened} employees' waiting pages opened "
            f"(queue number shown p50 {pct(setup.waiting_first, 0.5) * 1000:.1f} ms, "
            f"p99 {pct(setup.waiting_first, 0.99) * 1000:.1f} ms after opening), "
            f"{setup.waiting_snapshots} snapshots to them after their first; "
            + (
                f"their {len(setup.waiting_pongs)} heartbeats answered "
                f"p50 {pct(setup.waiting_pongs, 0.5) * 1000:.1f} ms, "
                f"p99 {pct(setup.waiting_pongs, 0.99) * 1000:.1f} ms"
                if setup.waiting_pongs
                else "none open long enough for a heartbeat"
            ),
            flush=True,
        )
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    result["storm_s"] = await reconnect_storm(setup, sizes[-1], watch)
    print(
        f"  {setup.name}: reconnect storm: {sizes[-1]} pages back in {result['storm_s']:.1f} s "
        f"({sizes[-1] / result['storm_s']:.0f} pages/s)",
        flush=True,
    )
    return result


async def reconnect_storm(setup: Setup, pages: int, watch: Watch) -> float:
    """A restarted process: all its pages come back at once (live.js retries after
    0.25-0.5 s), in no particular order, STORM_IN_FLIGHT handshakes under way at a time.
    Seconds until every page has its first snapshot."""
    await asyncio.sleep(1.0)
    order = list(range(pages))
    random.Random(pages).shuffle(order)
    gate = asyncio.Semaphore(STORM_IN_FLIGHT)
    sockets: list = []

    async def reopen(page: int) -> None:
        async with gate:
            clinic = page // PAGES_PER_CLINIC
            await open_page(setup, clinic, page % PAGES_PER_CLINIC, page, watch, sockets)

    t = time.perf_counter()
    await asyncio.gather(*(reopen(page) for page in order))
    took = time.perf_counter() - t
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return took


# --- setups -----------------------------------------------------------------------------------


def prepare(env: dict[str, str], clinics: int, employees: int) -> dict:
    server.migrate(env)
    out = server.run(env, __file__, "--seed", str(clinics), str(employees))
    return json.loads(out.strip().splitlines()[-1])


def run_setup(kind: str, tmp: Path, args: argparse.Namespace) -> dict | None:
    clinics = max(args.sizes) // PAGES_PER_CLINIC
    with contextlib.ExitStack() as stack:
        if kind == "baseline":
            setup: Setup = Baseline()
        elif kind == "durable":
            setup = Baseline(str(tmp / "baseline.sqlite3"))
        else:
            if kind == "single":
                name, processes, layer = "1 process, in-process layer, SQLite", 1, {}
                database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            else:
                if services.postgres_problem(PG_ADMIN_URL) or not services.redis_installed():
                    print("  skipped: PostgreSQL or redis-server not available", flush=True)
                    return None
                name, processes = "2 processes, Redis, PostgreSQL", 2
                database_url = stack.enter_context(
                    services.database(f"kl_bench_{os.getpid()}", PG_ADMIN_URL)
                )
                layer = {"REDIS_URL": stack.enter_context(services.redis()).url}
            env = server.environment(
                tmp,
                database_url,
                # The bench's employees join far more often than people do.
                AXES_FAILURE_LIMIT="1000",
                HEARTBEAT_SECONDS=str(HEARTBEAT),
                **layer,
            )
            setup = Product(name, env, processes, prepare(env, clinics, args.workers))
        stack.callback(setup.stop)
        result = asyncio.run(
            measure(setup, args.sizes, args.joins, args.rate, args.tput_seconds, args.workers)
        )
        return result | {"name": setup.name}


def ratio(value: float, base: float, digits: int = 1) -> str:
    return f"{value / base:.{digits}f}×" if base > 0 else "-"


def baselines_before(results: list[dict], r: dict) -> list[tuple[str, dict]]:
    """The baselines listed before `r` (its ratio rows), each with its short label."""
    earlier = results[: results.index(r)]
    return [(b["name"].split(" (")[0], b) for b in earlier if "baseline" in b["name"]]


def table(results: list[dict], sizes: list[int]) -> str:
    top = sizes[-1]
    head = ["setup"]
    for s in sizes:
        head += [f"p50@{s}", f"p99@{s}"]
    head += [f"answered@{top}", "GET floor", "joins/s", f"KB/conn@{top}", f"idle CPU@{top}"]
    head += [f"storm@{top}"]
    rows = [head]
    for r in results:
        row = [r["name"]]
        for s in sizes:
            lv = r["levels"][s]
            row += [f"{lv['p50_ms']:.1f} ms", f"{lv['p99_ms']:.1f} ms"]
        floor, last = r.get("floor_ms"), r["levels"][top]
        row += [
            f"{last['answer_p50_ms']:.1f} ms",
            f"{floor:.1f} ms" if floor is not None else "-",
            f"{r['joins_per_s']:.0f}",
            f"{last['kb_per_conn']:.1f}",
            f"{last['idle_cpu']:.0%}",
            f"{r['storm_s']:.1f} s",
        ]
        rows.append(row)
        for label, base in baselines_before(results, r):
            ratios = [f"  × {label}"]
            for s in sizes:
                for key in ("p50_ms", "p99_ms"):
                    ratios.append(ratio(r["levels"][s][key], base["levels"][s][key]))
            ratios += ["", "", ratio(r["joins_per_s"], base["joins_per_s"], 2)]
            ratios += [
                ratio(last[key], base["levels"][top][key]) for key in ("kb_per_conn", "idle_cpu")
            ]
            ratios.append(ratio(r["storm_s"], base["storm_s"]))
            rows.append(ratios)
    return columns(rows)


def fanout_table(results: list[dict], sizes: list[int]) -> str:
    """The fan-out alone: the server has created the entry → every page has it."""
    rows = [["setup"] + [f"{q}@{s}" for s in sizes for q in ("p50", "p99")]]
    keys = ("fanout_p50_ms", "fanout_p99_ms")
    for r in results:
        rows.append([r["name"]] + [f"{r['levels'][s][k]:.1f} ms" for s in sizes for k in keys])
        for label, base in baselines_before(results, r):
            rows.append(
                [f"  × {label}"]
                + [ratio(r["levels"][s][k], base["levels"][s][k]) for s in sizes for k in keys]
            )
    return columns(rows)


def columns(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, ~2 minutes")
    parser.add_argument(
        "--setups",
        default="baseline,durable,single,scaled",
        help="comma-separated: baseline, durable, single, scaled",
    )
    parser.add_argument("--sizes", help="comma-separated open-connection counts")
    parser.add_argument("--tput-seconds", type=float, help="length of the sustained-join phase")
    parser.add_argument("--seed", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--baseline-db", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        seed(*args.seed)
        return
    if args.baseline_server:
        baseline_server(args.baseline_server, args.baseline_db)
        return
    default_sizes = [100, 500, 1000] if args.quick else [100, 1000, 5000]
    args.sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else default_sizes
    args.joins = 40 if args.quick else 100
    args.rate = 5.0  # paced joins per second (each followed by a leave) while measuring latency
    # 20 s: the employees' pages, opened as they join, reach their first heartbeat (10 s).
    args.tput_seconds = args.tput_seconds or (5.0 if args.quick else 20.0)
    args.workers = 16
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 3 * max(args.sizes) + 1000
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    results = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kl-bench-") as tmp:
        for kind in args.setups.split(","):
            print(f"== {kind}", flush=True)
            result = run_setup(kind, Path(tmp), args)
            if result is not None:
                results.append(result)
    print()
    print(
        f"Waiting-room fan-out on loopback ({os.cpu_count()} cores, "
        f"{PAGES_PER_CLINIC} pages per clinic, {args.joins} paced joins per size, "
        f"{time.perf_counter() - t0:.0f} s in all)"
    )
    print(table(results, args.sizes))
    print()
    print("Fan-out alone: from the entry's creation in the server to every page having it")
    print(fanout_table(results, args.sizes))
    bad = sum(lv["failures"] for r in results for lv in r["levels"].values())
    if bad:
        print(f"{bad} joins failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
