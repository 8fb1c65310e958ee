"""Print a new one-time activation code for an account: its owner needs it once, to bind an
authenticator app. Shown only here; a new code replaces the old."""

from django.core.management.base import BaseCommand, CommandError

from kontaktlaege.accounts import activation
from kontaktlaege.accounts.models import User


class Command(BaseCommand):
    help = (
        "Laver en ny engangs-aktiveringskode til en bruger (gyldig i 72 timer), så brugeren "
        "kan opsætte sin godkendelses-app. Koden vises kun denne ene gang."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("Ingen bruger med det brugernavn.")
        self.stdout.write(activation.issue(user, via="manage.py"))
