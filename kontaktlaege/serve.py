"""`python -m kontaktlaege.serve`: one server process of the product, pages and sockets.

uvicorn on uvloop, with httptools for HTTP and the `websockets` library's sans-I/O protocol for
the sockets. The options that matter for the product are set here, once, for `make run`, the
systemd units, the tests and the benchmark alike."""

import argparse
import os
from typing import Any

import uvicorn

APPLICATION = "kontaktlaege.asgi:application"
# A socket message over the application's limit (WS_MAX_MESSAGE_BYTES, 16 KiB) gets its
# Danish error; one this large is cut off by the protocol before it is held in memory.
FRAME_LIMIT_BYTES = 1024 * 1024


def config(host: str = "127.0.0.1", port: int = 8000, **overrides: Any) -> uvicorn.Config:
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": "httptools",
        "ws": "websockets-sansio",
        # The pages' messages are small JSON; compression costs CPU and memory per socket.
        "ws_per_message_deflate": False,
        "ws_max_size": FRAME_LIMIT_BYTES,
        # Pings close a socket whose peer vanished without a word (a laptop lid, a lost
        # network), so the waiting room stops showing that person as present.
        "ws_ping_interval": 20.0,
        "ws_ping_timeout": 20.0,
        "lifespan": "off",  # the application has no startup or shutdown steps
        # Django's LOGGING (settings) configures logging; request lines are not logged (the
        # paths carry the ids of consultations).
        "log_config": None,
        "access_log": False,
        # Client addresses (login throttling) from nginx's X-Forwarded-For, trusted only from
        # these addresses: nginx on the same machine unless FORWARDED_ALLOW_IPS says otherwise.
        "proxy_headers": True,
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        # Longer than nginx keeps an idle connection to its upstreams (60 s), so that nginx,
        # not this process, closes a kept connection and never sends on one closing here.
        "timeout_keep_alive": 75,
        # On SIGTERM open sockets are told "service restart" (1012) and reconnect to another
        # process; requests under way get this long to finish.
        "timeout_graceful_shutdown": 10,
    }
    return uvicorn.Config(APPLICATION, **(options | overrides))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kontaktlaege.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--scheduler",
        action="store_true",
        help="also run the scheduler in this process (the embedded default; in production "
        "`manage.py scheduler` runs on its own)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontaktlaege.settings")
    if args.scheduler:
        import django

        django.setup()
        from kontaktlaege.consultations.scheduler import start_in_background

        start_in_background()
    uvicorn.Server(config(args.host, args.port)).run()


if __name__ == "__main__":
    main()
