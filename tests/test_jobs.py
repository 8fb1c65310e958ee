"""The scheduler's job registry (kontaktlaege/jobs.py): every job named there exists, and a
round calls each of them in order with the round's `now`."""

from datetime import UTC, datetime
from typing import Any

import pytest

from kontaktlaege import jobs
from kontaktlaege.consultations import scheduler

calls: list[tuple[str, Any]] = []


def first(now: datetime | None) -> None:
    calls.append(("first", now))


def second(now: datetime | None) -> None:
    calls.append(("second", now))


def test_every_registered_job_is_a_function_of_now() -> None:
    import inspect

    registered = jobs.registered()
    assert len(registered) == len(jobs.JOBS) == 6
    for job in registered:
        now, *others = inspect.signature(job).parameters.values()
        assert now.name == "now" and now.default is None
        assert all(other.default is not other.empty for other in others)


@pytest.mark.django_db
def test_a_round_runs_every_job_in_order_with_its_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "JOBS", (f"{__name__}.first", f"{__name__}.second"))
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    calls.clear()
    scheduler.run_once(now)
    assert calls == [("first", now), ("second", now)]
