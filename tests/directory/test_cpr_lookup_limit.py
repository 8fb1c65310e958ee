"""CPR registry harvesting (issue 29): look-ups are limited per employee with a clear Danish
message, and the municipality's administrator sees who hit the limit."""

from kontaktlaege.accounts.models import User
from kontaktlaege.audit.models import AuditEntry
from tests.support import factories
from tests.support.signin import verified_client


def _look_up(client, cpr: str):  # type: ignore[no-untyped-def]
    return client.post("/medarbejder/borger/", {"cpr": cpr, "consent": "on"})


def test_an_employee_is_stopped_after_the_limit_and_the_administrator_sees_it(  # type: ignore[no-untyped-def]
    world, settings
) -> None:
    settings.CPR_LOOKUP_LIMIT = 3
    carer = verified_client(world.carer)
    for _ in range(3):
        assert _look_up(carer, world.cpr).status_code == 302  # found: on to the device check
    refused = _look_up(carer, world.cpr2)
    assert refused.status_code == 200
    assert "Du har slået 3 CPR-numre op på kort tid" in refused.content.decode()
    assert AuditEntry.objects.filter(actor=world.carer, action="cpr_lookup").count() == 3
    assert AuditEntry.objects.filter(actor=world.carer, action="cpr_lookup_refused").count() == 1
    # Another employee is not affected.
    assert _look_up(verified_client(world.carer2), world.cpr2).status_code == 302

    kbh_admin = factories.UserFactory(
        username="kbhadmin", kind=User.Kind.ADMIN, municipality=world.carer.municipality
    )
    page = verified_client(kbh_admin).get("/revision/").content.decode()
    assert "Usædvanligt mange CPR-opslag" in page and "mette" in page
    ros_admin = factories.UserFactory(
        username="rosadmin", kind=User.Kind.ADMIN, municipality=world.foreign_carer.municipality
    )
    assert (
        "Usædvanligt mange CPR-opslag"
        not in verified_client(ros_admin).get("/revision/").content.decode()
    )
