"""Errors show the product's own page in the person's language: the header, what happened
and a way on; never Django's bare English page."""

from html import escape

import pytest
from django.http import HttpRequest, HttpResponse, HttpResponseGone
from django.test import Client
from django.urls import path, reverse

import kontaktlaege.urls

pytestmark = pytest.mark.urls(__name__)


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def _gone(request: HttpRequest) -> HttpResponse:
    return HttpResponseGone()


# The product's URLs and error handlers, and two views that fail in the ways left to test.
urlpatterns = [
    path("test/fejl/", _boom),
    path("test/vaek/", _gone),
    *kontaktlaege.urls.urlpatterns,
]
handler400 = kontaktlaege.urls.handler400
handler403 = kontaktlaege.urls.handler403
handler404 = kontaktlaege.urls.handler404
handler500 = kontaktlaege.urls.handler500


def _is_product_page(response, status: int, title: str) -> str:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert '<html lang="da">' in page
    assert 'class="brand"' in page  # the product's header
    assert f'<h1 id="error-title">{escape(title)}</h1>' in page
    assert f"<title>{escape(title)} · Kontakt Læge</title>" in page
    assert f'href="{reverse("home")}" id="error-home"' in page  # a way on
    assert "Not Found" not in page and "Forbidden" not in page and "Server Error" not in page
    return page


def test_404(world, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user(world.carer).get("/findes-ikke/")
    _is_product_page(response, 404, "Siden findes ikke")


def test_404_of_someone_elses_consultation_is_the_same_page(world, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user(world.carer).get(reverse("consultations:consultation", args=[999]))
    _is_product_page(response, 404, "Siden findes ikke")


def test_403(world, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user(world.carer).get(reverse("consultations:waiting_room"))
    _is_product_page(response, 403, "Du har ikke adgang til siden")


def test_405_keeps_the_allow_header(world, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user(world.carer).get(reverse("consultations:discard_draft"))
    _is_product_page(response, 405, "Siden kan ikke bruges sådan")
    assert response["Allow"] == "POST"


def test_410(db) -> None:  # type: ignore[no-untyped-def]
    _is_product_page(Client().get("/test/vaek/"), 410, "Siden er ikke længere gyldig")


def test_400_for_a_host_not_allowed(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/konto/log-ind/", headers={"host": "ondsindet.example"})
    _is_product_page(response, 400, "Forespørgslen kunne ikke forstås")


def test_500(world, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(world.carer)
    client.raise_request_exception = False
    _is_product_page(client.get("/test/fejl/"), 500, "Der opstod en fejl")


def test_a_way_back_to_the_page_one_came_from(world, as_user) -> None:  # type: ignore[no-untyped-def]
    came_from = "http://testserver" + reverse("consultations:employee_start")
    response = as_user(world.carer).get("/findes-ikke/", headers={"referer": came_from})
    assert f'href="{came_from}" id="error-back"' in response.content.decode()
    elsewhere = as_user(world.carer).get(
        "/findes-ikke/", headers={"referer": "https://andet.example/"}
    )
    assert 'id="error-back"' not in elsewhere.content.decode()


def test_in_english_on_request(db) -> None:  # type: ignore[no-untyped-def]
    response = Client(headers={"accept-language": "en"}).get("/findes-ikke/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="en">' in page and "Page not found" in page


def test_json_errors_stay_json(world, as_user) -> None:  # type: ignore[no-untyped-def]
    """A page's script gets its error as JSON, as before."""
    response = as_user(world.gp).post(
        reverse("consultations:admit", args=[999]), headers={"accept": "application/json"}
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_the_products_403() -> None:
    response = Client(enforce_csrf_checks=True).post("/konto/log-ind/", {"username": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert 'lang="da"' in page and "Du har ikke adgang til siden" in page
