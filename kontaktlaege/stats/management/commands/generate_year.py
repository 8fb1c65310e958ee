"""`manage.py generate_year`: a national year of anonymous consultations for the statistics
(demos and bench/statistics.py)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kontaktlaege.stats.generate import generate


class Command(BaseCommand):
    help = "Generate a realistic national year of anonymous consultations for the statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--consultations", type=int, default=300_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        rows = generate(options["consultations"], seed=options["seed"])
        self.stdout.write(
            f"{options['consultations']} consultations, {rows} statistics rows "
            f"in {time.monotonic() - started:.0f} s"
        )
