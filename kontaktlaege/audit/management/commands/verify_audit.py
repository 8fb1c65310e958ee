from django.core.management.base import BaseCommand, CommandError

from kontaktlaege.audit.log import verify_chain


class Command(BaseCommand):
    help = "Kontrollerer at revisionsloggens hash-kæde er ubrudt."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        problems = verify_chain()
        for p in problems:
            self.stderr.write(p)
        if problems:
            raise CommandError(f"{len(problems)} fejl i revisionsloggen")
        self.stdout.write("Revisionsloggen er intakt.")
