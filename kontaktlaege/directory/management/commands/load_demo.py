from django.core.management.base import BaseCommand

from kontaktlaege.directory import demo


class Command(BaseCommand):
    help = "Indlæser demodata (kun første gang) og viser demokontiene."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if demo.load():
            self.stdout.write("Demodata indlæst.")
        self.stdout.write("")
        self.stdout.write("Demokonti (adgangskode: %s)" % demo.DEMO_PASSWORD)
        self.stdout.write(demo.accounts_table())
        self.stdout.write("")
        self.stdout.write("Engangskode (TOTP) for en konto:  .venv/bin/python manage.py totp BRUGERNAVN")
        self.stdout.write("Borger-CPR til afprøvning:         .venv/bin/python manage.py demo_citizens")
