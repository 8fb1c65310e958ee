from django.core.management.base import BaseCommand

from kontaktlaege.privacy.retention import erase_expired


class Command(BaseCommand):
    help = "Sletter persondata i afsluttede konsultationer ældre end RETENTION_DAYS."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        count = erase_expired()
        self.stdout.write(f"Persondata slettet i {count} konsultationer.")
