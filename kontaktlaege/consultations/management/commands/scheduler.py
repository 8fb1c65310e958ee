from django.core.management.base import BaseCommand

from kontaktlaege.consultations.scheduler import loop


class Command(BaseCommand):
    help = "Kører periodiske opgaver (kø-frist for afbrudte forbindelser)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        loop(options["interval"])
