"""The health check that load balancers and monitoring poll."""

from django.test import Client


def test_healthz_answers_200_without_signing_in(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
