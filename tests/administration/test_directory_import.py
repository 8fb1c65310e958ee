"""The national administrator's CSV import: a dry run changes nothing; a file with one bad
line imports nothing and says which line; a good file imports and is audited."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.directory.models import Clinic, Doctor, Ydernummer
from tests.support.signin import verified_client

IMPORT = reverse("administration:directory_import")
HEADER = "kommunekode;klinik;adresse;telefon;ydernummer;laege\n"


def _good(code: str) -> str:
    return (
        HEADER
        + f"{code};Lægerne Amagerbro;Amagerbrogade 1;32 32 32 32;111111;Ida Holm\n"
        + f"{code};Lægerne Amagerbro;Amagerbrogade 1;32 32 32 32;111111;Per Holm\n"
        + f"{code};Lægerne Amagerbro;Amagerbrogade 1;32 32 32 32;222222;\n"
    )


def _post(client, text: str, dry_run: bool):  # type: ignore[no-untyped-def]
    data = {"file": SimpleUploadedFile("stamdata.csv", text.encode(), "text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(IMPORT, data).content.decode()


def _counts() -> tuple[int, int, int]:
    return Clinic.objects.count(), Ydernummer.objects.count(), Doctor.objects.count()


def test_a_dry_run_changes_nothing(world, admins) -> None:  # type: ignore[no-untyped-def]
    before = _counts()
    page = _post(verified_client(admins.national), _good(world.clinic.municipality.code), True)
    assert "Prøvekørsel – intet er gemt." in page and "1 klinikker, 2 ydernumre, 2 læger." in page
    assert _counts() == before
    assert not AuditEntry.objects.filter(action="directory_imported").exists()


def test_one_bad_line_imports_nothing_and_names_the_line(world, admins) -> None:  # type: ignore[no-untyped-def]
    before = _counts()
    text = _good(world.clinic.municipality.code) + "9999;Ukendt Klinik;;;333333;X\n"
    text += f"{world.clinic.municipality.code};Anden Klinik;;;012345;Y\n"  # Nørrebro's number
    page = _post(verified_client(admins.national), text, False)
    assert "Intet er importeret." in page
    assert "Linje 5: Ukendt kommunekode „9999“." in page
    assert "Linje 6: Ydernummer 012345 hører allerede til en anden klinik." in page
    assert _counts() == before


def test_a_good_file_imports_and_is_audited(world, admins) -> None:  # type: ignore[no-untyped-def]
    before = _counts()
    page = _post(verified_client(admins.national), _good(world.clinic.municipality.code), False)
    assert "Importeret:" in page
    assert _counts() == (before[0] + 1, before[1] + 2, before[2] + 2)
    clinic = Clinic.objects.get(name="Lægerne Amagerbro")
    assert clinic.municipality == world.clinic.municipality and clinic.phone == "32 32 32 32"
    assert sorted(
        Doctor.objects.filter(ydernummer__number="111111").values_list("name", flat=True)
    ) == ["Ida Holm", "Per Holm"]
    entry = AuditEntry.objects.get(action="directory_imported")
    assert entry.actor == admins.national
    assert entry.detail == {"clinics": 1, "ydernumre": 2, "doctors": 2}
    # The same file again changes nothing more.
    _post(verified_client(admins.national), _good(world.clinic.municipality.code), False)
    assert _counts() == (before[0] + 1, before[1] + 2, before[2] + 2)


def test_missing_columns_and_other_administrators(world, admins) -> None:  # type: ignore[no-untyped-def]
    page = _post(verified_client(admins.national), "klinik,ydernummer\nA,123456\n", False)
    assert "Kolonner mangler: kommunekode, adresse, telefon, laege" in page
    assert verified_client(admins.kbh).get(IMPORT).status_code == 403


def test_a_file_too_large_is_not_read_at_all(world, admins, settings) -> None:  # type: ignore[no-untyped-def]
    text = _good(world.clinic.municipality.code)
    settings.MAX_REQUEST_BODY_BYTES = len(text.encode()) - 1
    before = _counts()
    page = _post(verified_client(admins.national), text, False)
    assert "Filen er for stor." in page and _counts() == before
