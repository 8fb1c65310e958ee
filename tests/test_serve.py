"""`python -m kontaktlaege.serve --scheduler` (what `make run` starts) runs the scheduler in
the server process; without the flag (production's units) it does not."""

from typing import Any

import pytest
import uvicorn

from kontaktlaege import serve
from kontaktlaege.consultations import scheduler


@pytest.mark.parametrize(("argv", "started"), [(["--scheduler"], 1), ([], 0)])
def test_the_scheduler_runs_in_the_server_only_when_asked(
    monkeypatch: Any, argv: list[str], started: int
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: calls.append("served"))
    monkeypatch.setattr(scheduler, "start_in_background", lambda: calls.append("scheduler"))
    serve.main(argv)
    assert calls.count("scheduler") == started and calls[-1] == "served"
