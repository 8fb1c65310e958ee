"""`make bench`: the statistics pages on a generated national year (PRODUCT §5: every
statistics page under 300 ms server time, p99; the half-year XLSX under 2 s).

For each database (SQLite, and PostgreSQL when reachable) a worker process migrates a fresh
database, generates the year (`manage.py generate_year`: 5 regions, 98 municipalities, ~1,700
clinics, 300,000 consultations by default) and requests every statistics page and export
through Django's full request cycle (middleware, session, second factor, view, template), as
a signed-in national administrator, timing each request in the server process. In the same
run and process it times two baselines: `SELECT count(*)` over the consultations table (the
smallest query that touches the whole year) and GET /healthz (the smallest request).

    python bench/statistics.py                      # both databases, 300,000 consultations
    python bench/statistics.py --setups sqlite --rounds 20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder leads sys.path and the file would shadow the standard
# library's `statistics` for every module imported after it: the repository root goes first.
sys.path[0] = str(ROOT)
from tests.support import services  # noqa: E402 - needs ROOT on the path

BAR_MS = 300.0
XLSX_BAR_MS = 2000.0


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def worker(consultations: int, rounds: int) -> None:
    """Runs in its own process with DATABASE_URL set: generate, then time; prints JSON."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from kontaktlaege.accounts.models import User
    from kontaktlaege.consultations.models import Consultation
    from kontaktlaege.directory.models import Clinic, Municipality, Region
    from kontaktlaege.stats.exports import recent_half_years
    from kontaktlaege.stats.generate import generate
    from tests.support.factories import UserFactory
    from tests.support.signin import verified_client

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    if Consultation.objects.count() < consultations:  # a kept database (--sqlite-file) is reused
        generate(consultations - Consultation.objects.count())
    generated_s = time.monotonic() - started
    if connection.vendor == "postgresql":
        # As autovacuum would leave it after a bulk load: the planner's statistics and the
        # visibility map that index-only scans need.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    # SQLite: no ANALYZE, as the product never runs one; with its statistics the planner
    # prefers a skip-scan on the month to the covering indexes (stats/models.py).
    admin = User.objects.filter(username="bench-national").first() or UserFactory(
        username="bench-national", kind=User.Kind.ADMIN
    )
    client: Client = verified_client(admin)

    def busiest(model, field: str):  # type: ignore[no-untyped-def]
        from django.db.models import Count

        return model.objects.annotate(n=Count(field)).order_by("-n").first()

    region = busiest(Region, "municipality__clinic__consultations")
    municipality = busiest(Municipality, "clinic__consultations")
    clinic = busiest(Clinic, "consultations")
    half = recent_half_years(2)[1]

    def count_all() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {Consultation._meta.db_table}")
            cursor.fetchone()

    def get(url: str):  # type: ignore[no-untyped-def]
        def call() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    pages = {
        "national": "/statistik/",
        "region": f"/statistik/region/{region.pk}/",
        "municipality": f"/statistik/kommune/{municipality.pk}/",
        "clinic": f"/statistik/praksis/{clinic.pk}/",
        "national, kind filter": "/statistik/?kind=on_behalf",
        "national CSV": "/statistik/?eksport=csv",
        "municipality CSV": f"/statistik/kommune/{municipality.pk}/?eksport=csv",
        "region half-year XLSX": (
            f"/statistik/region/{region.pk}/halvaar.xlsx?halvaar={half[0]}-{half[1]}"
        ),
    }
    calls = {
        "baseline: SELECT count(*) over the consultations": count_all,
        "baseline: GET /healthz": get("/healthz"),
        **{name: get(url) for name, url in pages.items()},
    }
    results: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        call()  # warm-up: first connection, templates, the database's caches
    # Round by round, every request once: a slow spell of the shared machine hits all alike.
    for round_ in range(rounds):
        for name, call in calls.items():
            if "XLSX" in name and round_ % 5:
                continue  # the report is timed every fifth round
            t0 = time.perf_counter()
            call()
            results[name].append((time.perf_counter() - t0) * 1000)
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "consultations": Consultation.objects.count(),
                "clinics": Clinic.objects.count(),
                "municipalities": Municipality.objects.count(),
                "generated_s": generated_s,
                "scope": {"region": str(region), "municipality": str(municipality)},
                "results": results,
            }
        )
    )


def run_setup(name: str, url: str, consultations: int, rounds: int) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "kontaktlaege.settings",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
        "DB_POOL": "false",
    }
    out = subprocess.run(
        [sys.executable, __file__, "--worker", "--consultations", str(consultations),
         "--rounds", str(rounds)],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(name: str, data: dict) -> None:
    print(
        f"\n{name} ({data['vendor']}): {data['consultations']:,} consultations, "
        f"{data['clinics']:,} clinics, {data['municipalities']} municipalities "
        f"(generated in {data['generated_s']:.0f} s); region {data['scope']['region']}, "
        f"municipality {data['scope']['municipality']}"
    )
    print(f"{'request':50} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  bar")
    for what, samples in data["results"].items():
        if not samples:
            continue
        p50, p99 = _quantile(samples, 0.5), _quantile(samples, 0.99)
        bar = ""
        if not what.startswith("baseline"):
            limit = XLSX_BAR_MS if "XLSX" in what else BAR_MS
            bar = f"{'ok' if p99 < limit else 'OVER'} (< {limit:.0f})"
        print(f"{what:50} {len(samples):4d} {p50:8.1f} {p99:8.1f} {max(samples):8.1f}  {bar}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consultations", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--setups", default="sqlite,postgres")
    parser.add_argument(
        "--sqlite-file", help="keep the SQLite database here and reuse it on the next run"
    )
    parser.add_argument(
        "--postgres-url",
        help="an existing PostgreSQL database to use (and fill) instead of a new one",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.consultations, args.rounds)
        return
    setups = args.setups.split(",")
    if "sqlite" in setups and args.sqlite_file:
        url = f"sqlite:///{Path(args.sqlite_file).resolve()}"
        report("SQLite", run_setup("sqlite", url, args.consultations, args.rounds))
    elif "sqlite" in setups:
        with tempfile.TemporaryDirectory(prefix="kl-bench-stats-") as tmp:
            url = f"sqlite:///{tmp}/statistics.sqlite3"
            report("SQLite", run_setup("sqlite", url, args.consultations, args.rounds))
    if "postgres" in setups and args.postgres_url:
        report(
            "PostgreSQL", run_setup("postgres", args.postgres_url, args.consultations, args.rounds)
        )
    elif "postgres" in setups:
        admin = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        problem = services.postgres_problem(admin)
        if problem:
            print(f"\nPostgreSQL skipped: {problem}")
        else:
            with services.database("kl_bench_statistics", admin) as url:
                report("PostgreSQL", run_setup("postgres", url, args.consultations, args.rounds))


if __name__ == "__main__":
    main()
