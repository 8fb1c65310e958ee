from django.core.management.base import BaseCommand

from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.models import RegistryEntry


class Command(BaseCommand):
    help = "Viser demoborgerne i det lokale lægeregister (kun syntetiske CPR-numre)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        for entry in RegistryEntry.objects.select_related("ydernummer__clinic")[:60]:
            doctor = f"{entry.ydernummer.clinic} ({entry.ydernummer})" if entry.ydernummer else "-"
            self.stdout.write(f"{cprlib.formatted(entry.cpr)}  {entry.name:<24} {doctor}")
