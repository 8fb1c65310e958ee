"""Ports on loopback and a proxy that can drop the network. Imports nothing of Django: bench/
uses it before any settings exist."""

import asyncio
import socket
import subprocess
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from socketserver import BaseServer
from typing import Any, Literal, TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 60, proc: "subprocess.Popen[Any] | None" = None) -> None:
    """Until something listens on `port`; gives up early if `proc`, meant to listen, ended."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and (proc is None or proc.poll() is None):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@contextmanager
def serving(server: BaseServer) -> Iterator[BaseServer]:
    """Serve `server` (e.g. a stand-in gateway on loopback) on a thread of its own, then shut
    it down and close it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class FlakyLink:
    """A TCP proxy on loopback, on a thread of its own, in front of one or more server ports:
    each new connection goes to the first that accepts it, in order (as nginx's
    proxy_next_upstream does). Its network can drop the way a home carer's Wi-Fi does.
    While it is cut nothing passes, in one of three ways:

    - "hold": bytes and new connections wait, as TCP retransmits them, and pass when the
      link is restored;
    - "lose": the connections open at the cut are lost for good (the device came back with
      a new address): they stay silent and are never closed; new ones wait as for "hold";
    - "refuse": open connections are closed and new ones closed at once (a restarting proxy
      or load balancer)."""

    def __init__(self, *backends: int) -> None:
        self.backends = backends
        self.port = 0
        # (client port, index of the backend it was sent to), in order of arrival.
        self.routes: list[tuple[int, int]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._up = asyncio.Event()
        self._closing = asyncio.Event()
        self._refusing = False
        self._lost: set[asyncio.StreamWriter] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._clients: set[asyncio.Task[Any]] = set()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def backend_of(self, client_port: int) -> int:
        return next(backend for port, backend in self.routes if port == client_port)

    def __enter__(self) -> "FlakyLink":
        self._thread.start()
        self.port = self._call(self._listen())
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def cut(self, how: Literal["hold", "lose", "refuse"] = "hold") -> None:
        async def cut() -> None:
            self._up.clear()
            self._refusing = how == "refuse"
            if how == "lose":
                self._lost |= self._writers
            elif how == "refuse":
                for writer in list(self._writers):
                    writer.close()

        self._call(cut())

    def restore(self) -> None:
        async def restore() -> None:
            self._refusing = False
            self._up.set()

        self._call(restore())

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _listen(self) -> int:
        self._up.set()
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        self._closing.set()
        self._up.set()
        for writer in list(self._writers):
            writer.close()
        if self._clients:
            await asyncio.wait(self._clients, timeout=5)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        self._writers.add(writer)
        try:
            if self._refusing:
                return
            await self._up.wait()
            for index, port in enumerate(self.backends):
                try:
                    up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    continue  # refused: try the next backend
                self.routes.append((writer.get_extra_info("peername")[1], index))
                self._writers.add(up_writer)
                await asyncio.gather(
                    self._pipe(reader, up_writer, writer), self._pipe(up_reader, writer, writer)
                )
                return
        except OSError:
            pass  # reset by a peer: the same as the end of the stream
        finally:
            writer.close()
            self._writers.discard(writer)
            self._clients.discard(task)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: object
    ) -> None:
        while data := await reader.read(65536):
            await self._up.wait()
            if client in self._lost:
                await self._closing.wait()  # silent until the proxy shuts down
                return
            writer.write(data)
            await writer.drain()
        writer.close()
