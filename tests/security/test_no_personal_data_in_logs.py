"""No CPR number, citizen name or health text reaches the application log or an error page,
through a whole flow with bad and good input (all loggers at DEBUG)."""

import logging

from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory import cpr as cprlib
from tests.support.signin import verified_client

REASON = "Borgeren har haft brystsmerter siden i nat"
MESSAGE = "Vi ringer om lidt angående brystsmerterne"
REJECT = "Ring 112 ved brystsmerter"


def test_flow_leaves_no_personal_data_in_logs(world, scene, caplog, settings) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    carer = verified_client(world.carer)
    gp = verified_client(world.gp)
    admin = verified_client(scene.admin)
    bad_cprs = ["12345", "3213990000", "0101900000", world.cpr[:9] + "x", "ab" * 20]
    for bad in bad_cprs:
        carer.post("/medarbejder/borger/", {"cpr": bad, "consent": "on"})
    carer.post("/medarbejder/borger/", {"cpr": world.cpr2})  # no consent
    carer.post("/medarbejder/borger/", {"cpr": cprlib.formatted(world.cpr2), "consent": "on"})
    carer.post("/medarbejder/aarsag/", {"reason": "kort"})
    carer.post("/medarbejder/aarsag/", {"reason": "x" * 5000})
    response = carer.post("/medarbejder/aarsag/", {"reason": REASON})
    assert response.status_code == 302
    # The reason is encrypted at rest: found by its employee, not by the text.
    consultation = Consultation.objects.filter(employee=world.carer).latest("pk")
    assert consultation.reason == REASON
    carer.get(response["Location"])
    gp.get("/klinik/")
    gp.post(f"/klinik/konsultation/{consultation.pk}/besked/", {"text": "y" * 5000})
    gp.post(f"/klinik/konsultation/{consultation.pk}/besked/", {"text": MESSAGE})
    gp.post(
        f"/klinik/konsultation/{consultation.pk}/afvis/",
        {"message": REJECT},
        HTTP_ACCEPT="application/json",
    )
    gp.post(f"/klinik/konsultation/{consultation.pk}/afvis/", {"message": REJECT})  # twice: 409
    other = verified_client(world.other_gp)
    other.post(f"/klinik/konsultation/{consultation.pk}/start/")  # 404 for a foreign clinic
    carer.get(f"/konsultation/{scene.theirs.pk}/?cpr={world.cpr2}")  # 404 with CPR in query
    admin.post("/revision/borger/", {"cpr": world.cpr2})
    admin.post("/revision/borger/", {"cpr": world.cpr2, "csv": "1"})
    admin.post("/revision/", {"cpr": "not-a-cpr"})
    error_page = carer.get(f"/findes-ikke/{world.cpr2}/")
    assert error_page.status_code == 404 and world.cpr2 not in error_page.content.decode()

    secrets = [
        world.cpr2,
        cprlib.formatted(world.cpr2),
        world.cpr2[:6],
        "Poul",
        "Nielsen",
        REASON,
        "brystsmerter",
        MESSAGE,
        REJECT,
    ]
    logged = caplog.text + "".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    assert caplog.records, "the flow should log something (requests, audit, sockets)"
    for secret in secrets:
        assert secret not in logged, f"personal data in the log: {secret[:4]}…"


def test_cpr_shaped_numbers_are_masked_in_any_log_record(caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    logging.getLogger("some.library").warning("lookup %s failed; ts=%d", "170540-1010", 1763900000)
    try:
        raise ValueError("bad value 1705401010")
    except ValueError:
        logging.getLogger("other").exception("boom")
    assert "1705401010" not in caplog.text and "170540-1010" not in caplog.text
    assert "[cpr]" in caplog.text and "1763900000" in caplog.text
