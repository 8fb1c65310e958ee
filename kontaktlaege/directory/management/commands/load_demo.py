from django.core.management.base import BaseCommand

from kontaktlaege.directory import demo


class Command(BaseCommand):
    help = "Indlæser demodata (kun første gang) og viser demokontiene."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if demo.load():
            self.stdout.write("Demodata indlæst.")
        self.stdout.write("")
        self.stdout.write(f"Demokonti (adgangskode: {demo.DEMO_PASSWORD})")
        self.stdout.write(demo.accounts_table())
        self.stdout.write("")
        manage = ".venv/bin/python manage.py"
        self.stdout.write(f"Engangskode (TOTP) for en konto:  {manage} totp BRUGERNAVN")
        self.stdout.write(f"Borger-CPR til afprøvning:         {manage} demo_citizens")
