"""Demo data for the embedded product: regions, municipalities, clinics, doctors, accounts and
an own-doctor registry of synthetic citizens.

The CPR numbers are synthetic: real dates with serial numbers that fail the modulus-11 check,
so none belongs to anyone registered before 2007."""

from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.models import OpeningWindow, WaitingRoom
from kontaktlaege.doctorinfo.models import Absence, DoctorInfo, OpeningHours, PinnedDoctor

from .models import Clinic, Doctor, Municipality, Region, RegistryEntry, Ydernummer
from .numbers import with_check_digit

DEMO_PASSWORD = "Kontakt-Laege-demo"

FIRST = [
    "Inger",
    "Poul",
    "Grethe",
    "Bent",
    "Kirsten",
    "Jørgen",
    "Hanne",
    "Erik",
    "Birthe",
    "Ole",
    "Lis",
    "Niels",
    "Karen",
    "Henning",
    "Ruth",
]
LAST = [
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
]

WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def synthetic_cpr(born: date, serial: int) -> str:
    """A CPR number for `born` whose serial part fails modulus 11 (so it is not a real one)."""
    # Century digit for serials 0–3999 covers 1900–1999; 4000–4999 covers 2000–2036.
    base = 4000 if born.year >= 2000 else 0
    for offset in range(10):
        candidate = f"{born:%d%m%y}{(base + serial + offset) % 10000:04d}"
        if sum(int(d) * w for d, w in zip(candidate, WEIGHTS, strict=True)) % 11:
            return candidate
    raise ValueError("no synthetic number found")


def _user(username: str, first: str, last: str, **fields: object) -> User:
    user = User(username=username, first_name=first, last_name=last, **fields)
    user.set_password(DEMO_PASSWORD)
    user.save()
    TOTPDevice.objects.create(user=user, name="Demo", confirmed=True)
    return user


@transaction.atomic
def load() -> bool:
    """Load the demo data once; returns False if it was already there."""
    if Region.objects.exists():
        return False
    hovedstaden = Region.objects.create(name="Region Hovedstaden", code="1084")
    sjaelland = Region.objects.create(name="Region Sjælland", code="1085")
    kbh = Municipality.objects.create(name="Københavns Kommune", code="101", region=hovedstaden)
    frb = Municipality.objects.create(name="Frederiksberg Kommune", code="147", region=hovedstaden)
    ros = Municipality.objects.create(name="Roskilde Kommune", code="265", region=sjaelland)

    clinic_specs = [
        (
            "Lægehuset Nørrebro",
            kbh,
            "35 35 10 10",
            "Nørrebrogade 100, 2200 København N",
            [("012345", ["Anne Holm", "Peter Vang"]), ("012346", ["Sofie Krag"])],
        ),
        (
            "Lægerne på Amager",
            kbh,
            "32 32 20 20",
            "Amagerbrogade 50, 2300 København S",
            [("023456", ["Lars Bech"])],
        ),
        (
            "Frederiksberg Lægepraksis",
            frb,
            "38 38 30 30",
            "Falkoner Allé 20, 2000 Frederiksberg",
            [("034567", ["Mette Due"])],
        ),
        (
            "Roskilde Lægecenter",
            ros,
            "46 46 40 40",
            "Algade 10, 4000 Roskilde",
            [("045678", ["Jens Kjær"])],
        ),
        (
            "Lægerne ved Domkirken",
            ros,
            "46 46 50 50",
            "Domkirkepladsen 1, 4000 Roskilde",
            [("056789", ["Karin Lund"])],
        ),
    ]
    ydernumre: list[Ydernummer] = []
    clinics: list[Clinic] = []
    for name, municipality, phone, address, numbers in clinic_specs:
        clinic = Clinic.objects.create(
            name=name, municipality=municipality, phone=phone, address=address
        )
        clinics.append(clinic)
        for number, doctors in numbers:
            yn = Ydernummer.objects.create(number=number, clinic=clinic)
            ydernumre.append(yn)
            for doctor in doctors:
                Doctor.objects.create(name=doctor, ydernummer=yn)
        room = WaitingRoom.objects.create(clinic=clinic, mode=WaitingRoom.Mode.SCHEDULE)
        for weekday in range(5):
            OpeningWindow.objects.create(
                waiting_room=room, weekday=weekday, start=time(8, 0), end=time(15, 0)
            )
    # MedCom addresses (correspondence/): made-up SOR codes and EAN numbers, not real ones.
    organisations: list[Municipality | Clinic] = [kbh, frb, ros, *clinics]
    for i, organisation in enumerate(organisations, start=1):
        organisation.sor_code = f"9990{i:02d}1000016000"
        organisation.ean_number = with_check_digit(f"57999990{i:04d}")
        organisation.save(update_fields=["sor_code", "ean_number"])
    # The first clinic is open right away, so the product can be tried at any hour.
    WaitingRoom.objects.filter(clinic=clinics[0]).update(mode=WaitingRoom.Mode.OPEN)

    for i in range(60):
        born = date(1932, 1, 1) + timedelta(days=397 * i + 13)
        entry = RegistryEntry(
            name=f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}",
            ydernummer=ydernumre[i % len(ydernumre)] if i % 20 != 19 else None,
        )
        entry.set_cpr(synthetic_cpr(born, 1000 + i * 37))
        entry.save()

    for username, first, last, municipality, role, workplace in [
        ("hjemmepleje.kbh", "Mette", "Sørensen", kbh, "", ""),
        ("sygeplejerske.kbh", "Ali", "Hassan", kbh, "Sygeplejerske", "Hjemmesygeplejen Nord"),
        (
            "hjemmepleje.frb",
            "Lone",
            "Berg",
            frb,
            "Social- og sundhedshjælper",
            "Hjemmeplejen Frederiksberg",
        ),
        (
            "hjemmepleje.ros",
            "Jonas",
            "Krog",
            ros,
            "Social- og sundhedsassistent",
            "Plejecenter Bakkegården",
        ),
    ]:
        _user(
            username,
            first,
            last,
            kind=User.Kind.EMPLOYEE,
            municipality=municipality,
            job_role=role,
            workplace=workplace,
        )
    for username, first, last, clinic in [
        ("laege.norrebro", "Anne", "Holm", clinics[0]),
        ("sekretaer.norrebro", "Bodil", "Friis", clinics[0]),
        ("laege.amager", "Lars", "Bech", clinics[1]),
        ("laege.frederiksberg", "Mette", "Due", clinics[2]),
        ("laege.roskilde", "Jens", "Kjær", clinics[3]),
        ("laege.domkirken", "Karin", "Lund", clinics[4]),
    ]:
        _user(username, first, last, kind=User.Kind.CLINIC, clinic=clinic)
    _user("admin", "Demo", "Administrator", kind=User.Kind.ADMIN, is_staff=True, is_superuser=True)
    _user("admin.kbh", "Kim", "Lauridsen", kind=User.Kind.ADMIN, municipality=kbh)
    _user("admin.region", "Rikke", "Mortensen", kind=User.Kind.ADMIN, region=hovedstaden)
    _doctor_information(ydernumre, kbh)
    _user("leder.norrebro", "Niels", "Leder", kind=User.Kind.ADMIN, clinic=clinics[0])
    return True


def _doctor_information(ydernumre: list[Ydernummer], kbh: Municipality) -> None:
    """Opening hours and back-line numbers for every ydernummer, an absence with a substitute
    at Amager, and a doctor Copenhagen has pinned for its care staff."""
    for i, yn in enumerate(ydernumre):
        DoctorInfo.objects.create(ydernummer=yn, back_line_phone=f"70 20 {30 + i} 99")
        for weekday in range(5):
            OpeningHours.objects.create(
                ydernummer=yn, weekday=weekday, start=time(8, 0), end=time(16, 0)
            )
    today = timezone.localdate()
    amager = next(yn for yn in ydernumre if yn.number == "023456")
    Absence.objects.create(
        ydernummer=amager,
        starts=today,
        ends=today + timedelta(days=14),
        reason="Ferie",
        substitute_name="Sofie Krag",
        substitute_clinic="Lægehuset Nørrebro",
        substitute_phone="35 35 10 11",
    )
    frederiksberg = next(yn for yn in ydernumre if yn.number == "034567")
    PinnedDoctor.objects.create(
        municipality=kbh, ydernummer=frederiksberg, pinned_at=timezone.now()
    )


def accounts_table() -> str:
    lines = [f"{'brugernavn':<22} {'type':<22} tilknytning"]
    for user in User.objects.select_related("clinic", "municipality").order_by("kind", "username"):
        where = user.clinic or user.municipality or ""
        lines.append(f"{user.username:<22} {user.get_kind_display():<22} {where}")
    return "\n".join(lines)
