"""The embedded default's SQLite: commits do not copy the write-ahead log back into the
database file; a thread of the server does, on a timer. Run in a process of its own, on a
database of its own: the test servers of other tests run their own checkpoints."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import os, time
    import django
    django.setup()
    from django.db import connection
    from kontaktlaege.server import checkpoint_sqlite_on_a_timer

    def write(rows):
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS filler (body TEXT)")
            cursor.executemany("INSERT INTO filler (body) VALUES (%s)", [("x" * 4000,)] * rows)

    path = connection.settings_dict["NAME"]
    write(1)
    before = os.path.getsize(path)
    write(1500)  # about 1,500 pages: past SQLite's own limit of 1,000
    time.sleep(0.3)
    print("after commits", os.path.getsize(path) - before)
    stop = checkpoint_sqlite_on_a_timer(0.05)
    deadline = time.monotonic() + 10
    while os.path.getsize(path) - before < 1000 * 4096 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    print("after checkpoints", os.path.getsize(path) - before)
    """
)


def test_commits_leave_the_log_and_the_servers_thread_copies_it_back(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'checkpoint.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "kontaktlaege.settings",
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    grown = dict(line.rsplit(" ", 1) for line in out.stdout.splitlines())
    assert int(grown["after commits"]) == 0  # 6 MB written, all of it still in the log
    assert int(grown["after checkpoints"]) >= 1000 * 4096
